"""`pacer export logs|checkins|leads`: CSV with a header row to stdout.

Each export is `(deps, *, team, workspace, start, end, out) -> exit code`. It covers one
workspace, never several (teams.workspace_scope): an unknown team or workspace, a team name
two workspaces share, or several workspaces and no --workspace raise store.teams.TeamError,
which the CLI turns into a message and exit 2.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.services.activity import DEFAULT_CURRENCY
from store import annual, calibrations, exports, reviews, teams
from store.deliveries import aware
from store.models import Calibration

SCORECARD_COLUMNS = ("user_id", "team", "period", "behaviour_points", "behaviour_score",
                     "results_score", "qualitative_score", "total", "grade", "bonus_multiplier",
                     "redistributed")
LOG_COLUMNS = ("date", "user_id", "kind", "count", "customer", "amount", "new_customer", "note",
               "team", "recorded_at", "id", "amount_due", "due_date", "currency",
               "no_objections")
CHECKIN_COLUMNS = ("date", "user_id", "team", "planned_visits", "planned_calls",
                   "key_customers", "plan", "yesterday", "blockers", "updated_at")
LEAD_COLUMNS = ("customer", "team", "tier", "owner", "stage", "source", "external_id",
                "created_at", "last_touched_at", "stage_changed_at", "lost_reason")

CALIBRATION_COLUMNS = (
    "date", "time", "timezone", "team", "rep", "manager", "status", "adhoc", "moved_by",
    "answered_at", "progress", "blockers", "support", "next_actions", "notes", "controllable",
    "uncontrollable", "recorded_by", "recorded_at", "skip_reason", "action_items",
    "open_action_items")
ACTION_COLUMNS = ("id", "team", "rep", "owner", "text", "measure", "due", "status", "done_at",
                  "done_by", "created_by", "created_at", "calibration")
REVIEW_COLUMNS = ("team", "user_id", "period", "status", "opened_at", "scorecard_total",
                  "scorecard_grade", "self_due", "self_at", "self_grade", "self_best",
                  "self_improve", "self_support", "rating_due", "rated_by", "rated_at", "grade",
                  "strengths", "improvements", "next_plan", "comments", "appeal_due",
                  "appealed_at", "appeal_reason", "decision_due", "decided_by", "decided_at",
                  "decision", "decided_grade", "decision_comment", "final_grade", "final_at",
                  # the result conversation (seed 000): what the rating held, the talk, and
                  # every version of the record and of the rep's answer (JSON, oldest first)
                  "self_difficulties", "level", "competencies", "controllable",
                  "uncontrollable", "talk_at", "talk_with", "recorded_at", "record_version",
                  "confirm_due", "confirmation", "confirmed_at", "record", "rep_comment",
                  "records")
ANNUAL_COLUMNS = ("team", "user_id", "year", "grade", "quarters", "bonus_signal",
                  "recommendations", "collaboration", "computed_at")

Export = Callable[..., int]


def _when(value: datetime | None) -> str:
    """Aware UTC ISO time; SQLite hands stored UTC times back without their offset."""
    if value is None:
        return ""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def _money(value) -> str:
    return "" if value is None else f"{value:f}"


class _SafeWriter:
    """csv.writer that defuses spreadsheet formulas: a cell a rep typed that starts with
    = + - @ (or a tab/CR) gets a leading apostrophe, as OWASP advises for CSV exports."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: list) -> None:
        self._writer.writerow([f"'{c}" if isinstance(c, str) and c[:1] in "=+-@\t\r" and c
                               else c for c in row])


def export_logs(deps: Deps, *, team: str | None = None, workspace: str | None = None,
                start: date | None = None, end: date | None = None, out: TextIO) -> int:
    """Every live log (deals and payments included), oldest first."""
    writer = _SafeWriter(out)
    with deps.sessions() as session:
        workspace_id, found = teams.workspace_scope(session, team=team, workspace_id=workspace)
        writer.writerow(LOG_COLUMNS)
        for row, team_name, team_currency in exports.log_rows(
                session, team_id=found.id if found else None, workspace_id=workspace_id,
                start=start, end=end):
            # The amount's currency: its own when not the team's (left out of team totals).
            currency = row.currency or team_currency or DEFAULT_CURRENCY
            writer.writerow([
                row.occurred_on.isoformat(), row.user_id, row.kind, row.count,
                row.customer or "", _money(row.amount),
                "" if row.new_customer is None else ("new" if row.new_customer else "existing"),
                row.note or "", team_name or "", _when(row.recorded_at), row.id,
                _money(row.amount_due), row.due_on.isoformat() if row.due_on else "",
                currency if row.amount is not None else "",
                "yes" if row.no_objections else ""])
    return 0


