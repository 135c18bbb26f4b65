"""What the scheduled jobs know of a team: its zone, working days, people and times
(TeamInfo), and a team row's working-day test for handlers. A service, so the jobs and the
services they call share it without either importing the other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import Working, is_working_day, parse_hhmm
from bot.deps import Deps
from bot.services.tick_claims import TickClaims
from bot.slack.users import zone
from store import deliveries, rosters, teams
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

    def working(self, day: date) -> bool:
        return is_working_day(day, country=self.country, days_off=self.days_off)


def working_for(session: Session, team: Team) -> Working:
    """A team's working-day test from its row, for handlers (jobs have TeamInfo.working)."""
    off = frozenset(d.day for d in teams.days_off(session, team_id=team.id))
    return lambda day: is_working_day(day, country=team.holiday_country, days_off=off)


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
    return [_info(row, people.get(row.id, rosters.Roster()), off.get(row.id, ()))
            for row in chosen]


def team_info(session: Session, row: Team, *, now: datetime) -> TeamInfo:
    """What the jobs need to know of one team, its reps' stored zones included."""
    return _info(row, rosters.rosters(session, team_id=row.id).get(row.id, rosters.Roster()),
                 rosters.days_off(session, team_id=row.id).get(row.id, ()))


def _info(row: Team, roster: rosters.Roster, days_off: Iterable[date]) -> TeamInfo:
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
        channel_id=row.channel_id,
        joined={u: deliveries.aware(roster.joined[u]) for u in reps if u in roster.joined})


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
