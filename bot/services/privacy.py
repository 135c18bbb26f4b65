"""Data rights: `pacer member export|forget` and `pacer retention`.

store/privacy.py declares which columns are personal and store/personal_data.py does the SQL;
this module adds what needs the rest of the bot: the key behind pseudonyms
(Settings.rating_key) and what a scorecard shows of a person's collaboration ratings
(bot/services/reports.py). The daily `retention` job that applies the setting is
bot/jobs/retention.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import time as clock_time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TextIO

from bot.calendar.periods import parse_period
from bot.deps import Deps
from bot.services.reports import team_report
from store import personal_data as store
from store import teams
from store.models import Team
from store.privacy import is_pseudonym, pseudonym

log = logging.getLogger(__name__)

EXPORT_FORMAT = "pacer-member-export/1"
PEER_RATINGS_GIVEN = (
    "Collaboration ratings this person gave are not in this export and cannot be: Pacer "
    "keeps a rater only as a keyed hash that differs for every teammate and period, so no "
    "stored value links them to this person, and neither export nor forget computes one.")
PEER_RATINGS_RECEIVED = (
    "Collaboration ratings this person received appear only as their scorecards show them: "
    "the mean and the number of ratings, for periods with at least the team's minimum (3 by "
    "default) — never single scores, never who rated. Periods below the minimum are left "
    "out, as on the scorecard.")
NOT_INCLUDED = (
    "Teammates' notes that mention this person are theirs and are not included; on forget "
    "the mention is replaced by the pseudonym.")


class PrivacyError(ValueError):
    """Bad input for a privacy command; the message says what to do instead."""


def command(deps: Deps, args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    """The CLI's `member` and `retention` commands; exit 2 with the reason on bad input."""
    try:
        workspace_id = workspace_for(deps, args.workspace)
        if args.command == "retention":
            if args.retention_command == "notes":
                setting, pending = set_retention(deps, workspace_id=workspace_id,
                                                 value=args.days, team=args.team)
                print(f"free text that is due now: {sum(pending.values())} row(s)"
                      + "".join(f", {t} {n}" for t, n in sorted(pending.items())), file=out)
            else:
                with deps.sessions() as session:
                    setting = store.retention(session, workspace_id=workspace_id)
            print("\n".join(retention_lines(setting)), file=out)
        elif args.member_command == "export":
            found = export_member(deps, workspace_id=workspace_id, user_id=args.user_id)
            if found is None:
                print(f"pacer: nothing about {args.user_id} is stored in workspace "
                      f"{workspace_id}", file=err)
                return 1
            print(json.dumps(found, ensure_ascii=False, indent=2), file=out)
        else:
            result = forget_member(deps, workspace_id=workspace_id, user_id=args.user_id,
                                   apply=args.yes)
            print("\n".join(result.lines()), file=out)
    except PrivacyError as exc:
        print(f"pacer: {exc}", file=err)
        return 2
    return 0


def workspace_for(deps: Deps, explicit: str | None) -> str:
    """--workspace, else the only workspace there is; never a guess."""
    with deps.sessions() as session:
        known = store.workspace_ids(session)
    if explicit:
        if explicit not in known:
            raise PrivacyError(f"no workspace {explicit!r}; known: {', '.join(known) or 'none'}")
        return explicit
    if len(known) == 1:
        return known[0]
    if not known:
        raise PrivacyError("no workspace yet: Pacer holds no data")
    raise PrivacyError(f"several workspaces ({', '.join(known)}): choose one with "
                       "--workspace T…")


def _person(user_id: str) -> str:
    user_id = user_id.strip().removeprefix("<@").removesuffix(">").split("|")[0]
    if not user_id:
        raise PrivacyError("give a Slack user id, e.g. pacer member export U0123ABCD")
    return user_id


# ----------------------------------------------------------------- export