def export_checkins(deps: Deps, *, team: str | None = None, workspace: str | None = None,
                    start: date | None = None, end: date | None = None, out: TextIO) -> int:
    """One line per check-in, oldest day first; --from/--to select by the check-in's day."""
    writer = _SafeWriter(out)
    with deps.sessions() as session:
        workspace_id, found = teams.workspace_scope(session, team=team, workspace_id=workspace)
        writer.writerow(CHECKIN_COLUMNS)
        for row, team_name in exports.checkin_rows(
                session, team_id=found.id if found else None, workspace_id=workspace_id,
                start=start, end=end):
            writer.writerow([
                row.day.isoformat(), row.user_id, team_name or "",
                _count(row.planned_visits), _count(row.planned_calls), row.key_customers,
                row.plan, row.yesterday, row.blockers, _when(row.updated_at)])
    return 0


def export_leads(deps: Deps, *, team: str | None = None, workspace: str | None = None,
                start: date | None = None, end: date | None = None, out: TextIO) -> int:
    """One line per customer, every stage; --from/--to select by the local creation date."""
    writer = _SafeWriter(out)
    with deps.sessions() as session:
        workspace_id, found = teams.workspace_scope(session, team=team, workspace_id=workspace)
        writer.writerow(LEAD_COLUMNS)
        for row, team_name in exports.lead_rows(
                session, team_id=found.id if found else None, workspace_id=workspace_id,
                start=start, end=end):
            writer.writerow([
                row.name, team_name, row.tier, row.owner_user_id or "", row.stage,
                row.source or "", row.external_id or "", _when(row.created_at),
                _when(row.last_touched_at), _when(row.stage_changed_at),
                row.lost_reason or ""])
    return 0


def _span(start: date | None, end: date | None, tz: ZoneInfo,
          default_start: datetime, default_end: datetime) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time(0), tzinfo=tz) if start else default_start
    hi = datetime.combine(end, time(23, 59, 59), tzinfo=tz) if end else default_end
    return lo.astimezone(UTC), hi.astimezone(UTC)


@dataclass
class _CalibrationLine:
    at: datetime
    rep: str
    manager: str
    status: str
    row: Calibration | None
    items: list = field(default_factory=list)


def export_calibrations(deps: Deps, *, team: str | None = None, workspace: str | None = None,
                        start: date | None = None,
                        end: date | None = None, out: TextIO) -> int:
    """One line per calibration, oldest first: held, not happened, and those that went by
    without minutes (to now, unless --to says otherwise; stored ones ahead of now too);
    --from/--to by the team's date."""
    from bot.services import calibration as cal
    from bot.services.teams import team_info

    writer = _SafeWriter(out)
    writer.writerow(CALIBRATION_COLUMNS)
    now = deps.clock.now()
    with deps.sessions() as session:
        for found in teams.teams_in_scope(session, team=team, workspace_id=workspace):
            info = team_info(session, found, now=now)
            tz = ZoneInfo(info.tz)
            lo, hi = _span(start, end, tz, info.created_at, now)
            lines = {(o.pair.rep, o.slot): _CalibrationLine(
                        o.at, o.pair.rep, o.row.manager_user_id if o.row else o.pair.manager,
                        cal.state(o, now), o.row)
                     for p in cal.team_pairs(session, info)
                     for o in cal.history(session, p, start=lo, end=hi)}
            # Stored ones whose pair is gone (the rep left the team) are history too, and
            # without --to so are those stored ahead of now (moved, answered, or held early).
            for row, items in calibrations.between(session, team_ids=[found.id], start=lo,
                                                   end=hi if end else datetime.max.replace(
                                                       tzinfo=UTC)):
                line = lines.setdefault((row.rep_user_id, row.slot), _CalibrationLine(
                    aware(row.scheduled_at), row.rep_user_id, row.manager_user_id,
                    row.status if row.status in ("held", "skipped") else "missed", row))
                line.items = items
            for line in sorted(lines.values(), key=lambda x: x.at):
                _calibration_line(writer, line, found.name, tz)
    return 0


def _calibration_line(writer: _SafeWriter, line: _CalibrationLine, team: str,
                      tz: ZoneInfo) -> None:
    row = line.row
    local = line.at.astimezone(tz)

    def stored(name: str) -> str:
        return (getattr(row, name) or "") if row is not None else ""

    live = [i for i in line.items if i.status != "dropped"]
    writer.writerow([
        local.date().isoformat(), f"{local:%H:%M}", str(tz), team, line.rep, line.manager,
        line.status, "yes" if stored("slot").startswith("adhoc:") else "no",
        stored("moved_by"), _when(row.answered_at if row else None), stored("progress"),
        stored("blockers"), stored("support"), stored("next_actions"), stored("notes"),
        stored("controllable"), stored("uncontrollable"), stored("recorded_by"),
        _when(row.recorded_at if row else None), stored("skip_reason"), len(live),
        len([i for i in live if i.status == "open"])])


def export_actions(deps: Deps, *, team: str | None = None, workspace: str | None = None,
                   start: date | None = None,
                   end: date | None = None, out: TextIO) -> int:
    """One line per action item, by due date; --from/--to select by the due date."""
    writer = _SafeWriter(out)
    writer.writerow(ACTION_COLUMNS)
    with deps.sessions() as session:
        for row in teams.teams_in_scope(session, team=team, workspace_id=workspace):
            for item, held in exports.action_rows(session, team_id=row.id, start=start,
                                                  end=end):
                writer.writerow([
                    item.id, row.name, item.rep_user_id, item.owner_user_id, item.text,
                    item.measure, item.due_on.isoformat(), item.status, _when(item.done_at),
                    item.done_by or "", item.created_by, _when(item.created_at),
                    _when(held)])
    return 0


