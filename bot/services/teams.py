"""What the scheduled jobs know of a team: its zone, working days, people and times
(TeamInfo), and a team row's working-day test for handlers. A service, so the jobs and the
services they call share it without either importing the other.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import (
    Span,
    Working,
    away_until,
    is_working_day,
    parse_hhmm,
    person_working,
)
from bot.deps import Deps
from bot.scoring.rules import Rules
from bot.services.tick_claims import TickClaims
from bot.slack.users import zone
from store import away, deliveries, rosters, teams
from store.models import Team
from store.privacy import is_pseudonym

log = logging.getLogger(__name__)

# Defaults of the teams' own times (Team.checkin_time, brief_time; `pacer team times`).
CHECKIN_TIME = time(9, 30)
# "Before the end of Friday" (seed 000): Friday afternoon, in each rep's own zone.
BRIEF_TIME = time(15, 0)


@dataclass(frozen=True)
class TeamInfo:
    id: int
    workspace_id: str
    name: str
    tz: str
    country: str | None
    days_off: frozenset[date]
    created_at: datetime
    reps: tuple[str, ...]
    stored_zones: dict[str, ZoneInfo]  # each rep's zone as last stored (no Slack call)
    checkin_at: time = CHECKIN_TIME
    brief_at: time = BRIEF_TIME
    report_at: time = time(17, 0)  # the Friday report, team time
    name_quiet_reps: bool = False  # the team opted in to naming who logged nothing
    managers: tuple[str, ...] = ()
    calibration_anchor: date | None = None  # the team's cadence (bot/services/calibration.py)
    calibration_at: str = "10:00"
    channel_id: str | None = None  # the team's channel (reports post their summaries there)
    joined: dict[str, datetime] = field(default_factory=dict)  # each rep's joining, UTC
    # Each person's away spells (reps and managers; /pacer away), from AWAY_BACK ago on.
    away: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    away_status: bool = False  # Slack's status counts as away (`/pacer team away-status`)
    channel_lang: str = "auto"  # the channel posts' language setting (store.teams.CHANNEL_LANGS)
    rules_json: str = "{}"  # the team's overrides of the scoring rules, as stored (Team.rules)

    @property
    def rules(self) -> Rules:
        """The team's scoring rules (bot/services/reports.py rules_for, from the row read with
        the team's information: no read per team). Raises ValueError on bad overrides."""
        return rules_of(self.rules_json)

    def working(self, day: date) -> bool:
        return _working_day(self.country, self.days_off, day)

    def working_for(self, user_id: str) -> Working:
        """`user_id`'s working days: the team's, less their away days."""
        return person_working(self.working, self.away.get(user_id, ()))

    def away_on(self, day: date) -> dict[str, date]:
        """The reps away on `day`, each with the last day of their leave (the overview)."""
        return {rep: last for rep in self.reps
                if (last := away_until(day, self.away.get(rep, ()))) is not None}


# Each calendar's (country, days off) answers, remembered: the jobs ask about the same few
# weeks of days thousands of times a tick (every rep's, pair's and review's steps), and most
# teams share a calendar. Bounded: forgotten all at once past these sizes.
_CALENDARS: dict[tuple[str | None, frozenset[date]], dict[date, bool]] = {}
CALENDARS_MAX, DAYS_MAX = 4096, 4096


def _working_day(country: str | None, days_off: frozenset[date], day: date) -> bool:
    days = _CALENDARS.get((country, days_off))
    if days is None or len(days) >= DAYS_MAX:
        if len(_CALENDARS) >= CALENDARS_MAX:
            _CALENDARS.clear()
        days = _CALENDARS[(country, days_off)] = {}
    known = days.get(day)
    if known is None:
        known = days[day] = is_working_day(day, country=country, days_off=days_off)
    return known


