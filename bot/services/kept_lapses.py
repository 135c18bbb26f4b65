"""A report's idle-lead lapses from the kept ones (store/lapse_store.py): one second for a
month of 1,000 reps' scorecards needs less work per lead, not faster work (issue 15). The
leads whose events or calendar changed since their lapses were kept are computed afresh here,
by the same rule (bot/scoring/points.py `lapses`), and kept again.

What a lead's lapses depend on, and how each is followed:
- its events (creation, logs, stage changes, closing, owner, team): the event version the
  database's triggers bump (migration 0029);
- its team's clock: zone (and the zone data's own rules), public holidays (country and the
  `holidays` package's version), days off, the rules' idle hours and watched stages, and the
  rule's code (RULE_VERSION): the fingerprint;
- its owner's away spells: such owners' leads are never taken from the store; the report
  computes them as before, on the owner's own calendar.
"""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import Working, WorkingClock, is_working_day
from bot.scoring.facts import LeadTouches
from bot.scoring.points import lapses
from bot.scoring.rules import Rules
from store import idle as idle_store
from store import lapse_store, teams
from store.models import Team

# Bumped whenever `lapses`, the touch times (store/lead_life.py) or what is kept changes
# meaning: every kept result then no longer matches and is computed again.
RULE_VERSION = "1"


@dataclass(frozen=True)
class ReportLapses:
    """A team's lapses for one report: `found` (owner -> (customer id, moment)), from
    `start` to before the window's end, and `leads`, those of the `away` owners, which the
    report applies `lapses` to itself, on each owner's calendar."""

    found: dict[str, list[tuple[int, datetime]]]
    leads: list[LeadTouches]
    away: frozenset[str]


def team_working(team: Team, off: list[date]) -> Working:
    """The team's working-day test, remembered day by day (the clock asks about the same days
    for every lead): the kept lapses' and `team_report`'s (bot/services/reports.py)."""
    days_off = frozenset(off)
    known: dict[date, bool] = {}

    def working(day: date) -> bool:
        found = known.get(day)
        if found is None:
            found = known[day] = is_working_day(day, country=team.holiday_country,
                                                days_off=days_off)
        return found

    return working


def fingerprint(team: Team, off: list[date], rules: Rules) -> str:
    """What a lead's lapses depend on besides its events and its owner's away spells."""
    p = rules.points
    parts = [RULE_VERSION, team.tz, _zone_data(team.tz), team.holiday_country or "",
             _holidays_version(), sorted(day.isoformat() for day in off),
             p.idle_lead_hours, list(p.idle_lead_stages)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


@cache
def _holidays_version() -> str:
    return metadata.version("holidays")  # read once: a package's metadata is parsed anew


@cache
def _zone_data(key: str) -> str:
    """A digest of the zone's rules as this process reads them (the tzdata package's file,
    else the system's): new zone rules move lapses as much as a new zone does."""
    try:
        return hashlib.sha256(resources.files("tzdata.zoneinfo").joinpath(
            *key.split("/")).read_bytes()).hexdigest()[:16]
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    for root in zoneinfo.TZPATH:
        path = Path(root, key)
        if path.is_file():
            return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return "?"


def _kept_since(start: datetime) -> datetime:
    """From when a result is kept for a report starting at `start` (a local midnight): the
    first day of its quarter less one, in UTC (no zone is a day from UTC), so a quarter's
    months and weeks share it."""
    day = (start + timedelta(days=1)).date()  # a day of the local quarter, whatever the zone
    first = datetime(day.year, 3 * ((day.month - 1) // 3) + 1, 1, tzinfo=UTC)
    return min(start, first - timedelta(days=1))


def report_lapses_many(session: Session, *, teams_: list[Team], rules: Mapping[int, Rules],
                       windows: Mapping[int, tuple[datetime, datetime, datetime]],
                       away_days: tuple[date, date], now: datetime,
                       offs: Mapping[int, list[date]] | None = None
                       ) -> dict[int, ReportLapses] | None:
    """Each team's lapses for its report window (team id -> (since, until, after): store/idle.py
    `lead_touches`), as of `now`; None when they cannot come from the store (the report then
    reads its leads as before): a `now` past the store's horizon, or a session that has
    written (its reads include its own uncommitted writes). `away_days`: the days whose away
    spells change a rep's calendar (the report's); `offs`: each team's days off when read
    already (store/teams.py `day_off_dates`; the report needs them too)."""
    if now > lapse_store.HORIZON or not teams_ or lapse_store.has_written(session):
        return None
    away = lapse_store.away_owners(session, workspace_ids={t.workspace_id for t in teams_},
                                   start=away_days[0], end_day=away_days[1])
    calendars: dict[int, tuple[str, Working, ZoneInfo]] = {}
    views: dict[int, lapse_store.Window] = {}
    for team in teams_:
        off = (offs[team.id] if offs is not None
               else teams.day_off_dates(session, team_id=team.id))
        calendars[team.id] = (fingerprint(team, off, rules[team.id]), team_working(team, off),
                              ZoneInfo(team.tz))
        _, until, after = windows[team.id]
        views[team.id] = lapse_store.Window(
            start=after, end=until, fingerprint=calendars[team.id][0],
            fresh_owners=away.get(team.workspace_id, frozenset()))
    kept = lapse_store.read(session, windows=views)
    stale = {team_id: k.stale for team_id, k in kept.items() if k.stale}
    if stale:
        results = _compute(session, stale, {t: calendars[t] for t in stale},
                           {t: _kept_since(views[t].start) for t in stale}, rules)
        lapse_store.keep(session.get_bind(), results)
        for team_id, leads in stale.items():
            view, found = views[team_id], kept[team_id].found
            for lead, (_, owner) in leads.items():
                for at in results[lead][3]:
                    if view.start <= at < view.end:
                        found.setdefault(owner, []).append((lead, at))
    fresh_windows = {t: windows[t] for t, k in kept.items() if k.fresh}
    fresh = idle_store.lead_touches_many(
        session, windows=fresh_windows,
        only={lead for k in kept.values() for lead in k.fresh}) if fresh_windows else {}
    return {team.id: ReportLapses(found=kept[team.id].found, leads=fresh.get(team.id, []),
                                  away=views[team.id].fresh_owners) for team in teams_}


def _compute(session: Session, stale: Mapping[int, Mapping[int, tuple[int, str]]],
             calendars: Mapping[int, tuple[str, Working, ZoneInfo]],
             since: Mapping[int, datetime], rules: Mapping[int, Rules]
             ) -> dict[int, tuple[int, str, datetime, list[datetime]]]:
    """The stale leads' lapses over all their events from `since` on, by the rule: customer
    id -> (the event version read before the events, fingerprint, since, lapses)."""
    read = idle_store.lead_touches_many(
        session, windows={t: (since[t], lapse_store.HORIZON, since[t]) for t in stale},
        only={lead for leads in stale.values() for lead in leads})
    results = {}
    for team_id, leads in stale.items():
        mark, working, tz = calendars[team_id]
        p = rules[team_id].points
        clock = WorkingClock(tz, working)  # type: ignore[arg-type]
        touches = {lead.customer_id: lead for lead in read.get(team_id, [])}
        for lead, (version, _) in leads.items():
            found = touches.get(lead)
            # Not read: closed before `since`, so no lapse from then on.
            marks = [] if found is None else lapses(
                found, now=lapse_store.HORIZON, hours=p.idle_lead_hours, tz=tz,
                working=working, stages=p.idle_lead_stages, after=since[team_id], clock=clock)
            results[lead] = (version, mark, since[team_id], marks)
    return results