def export_member(deps: Deps, *, workspace_id: str, user_id: str) -> dict | None:
    """Everything about one person as plain data (JSON-ready), or None if nothing is held."""
    user_id = _person(user_id)
    now = deps.clock.now()
    with deps.sessions() as session:
        data = store.rows_about(session, workspace_id=workspace_id, user_id=user_id)
        on_teams = store.memberships(session, workspace_id=workspace_id, user_id=user_id)
        rated = store.peer_rated(session, workspace_id=workspace_id, user_id=user_id)
        collaboration = _collaboration(session, user_id, rated, now)
    if not data and not on_teams and not rated:
        return None
    return {
        "format": EXPORT_FORMAT,
        "workspace_id": workspace_id,
        "user_id": user_id,
        "exported_at": now.isoformat(),
        "teams": [{"team": team.name, "manager": manager} for team, manager in on_teams],
        "collaboration_received": collaboration,
        "notes": {"collaboration_received": PEER_RATINGS_RECEIVED,
                  "collaboration_given": PEER_RATINGS_GIVEN, "not_included": NOT_INCLUDED},
        "tables": {name: [{k: _plain(v) for k, v in row.items()} for row in rows]
                   for name, rows in data.items()},
    }


def _collaboration(session, user_id: str, rated: list[tuple[Team, str]],  # noqa: ANN001
                   now: datetime) -> list[dict]:
    """What the person's scorecards show of their peer ratings: quarters rated, and the
    years they fall in (an annual card pools its quarters)."""
    shown = []
    periods = {(team.id, label): team for team, label in rated}
    for (_, label), team in list(periods.items()):
        periods.setdefault((team.id, label[:4]), team)
    for (_, label), team in sorted(periods.items(), key=lambda kv: (kv[1].name, kv[0][1])):
        period = parse_period(label, now.date())
        if period is None:
            continue
        rep = team_report(session, team=team, period=period, now=now,
                          user_ids=[user_id]).reps.get(user_id)
        part = rep.card.part("collaboration") if rep else None
        if part is None or not part.has_data:
            continue  # below the minimum: the scorecard shows nothing, so neither do we
        shown.append({"team": team.name, "period": period.label, "mean": part.raw,
                      "ratings": dict(part.detail).get("ratings"),
                      "score": round(part.score, 2)})
    return shown


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# ----------------------------------------------------------------- forget

@dataclass(frozen=True)
class ForgetResult:
    user_id: str
    workspace_id: str
    applied: bool
    done: store.Forgotten

    def lines(self) -> list[str]:
        d = self.done
        if not d.changed:
            return [f"nothing about {self.user_id} is stored in workspace {self.workspace_id}"
                    " (forgotten already, or never seen): nothing to do"]
        head = (f"forgot {self.user_id} in workspace {self.workspace_id}" if self.applied else
                f"dry run: forgetting {self.user_id} in workspace {self.workspace_id} would do "
                "this (nothing changed; add --yes to do it)")
        lines = [head, f"  pseudonym: {d.pseudonym} (the same in every row; not reversible "
                       "without PACER_SECRET_KEY)"]
        for label, counts in (("erased", d.erased), ("kept under the pseudonym", d.rekeyed),
                              ("free text by or about them blanked", d.blanked),
                              ("their id replaced in other text", d.mentioned)):
            if counts:
                lines.append(f"  {label}: {counts_text(counts)}")
        for team in d.rep_of:
            lines.append(f"  still a rep of team {team}, as {d.pseudonym}, so its numbers do "
                         f"not change; once they have left: pacer team remove {team} "
                         f"{d.pseudonym}")
        if d.manager_of:
            lines.append(f"  no longer manages: {', '.join(d.manager_of)}")
        if d.open_leads:
            lines.append(f"  {d.open_leads} open lead(s) now owned by the pseudonym: give "
                         "them an owner with /lead owner")
        lines.append("  collaboration ratings they gave: kept, unlinkable (stored only as "
                     "keyed hashes); audit log: one entry that a forget happened, without "
                     "their id")
        return lines


def counts_text(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))


