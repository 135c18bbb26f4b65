"""What the scheduled jobs know of a team: its zone, working days, people and times
(TeamInfo), and a team row's working-day test for handlers. A service, so the jobs and the
services they call share it without either importing the other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import Working, is_working_day, parse_hhmm
from bot.deps import Deps
from bot.slack.users import zone
from store import deliveries, teams
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

    def working(self, day: date) -> bool:
        return is_working_day(day, country=self.country, days_off=self.days_off)


def working_for(session: Session, team: Team) -> Working:
    """A team's working-day test from its row, for handlers (jobs have TeamInfo.working)."""
    off = frozenset(d.day for d in teams.days_off(session, team_id=team.id))
    return lambda day: is_working_day(day, country=team.holiday_country, days_off=off)


def team_infos(deps: Deps, team: str | None) -> list[TeamInfo]:
    """The teams a run covers (`team`, else all; in `deps.only_workspace` when set), less
    those of workspaces Pacer no longer serves (uninstalled: nothing is posted there)."""
    with deps.sessions() as session:
        scope = deps.only_workspace
        chosen: list[Team] = (
            [teams.find_team(session, name=team, workspace_id=scope)] if team
            else teams.all_teams(session, workspace_id=scope))
    served = {ws: deps.serves(ws) for ws in {row.workspace_id for row in chosen}}
    for ws in sorted(ws for ws, yes in served.items() if not yes):
        log.debug("skipping the teams of workspace %s: Pacer is not installed there", ws)
    with deps.sessions() as session:
        return [team_info(session, row, now=deps.clock.now()) for row in chosen
                if served[row.workspace_id]]


def team_info(session: Session, row: Team, *, now: datetime) -> TeamInfo:
    """What the jobs need to know of one team, its reps' stored zones included."""
    summary = next(s for s in teams.list_teams(session, workspace_id=row.workspace_id)
                   if s.name == row.name)
    reps = tuple(u for u in summary.members if not is_pseudonym(u))  # forgotten: no DMs
    # Every job asks this every minute: one query for the reps' stored zones.
    known = teams.members_by_id(session, workspace_id=row.workspace_id, user_ids=reps)
    zones = {}
    for user_id in reps:
        member = known.get(user_id) or teams.ensure_member(
            session, workspace_id=row.workspace_id, user_id=user_id, now=now)
        zones[user_id] = zone(member.tz_override or member.tz, row.tz)
    return TeamInfo(
        id=row.id, workspace_id=row.workspace_id, name=row.name, tz=row.tz,
        country=row.holiday_country,
        days_off=frozenset(d.day for d in teams.days_off(session, team_id=row.id)),
        created_at=deliveries.aware(row.created_at), reps=reps,
        stored_zones=zones, checkin_at=parse_hhmm(row.checkin_time, CHECKIN_TIME),
        brief_at=parse_hhmm(row.brief_time, BRIEF_TIME),
        report_at=parse_hhmm(row.report_time, time(17, 0)),
        name_quiet_reps=row.name_quiet_reps, managers=summary.managers,
        calibration_anchor=row.calibration_anchor, calibration_at=row.calibration_time)


