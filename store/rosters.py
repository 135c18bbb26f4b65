"""Teams' people and days off for many teams at once: what a scheduler tick builds every
team's information from (bot/services/teams.py), in a few joined reads whatever the number
of teams, instead of a few queries per team."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from store.models import (
    AwaySpell,
    AwayStatusTeam,
    Member,
    Team,
    TeamHoliday,
    TeamMember,
)


@dataclass(frozen=True)
class Roster:
    """One team's people: user ids in order, managers apart, each with the zone stored for
    them (their own override first, else Slack's; None when neither is known)."""

    members: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    zones: dict[str, str | None] = field(default_factory=dict)
    joined: dict[str, datetime] = field(default_factory=dict)  # when each joined Pacer


def _scope(query, workspace_id: str | None, team_id: int | None):  # noqa: ANN001, ANN202
    if team_id is not None:
        return query.where(Team.id == team_id)
    if workspace_id:
        return query.where(Team.workspace_id == workspace_id)
    return query


def rosters(session: Session, *, workspace_id: str | None = None,
            team_id: int | None = None) -> dict[int, Roster]:
    """The people of every team (of the workspace, or the one team), by team id: one read."""
    rows = session.exec(_scope(
        select(TeamMember.team_id, Member.user_id, TeamMember.is_manager,
               Member.tz_override, Member.tz, Member.joined_at)
        .join(Member, Member.id == TeamMember.member_id)
        .join(Team, Team.id == TeamMember.team_id), workspace_id, team_id)
        .order_by(TeamMember.team_id, Member.user_id)).all()
    people: dict[int, list[tuple[str, bool, str | None, datetime]]] = {}
    for found_team, user_id, is_manager, override, tz, joined in rows:
        people.setdefault(found_team, []).append((user_id, is_manager, override or tz, joined))
    return {found_team: Roster(members=tuple(u for u, manager, _, _ in found if not manager),
                               managers=tuple(u for u, manager, _, _ in found if manager),
                               zones={u: tz for u, _, tz, _ in found},
                               joined={u: joined for u, _, _, joined in found})
            for found_team, found in people.items()}


def days_off(session: Session, *, workspace_id: str | None = None,
             team_id: int | None = None,
             team_ids: Collection[int] | None = None) -> dict[int, list[date]]:
    """Every team's own days off (of the workspace, the one team, or the teams `team_ids`),
    by team id: one read."""
    out: dict[int, list[date]] = {}
    query = (select(TeamHoliday.team_id, TeamHoliday.day)
             .join(Team, Team.id == TeamHoliday.team_id))
    if team_ids is not None:
        query = query.where(col(TeamHoliday.team_id).in_(sorted(team_ids)))
    for found_team, day in session.exec(_scope(query, workspace_id, team_id)
                                        .order_by(TeamHoliday.team_id, TeamHoliday.day)).all():
        out.setdefault(found_team, []).append(day)
    return out


def away(session: Session, *, since: date, workspace_id: str | None = None,
         team_id: int | None = None) -> dict[int, dict[str, tuple[tuple[date, date], ...]]]:
    """Every team's people's away spells not over before `since` (reps and managers), by
    team id then user id: one read whatever the number of teams (store/away.py keeps them)."""
    out: dict[int, dict[str, list[tuple[date, date]]]] = {}
    for found_team, user_id, first, last in session.exec(_scope(
            select(TeamMember.team_id, Member.user_id, AwaySpell.first_day, AwaySpell.last_day)
            .join(Member, Member.id == TeamMember.member_id)
            .join(Team, Team.id == TeamMember.team_id)
            .join(AwaySpell, (AwaySpell.workspace_id == Member.workspace_id)
                  & (AwaySpell.user_id == Member.user_id))
            .where(AwaySpell.last_day >= since), workspace_id, team_id)
            .order_by(TeamMember.team_id, Member.user_id, AwaySpell.first_day)).all():
        out.setdefault(found_team, {}).setdefault(user_id, []).append((first, last))
    return {found_team: {user: tuple(spans) for user, spans in people.items()}
            for found_team, people in out.items()}


def away_status_teams(session: Session, *, workspace_id: str | None = None,
                      team_id: int | None = None) -> set[int]:
    """The teams that read Slack's status as away (`/pacer team away-status`): one read."""
    return set(session.exec(_scope(
        select(AwayStatusTeam.team_id).join(Team, Team.id == AwayStatusTeam.team_id),
        workspace_id, team_id)).all())


@dataclass(frozen=True)
class StoredProfile:
    """What Pacer stored of a person's zone and language (bot/slack/users.py), and the zone
    of the team they log for (a rep's team first, else the first team they manage)."""

    tz: str | None
    locale: str | None
    tz_override: str | None
    locale_override: str | None
    checked_at: datetime | None  # when Slack's users.info was last asked; None: never
    team_tz: str


PROFILE_CHUNK = 1_000  # user ids per read: well under SQLite's and PostgreSQL's bind limits


def stored_profiles(session: Session, *, workspace_id: str,
                    user_ids: Iterable[str]) -> dict[str, StoredProfile]:
    """The stored profiles of many people of one workspace in a read per thousand (a tick
    after a restart reads everyone's at once, not person by person); Pacer's unknowns are
    absent. The team zone follows store/teams.py's team_for_user: a rep's team first, then
    the lowest team id."""
    wanted = sorted(set(user_ids))
    found: dict[str, StoredProfile] = {}
    for i in range(0, len(wanted), PROFILE_CHUNK):
        rows = session.exec(
            select(Member.user_id, Member.tz, Member.locale, Member.tz_override,
                   Member.locale_override, Member.profile_checked_at, Team.tz)
            .outerjoin(TeamMember, TeamMember.member_id == Member.id)
            .outerjoin(Team, Team.id == TeamMember.team_id)
            .where(Member.workspace_id == workspace_id,
                   col(Member.user_id).in_(wanted[i:i + PROFILE_CHUNK]))
            .order_by(Member.user_id, TeamMember.is_manager, Team.id)).all()
        for user_id, tz, locale, tz_override, locale_override, checked, team_tz in rows:
            if user_id not in found:  # the first row: the team they log for
                found[user_id] = StoredProfile(tz, locale, tz_override, locale_override,
                                               checked, team_tz or "UTC")
    return found


@dataclass(frozen=True)
class LogTeam:
    """The team a person logs for (as teams.team_for_user finds it), only what a /log's
    follow-up reads of it (bot/services/activity.py)."""

    id: int
    workspace_id: str
    tz: str
    currency: str
    holiday_country: str | None


def log_team(session: Session, *, workspace_id: str, user_id: str) -> LogTeam | None:
    """teams.team_for_user's answer as plain values: a Core read of five columns where the
    ORM built a Team (about half of a follow-up's team lookup)."""
    row = session.execute(_LOG_TEAM, {"workspace_id": workspace_id,
                                      "user_id": user_id}).first()
    return LogTeam(*row) if row is not None else None


# The team a person logs for (teams.team_for_user): the one they are a rep on, else one they
# manage. Built once: every /log's follow-up asks it, and building it cost more than running it.
_MEMBERSHIPS = (select(Team)
                .join(TeamMember, TeamMember.team_id == Team.id)
                .join(Member, Member.id == TeamMember.member_id)
                .where(Member.workspace_id == bindparam("workspace_id")))
TEAM_FOR_USER = (_MEMBERSHIPS.where(Member.user_id == bindparam("user_id"))
                 .order_by(TeamMember.is_manager, Team.id))
# The same query narrowed to the five columns `log_team` reads: one copy of the rule.
_LOG_TEAM = TEAM_FOR_USER.with_only_columns(
    Team.id, Team.workspace_id, Team.tz, Team.currency, Team.holiday_country).limit(1)


def log_teams(session: Session, *, workspace_id: str, user_ids: Iterable[str]
              ) -> dict[str, LogTeam | None]:
    """`log_team` for several people of a workspace in one read (the /log follow-ups queued
    together): each person's first row in TEAM_FOR_USER's order; None for one on no team."""
    wanted = sorted(set(user_ids))
    if len(wanted) == 1:
        return {wanted[0]: log_team(session, workspace_id=workspace_id, user_id=wanted[0])}
    found: dict[str, LogTeam | None] = dict.fromkeys(wanted)
    for user_id, *team in session.execute(_LOG_TEAMS, {"workspace_id": workspace_id,
                                                       "user_ids": wanted}).all():
        if found[user_id] is None:  # the first row: the team they log for
            found[user_id] = LogTeam(*team)
    return found


# The same rule for many people: their rows in TEAM_FOR_USER's order, person by person.
_LOG_TEAMS = (_MEMBERSHIPS.where(col(Member.user_id).in_(bindparam("user_ids", expanding=True)))
              .with_only_columns(Member.user_id, Team.id, Team.workspace_id, Team.tz,
                                 Team.currency, Team.holiday_country)
              .order_by(Member.user_id, TeamMember.is_manager, Team.id))