EXPORTS: dict[str, Export] = {"logs": export_logs, "checkins": export_checkins,
                              "leads": export_leads, "calibrations": export_calibrations,
                              "actions": export_actions}


def export_scorecards(deps: Deps, *, team: str | None, period, out: TextIO,  # noqa: ANN001
                      workspace: str | None = None) -> int:
    """Every rep's scorecard for one period, team by team, as /scorecard shows it."""
    from bot.scoring.scorecard import QUALITATIVE_PARTS
    from bot.services.reports import team_report

    writer = _SafeWriter(out)
    with deps.sessions() as session:
        chosen = teams.teams_in_scope(session, team=team, workspace_id=workspace)
        writer.writerow(SCORECARD_COLUMNS)
        for found in chosen:
            report = team_report(session, team=found, period=period, now=deps.clock.now())
            for user, rep in sorted(report.reps.items()):
                card = rep.card
                behaviour = card.part("behaviour")
                quals = [p for p in card.parts if p.name in QUALITATIVE_PARTS and p.has_data]
                weight = sum(p.weight for p in quals)
                qualitative = (round(sum(p.score * p.weight for p in quals) / weight, 2)
                               if weight else None)
                writer.writerow([
                    user, found.name, period.label, rep.points.total,
                    _score(behaviour.score if behaviour else None), _score(card.results_score),
                    _score(qualitative), _score(card.total), card.grade or "",
                    "" if card.bonus_multiplier is None else f"{card.bonus_multiplier:f}",
                    " ".join(card.redistributed)])
    return 0


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def export_reviews(deps: Deps, *, team: str | None, period: str | None, out: TextIO,
                   workspace: str | None = None) -> int:
    """Every review (one line each, team by team, oldest period first) with its answers,
    rating, the conversation's record both sides confirmed (every version), appeal and
    decision: for HR, who may read them all. A year (`--period 2026`) is the year end's rows."""
    writer = _SafeWriter(out)
    if period is not None and period.isdigit():
        return _export_annual(deps, team=team, year=int(period), writer=writer,
                              workspace=workspace)
    writer.writerow(REVIEW_COLUMNS)
    with deps.sessions() as session:
        workspace_id, found = teams.workspace_scope(session, team=team, workspace_id=workspace)
        for row, team_name in exports.review_rows(session, team_id=found.id if found else None,
                                                  period=period, workspace_id=workspace_id):
            versions = reviews.records(session, review_id=row.id)
            latest = next((v.body for v in reversed(versions) if v.kind == reviews.RECORD), "")
            answer = next((v.body for v in reversed(versions) if v.kind == reviews.CONFIRMED),
                          "")
            writer.writerow([
                team_name, row.user_id, row.period, row.status, _when(row.opened_at),
                _score(row.score_total), row.score_grade or "", _day(row.self_due),
                _when(row.self_at), row.self_grade or "", row.self_best, row.self_improve,
                row.self_support, _day(row.rating_due), row.rated_by or "", _when(row.rated_at),
                row.grade or "", row.strengths, row.improvements, row.next_plan, row.comments,
                _day(row.appeal_due), _when(row.appealed_at), row.appeal_reason,
                _day(row.decision_due), row.decided_by or "", _when(row.decided_at),
                row.decision or "", row.decided_grade or "", row.decision_comment,
                row.final_grade or "", _when(row.final_at), row.self_difficulties,
                row.level or "", row.competencies, row.controllable, row.uncontrollable,
                _when(row.talk_at), row.talk_with or "", _when(row.recorded_at),
                _count(row.record_version or None), _day(row.confirm_due),
                row.confirmation or "", _when(row.confirmed_at), latest, answer,
                json.dumps([{"kind": v.kind, "version": v.version, "by": v.author_user_id,
                             "at": _when(v.at), "body": v.body} for v in versions],
                           ensure_ascii=False) if versions else ""])
    return 0


def _export_annual(deps: Deps, *, team: str | None, year: int, writer: _SafeWriter,
                   workspace: str | None) -> int:
    writer.writerow(ANNUAL_COLUMNS)
    with deps.sessions() as session:
        workspace_id, found = teams.workspace_scope(session, team=team, workspace_id=workspace)
        chosen = [found] if found else teams.all_teams(session, workspace_id=workspace_id)
        for row in chosen:
            for year_row in annual.of_year(session, team_id=row.id, year=year):
                writer.writerow([row.name, year_row.user_id, year_row.year, year_row.grade,
                                 year_row.quarters, year_row.bonus_signal,
                                 year_row.recommendations,
                                 _score(year_row.collaboration), _when(year_row.computed_at)])
    return 0


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""