def channel_langs(setting: str, manager_lang: str) -> tuple[str, ...]:
    """The languages a team's channel post is written in, in order, from its setting and its
    first manager's language (English when it has none): "auto" is that language alone,
    "both" that language first and the other after it; an unknown setting reads as "auto"
    (a value stored by a newer version must not stop the reports)."""
    other = "en" if manager_lang == "zh" else "zh"
    return {"en": ("en",), "zh": ("zh",), "zh+en": ("zh", "en"), "en+zh": ("en", "zh"),
            "both": (manager_lang, other)}.get(setting, (manager_lang,))


def working_for(session: Session, team: Team) -> Working:
    """A team's working-day test from its row, for handlers (jobs have TeamInfo.working)."""
    off = frozenset(d.day for d in teams.days_off(session, team_id=team.id))
    return lambda day: is_working_day(day, country=team.holiday_country, days_off=off)


def person_working_for(session: Session, team: Team, user_id: str, *, today: date) -> Working:
    """A person's working-day test for handlers: their team's days less their away days
    (spells from AWAY_BACK before `today` on)."""
    spans = away.spans(session, workspace_id=team.workspace_id, user_ids=[user_id],
                       start=today - AWAY_BACK, end_day=date.max).get(user_id, ())
    return person_working(working_for(session, team), spans)


def team_away(session: Session, team: Team, now: datetime) -> dict[str, tuple[Span, ...]]:
    """The away spells of a team's people (reps and managers) from AWAY_BACK before `now`,
    by user id: what TeamInfo.away holds, for a team row."""
    return rosters.away(session, team_id=team.id, since=now.date() - AWAY_BACK).get(team.id, {})


# How far back TeamInfo reads away spells: a year, so a calibration moved for a leave months
# ago stays where it moved in the history.
AWAY_BACK = timedelta(days=370)


def team_infos(deps: Deps, team: str | None) -> list[TeamInfo]:
    """The teams a run covers (`team`, else all; in `deps.only_workspace` when set), less
    those of workspaces Pacer no longer serves (uninstalled: nothing is posted there).

    Built from a few joined reads whatever the number of teams; inside a scheduler tick
    (`shared_tick`) built once per minute and shared by every job of that tick."""
    shared = _SHARED.get()
    if shared is None:
        return _build_infos(deps, team)
    return shared.infos(deps, team)


def _build_infos(deps: Deps, team: str | None,
                 keep: Callable[[list[int]], set[int]] | None = None) -> list[TeamInfo]:
    """`keep`: given the teams' ids, those to build (a scheduler process's share of the
    minute; the others' people are not read)."""
    scope = deps.only_workspace
    with deps.sessions() as session:
        chosen: list[Team] = (
            [teams.find_team(session, name=team, workspace_id=scope)] if team
            else teams.all_teams(session, workspace_id=scope))
    served = {ws: deps.serves(ws) for ws in {row.workspace_id for row in chosen}}
    for ws in sorted(ws for ws, yes in served.items() if not yes):
        log.debug("skipping the teams of workspace %s: Pacer is not installed there", ws)
    chosen = [row for row in chosen if served[row.workspace_id]]
    if keep is not None:
        mine = keep([row.id for row in chosen])
        chosen = [row for row in chosen if row.id in mine]
    if not chosen:
        return []
    one = chosen[0].id if team else None
    with deps.sessions() as session:
        people = rosters.rosters(session, workspace_id=scope, team_id=one)
        off = rosters.days_off(session, workspace_id=scope, team_id=one)
        gone = rosters.away(session, workspace_id=scope, team_id=one,
                            since=deps.clock.now().date() - AWAY_BACK)
        status = rosters.away_status_teams(session, workspace_id=scope, team_id=one)
    return [_info(row, people.get(row.id, rosters.Roster()), off.get(row.id, ()),
                  gone.get(row.id, {}), row.id in status)
            for row in chosen]


