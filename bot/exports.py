"""`pacer export logs|checkins|leads`: CSV with a header row to stdout.

Each export is `(deps, *, team, start, end, out) -> exit code`; an unknown team raises
store.teams.TeamError, which the CLI turns into a message and exit 2.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TextIO

from bot.deps import Deps
from store import activity, imports, teams

SCORECARD_COLUMNS = ("user_id", "team", "period", "behaviour_points", "behaviour_score",
                     "results_score", "qualitative_score", "total", "grade", "bonus_multiplier",
                     "redistributed")
LOG_COLUMNS = ("date", "user_id", "kind", "count", "customer", "amount", "new_customer", "note",
               "team", "recorded_at", "id", "amount_due", "due_date")
CHECKIN_COLUMNS = ("date", "user_id", "team", "planned_visits", "planned_calls",
                   "key_customers", "plan", "yesterday", "blockers", "updated_at")
LEAD_COLUMNS = ("customer", "team", "tier", "owner", "stage", "source", "external_id",
                "created_at", "last_touched_at", "stage_changed_at", "lost_reason")

REVIEW_COLUMNS = ("team", "user_id", "period", "status", "opened_at", "scorecard_total",
                  "scorecard_grade", "self_due", "self_at", "self_grade", "self_best",
                  "self_improve", "self_support", "rating_due", "rated_by", "rated_at", "grade",
                  "strengths", "improvements", "next_plan", "comments", "appeal_due",
                  "appealed_at", "appeal_reason", "decision_due", "decided_by", "decided_at",
                  "decision", "decided_grade", "decision_comment", "final_grade", "final_at")

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


def export_logs(deps: Deps, *, team: str | None = None, start: date | None = None,
                end: date | None = None, out: TextIO) -> int:
    """Every live log (deals and payments included), oldest first."""
    writer = _SafeWriter(out)
    with deps.sessions() as session:
        found = teams.find_team(session, name=team)
        writer.writerow(LOG_COLUMNS)
        for row, team_name in activity.export_rows(
                session, team_id=found.id if found else None, start=start, end=end):
            writer.writerow([
                row.occurred_on.isoformat(), row.user_id, row.kind, row.count,
                row.customer or "", _money(row.amount),
                "" if row.new_customer is None else ("new" if row.new_customer else "existing"),
                row.note or "", team_name or "", _when(row.recorded_at), row.id,
                _money(row.amount_due), row.due_on.isoformat() if row.due_on else ""])
    return 0


def export_checkins(deps: Deps, *, team: str | None = None, start: date | None = None,
                    end: date | None = None, out: TextIO) -> int:
    """One line per check-in, oldest day first; --from/--to select by the check-in's day."""
    writer = _SafeWriter(out)
    with deps.sessions() as session:
        found = teams.find_team(session, name=team)
        writer.writerow(CHECKIN_COLUMNS)
        for row, team_name in imports.checkin_rows(
                session, team_id=found.id if found else None, start=start, end=end):
            writer.writerow([
                row.day.isoformat(), row.user_id, team_name or "",
                _count(row.planned_visits), _count(row.planned_calls), row.key_customers,
                row.plan, row.yesterday, row.blockers, _when(row.updated_at)])
    return 0


def export_leads(deps: Deps, *, team: str | None = None, start: date | None = None,
                 end: date | None = None, out: TextIO) -> int:
    """One line per customer, every stage; --from/--to select by the local creation date."""
    writer = _SafeWriter(out)
    with deps.sessions() as session:
        found = teams.find_team(session, name=team)
        writer.writerow(LEAD_COLUMNS)
        for row, team_name in imports.lead_rows(
                session, team_id=found.id if found else None, start=start, end=end):
            writer.writerow([
                row.name, team_name, row.tier, row.owner_user_id or "", row.stage,
                row.source or "", row.external_id or "", _when(row.created_at),
                _when(row.last_touched_at), _when(row.stage_changed_at),
                row.lost_reason or ""])
    return 0


EXPORTS: dict[str, Export] = {"logs": export_logs, "checkins": export_checkins,
                              "leads": export_leads}


def export_scorecards(deps: Deps, *, team: str | None, period, out: TextIO) -> int:  # noqa: ANN001
    """Every rep's scorecard for one period, team by team, as /scorecard shows it."""
    from bot.reports import team_report
    from bot.scoring.scorecard import QUALITATIVE_PARTS

    writer = _SafeWriter(out)
    writer.writerow(SCORECARD_COLUMNS)
    with deps.sessions() as session:
        chosen = [teams.find_team(session, name=team)] if team else teams.all_teams(session)
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


def export_reviews(deps: Deps, *, team: str | None, period: str | None, out: TextIO) -> int:
    """Every review (one line each, team by team, oldest period first) with its answers,
    rating, appeal and decision: for HR, who may read them all."""
    from store import reviews

    writer = _SafeWriter(out)
    writer.writerow(REVIEW_COLUMNS)
    with deps.sessions() as session:
        found = teams.find_team(session, name=team)
        for row, team_name in reviews.export_rows(session, team_id=found.id if found else None,
                                                  period=period):
            writer.writerow([
                team_name, row.user_id, row.period, row.status, _when(row.opened_at),
                _score(row.score_total), row.score_grade or "", _day(row.self_due),
                _when(row.self_at), row.self_grade or "", row.self_best, row.self_improve,
                row.self_support, _day(row.rating_due), row.rated_by or "", _when(row.rated_at),
                row.grade or "", row.strengths, row.improvements, row.next_plan, row.comments,
                _day(row.appeal_due), _when(row.appealed_at), row.appeal_reason,
                _day(row.decision_due), row.decided_by or "", _when(row.decided_at),
                row.decision or "", row.decided_grade or "", row.decision_comment,
                row.final_grade or "", _when(row.final_at)])
    return 0


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""