def forget_member(deps: Deps, *, workspace_id: str, user_id: str, apply: bool) -> ForgetResult:
    """All in one transaction; without `apply` the same work is done and rolled back, so the
    dry run reports exactly what --yes would do."""
    user_id = _person(user_id)
    if is_pseudonym(user_id):
        raise PrivacyError(f"{user_id} is a pseudonym: that person is forgotten already")
    alias = pseudonym(deps.settings.rating_key, workspace_id=workspace_id,
                      user_id=user_id)
    with deps.sessions() as session:
        done = store.forget(session, workspace_id=workspace_id, user_id=user_id,
                            pseudonym=alias, now=deps.clock.now())
        if not apply:
            session.rollback()
    if apply and done.changed:
        log.info("forgot a person in workspace %s (now %s)", workspace_id, alias)
    return ForgetResult(user_id, workspace_id, apply, done)


# ----------------------------------------------------------------- retention

RETENTION_TIME = time(3, 0)  # UTC; it writes in short batches, so any hour would do
BATCH = 1000


def retention_lines(setting: store.Retention) -> list[str]:
    def days(n: int | None) -> str:
        return f"{n} days" if n is not None else "kept (no retention)"

    lines = [f"workspace {setting.workspace_id}: free text {days(setting.days)}"]
    for _, name, own in setting.teams:
        lines.append(f"  team {name}: " + (f"{days(own)} (its own setting)" if own is not None
                                           else f"{days(setting.days)} (the workspace's)"))
    lines.append(f"applied daily at {RETENTION_TIME:%H:%M} UTC by the retention job, and "
                 "within a minute of a change while `pacer run` is up; now: pacer jobs run "
                 "retention")
    return lines


def set_retention(deps: Deps, *, workspace_id: str, value: str,
                  team: str | None) -> tuple[store.Retention, Counter[str]]:
    """`pacer retention notes DAYS|off|default [--team NAME]`; returns the new setting and
    how many rows its next run will blank."""
    word = value.strip().lower()
    if word == "off" and team:
        raise PrivacyError("a team follows the workspace or has its own number of days: "
                           f"pacer retention notes default --team {team}, or e.g. 365")
    if word == "default" and not team:
        raise PrivacyError("'default' is for a team (follow the workspace's setting); for the "
                           "workspace use a number of days, e.g. 365, or 'off'")
    if word in ("off", "default"):
        days = None
    elif word.isdecimal() and int(word) >= store.MIN_RETENTION_DAYS:
        days = int(word)
    else:
        raise PrivacyError(f"{value!r} is not a retention: use a number of days (at least "
                           f"{store.MIN_RETENTION_DAYS}, so this week's check-ins and briefs "
                           "reach the Friday report), e.g. pacer retention notes 365")
    with deps.sessions() as session:
        team_id = teams.get_team(session, workspace_id=workspace_id, name=team).id if team \
            else None
        store.set_retention(session, workspace_id=workspace_id, days=days, team_id=team_id)
        setting = store.retention(session, workspace_id=workspace_id)
    with deps.sessions() as session:
        pending: Counter[str] = Counter()
        for due in store.old_text(session, setting=setting, now=deps.clock.now()):
            pending[due.table] += len(due.ids)
    return setting, pending


def blank_old_text(deps: Deps, setting: store.Retention, now: datetime) -> Counter[str]:
    """Find what is due in one read, then blank it BATCH rows per transaction: SQLite has
    a single writer, and one long transaction would keep /log waiting (it blanked 476,654
    notes in 3.5 s in benchmarks/privacy.py); each batch holds it for milliseconds."""
    with deps.sessions() as session:
        due = store.old_text(session, setting=setting, now=now)
    blanked: Counter[str] = Counter()
    sqlite = deps.engine.dialect.name == "sqlite"
    for part in due:
        for start in range(0, len(part.ids), BATCH):
            began = clock_time.monotonic()
            with deps.sessions() as session:
                blanked[part.table] += store.blank_text(
                    session, due=part, ids=part.ids[start:start + BATCH])
            if sqlite:
                # A writer waiting on SQLite's lock sleeps and retries; without a gap this
                # loop would take the lock back first nearly every time (591 ms measured).
                clock_time.sleep(clock_time.monotonic() - began)
    return +blanked
