"""Teams' people and days off for many teams at once: what a scheduler tick builds every
team's information from (bot/services/teams.py), in a few joined reads whatever the number
of teams, instead of a few queries per team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

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
             team_id: int | None = None) -> dict[int, list[date]]:
    """Every team's own days off (of the workspace, or the one team), by team id: one read."""
    out: dict[int, list[date]] = {}
    for found_team, day in session.exec(_scope(
            select(TeamHoliday.team_id, TeamHoliday.day)
            .join(Team, Team.id == TeamHoliday.team_id), workspace_id, team_id)
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