def team_info(session: Session, row: Team, *, now: datetime) -> TeamInfo:
    """What the jobs need to know of one team, its reps' stored zones included."""
    return _info(row, rosters.rosters(session, team_id=row.id).get(row.id, rosters.Roster()),
                 rosters.days_off(session, team_id=row.id).get(row.id, ()),
                 rosters.away(session, team_id=row.id, since=now.date() - AWAY_BACK)
                 .get(row.id, {}), bool(rosters.away_status_teams(session, team_id=row.id)))


def _info(row: Team, roster: rosters.Roster, days_off: Iterable[date],
          gone: dict[str, tuple[Span, ...]] | None = None, away_status: bool = False
          ) -> TeamInfo:
    reps = tuple(u for u in roster.members if not is_pseudonym(u))  # forgotten: no DMs
    return TeamInfo(
        id=row.id, workspace_id=row.workspace_id, name=row.name, tz=row.tz,
        country=row.holiday_country, days_off=frozenset(days_off),
        created_at=deliveries.aware(row.created_at), reps=reps,
        stored_zones={u: zone(roster.zones.get(u), row.tz) for u in reps},
        checkin_at=parse_hhmm(row.checkin_time, CHECKIN_TIME),
        brief_at=parse_hhmm(row.brief_time, BRIEF_TIME),
        report_at=parse_hhmm(row.report_time, time(17, 0)),
        name_quiet_reps=row.name_quiet_reps, managers=roster.managers,
        calibration_anchor=row.calibration_anchor, calibration_at=row.calibration_time,
        channel_id=row.channel_id, channel_lang=row.channel_lang,
        joined={u: deliveries.aware(roster.joined[u]) for u in reps if u in roster.joined},
        away=dict(gone or {}), away_status=away_status, rules_json=row.rules or "{}")


@lru_cache(maxsize=256)
def rules_of(overrides: str) -> Rules:
    """Rules from a team's stored overrides (JSON), parsed once per distinct text: most teams
    share the defaults, and parsing (type hints, checks) cost a fifth of the alerts job. Rules
    are frozen; shared between the teams with the same overrides."""
    return Rules.from_mapping(json.loads(overrides or "{}"))


class SharedTick:
    """Team information of the current minute, built by the first job of a scheduler tick
    and read by the others (each job runs in a thread of its own). A change to a team made
    during a minute is seen from the next tick on.

    With `claims` (the scheduler's), only the teams this process claimed for the minute
    (bot/services/tick_claims.py): several processes on one database split the teams."""

    def __init__(self, claims: TickClaims | None = None) -> None:
        self._lock = threading.Lock()
        self._minute: datetime | None = None
        self._built: dict[tuple[str | None, str | None], list[TeamInfo]] = {}
        self.claims = claims
        self.mine: set[int] = set()  # the teams claimed for the minute
        self._asked: set[int] = set()  # the teams a claim was made over this minute

    def infos(self, deps: Deps, team: str | None) -> list[TeamInfo]:
        minute = deps.clock.now().replace(second=0, microsecond=0)
        key = (deps.only_workspace, team)
        with self._lock:  # jobs starting together wait for one build rather than each build
            if minute != self._minute:
                self._minute, self._built = minute, {}
                self.mine, self._asked = set(), set()
            if key not in self._built:
                keep = None if self.claims is None else (
                    lambda ids: self._claim(deps, minute, ids))
                self._built[key] = _build_infos(deps, team, keep)
            return self._built[key]

    def _claim(self, deps: Deps, minute: datetime, ids: list[int]) -> set[int]:
        """This process's teams of `ids` this minute: claimed once per team and minute."""
        fresh = [i for i in ids if i not in self._asked]
        if fresh:
            self.mine |= self.claims.share(deps, minute, fresh)
            self._asked.update(fresh)
        return self.mine


_SHARED: ContextVar[SharedTick | None] = ContextVar("pacer_shared_tick", default=None)


@contextmanager
def shared_tick(shared: SharedTick) -> Iterator[None]:
    """Within this block (one job's run in a scheduler tick), team_infos reads `shared`."""
    token = _SHARED.set(shared)
    try:
        yield
    finally:
        _SHARED.reset(token)
