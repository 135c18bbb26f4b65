"""Workspaces, teams and members: who is who, on which team, managed by whom."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store import rosters
from store.models import ROLES, Member, Team, TeamHoliday, TeamMember, Workspace, max_length
from store.workspaces import ensure_workspace


class TeamError(ValueError):
    """A team operation that cannot be done: a catalogue code (teamerr.*) and its params."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class TeamSummary:
    name: str
    channel_id: str | None
    tz: str
    currency: str
    managers: tuple[str, ...]
    members: tuple[str, ...]
    workspace_id: str = ""
    channel_lang: str = "auto"


@dataclass(frozen=True)
class Actor:
    """Who someone is in a workspace, as far as permissions go: read here (actor()), judged
    by bot/permissions.py's policy (decide()), which imports it from here."""

    user_id: str
    role: str = "rep"  # rep | manager | admin (workspace-wide)
    manages: frozenset[int] = field(default_factory=frozenset)  # team ids
    teams: frozenset[int] = field(default_factory=frozenset)  # team ids they are on

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def check_tz(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TeamError("unknown_tz", tz=tz) from exc
    return tz


def ensure_member(session: Session, *, workspace_id: str, user_id: str, now: datetime) -> Member:
    member = session.exec(
        select(Member).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    ).first()
    if member is None:
        ensure_workspace(session, workspace_id=workspace_id, now=now)
        member = Member(workspace_id=workspace_id, user_id=user_id, joined_at=now)
        try:
            with session.begin_nested():  # two first requests of one person at once
                session.add(member)
        except IntegrityError:
            member = session.exec(select(Member).where(
                Member.workspace_id == workspace_id, Member.user_id == user_id)).one()
    return member


def members_by_id(session: Session, *, workspace_id: str,
                  user_ids: Sequence[str]) -> dict[str, Member]:
    """The stored members among `user_ids`, by user id (those Pacer never saw are absent)."""
    if not user_ids:
        return {}
    return {m.user_id: m for m in session.exec(select(Member).where(
        Member.workspace_id == workspace_id, col(Member.user_id).in_(list(user_ids)))).all()}


def _team(session: Session, *, workspace_id: str, name: str) -> Team:
    team = session.exec(
        select(Team).where(Team.workspace_id == workspace_id, Team.name == name)
    ).first()
    if team is None:
        raise TeamError("no_team", name=name)
    return team


def _join(session: Session, team: Team, user_ids: Sequence[str], *, manager: bool,
          now: datetime) -> None:
    for user_id in user_ids:
        member = ensure_member(session, workspace_id=team.workspace_id, user_id=user_id, now=now)
        if manager and member.role == "rep":
            member.role = "manager"
        link = session.get(TeamMember, (team.id, member.id))
        if link is None:
            session.add(TeamMember(team_id=team.id, member_id=member.id, is_manager=manager))
        elif manager:
            link.is_manager = True
    session.flush()


def create_team(session: Session, *, workspace_id: str, name: str, channel_id: str | None,
                managers: Sequence[str], members: Sequence[str], tz: str, currency: str,
                now: datetime) -> Team:
    name = name.strip()
    if not name:
        raise TeamError("no_name")
    if len(name) > max_length(Team, "name"):
        raise TeamError("name_too_long", max=str(max_length(Team, "name")))
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise TeamError("unknown_currency", currency=currency)
    ensure_workspace(session, workspace_id=workspace_id, now=now)
    exists = session.exec(
        select(Team.id).where(Team.workspace_id == workspace_id, Team.name == name)
    ).first()
    if exists is not None:
        raise TeamError("exists", name=name)
    team = Team(workspace_id=workspace_id, name=name, channel_id=channel_id, tz=check_tz(tz),
                currency=currency.upper(), created_at=now)
    session.add(team)
    session.flush()
    _join(session, team, managers, manager=True, now=now)
    _join(session, team, [u for u in members if u not in managers], manager=False, now=now)
    return team


def add_members(session: Session, *, workspace_id: str, name: str, user_ids: Sequence[str],
                now: datetime) -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    _join(session, team, user_ids, manager=False, now=now)
    return team


def list_teams(session: Session, *, workspace_id: str | None = None) -> list[TeamSummary]:
    """Every team (of the workspace) with its people: two reads, whatever the number."""
    query = select(Team).order_by(Team.workspace_id, Team.name)
    if workspace_id:
        query = query.where(Team.workspace_id == workspace_id)
    people = rosters.rosters(session, workspace_id=workspace_id)
    summaries = []
    for team in session.exec(query).all():
        roster = people.get(team.id, rosters.Roster())
        summaries.append(TeamSummary(
            name=team.name, channel_id=team.channel_id, tz=team.tz, currency=team.currency,
            managers=roster.managers, members=roster.members, workspace_id=team.workspace_id,
            channel_lang=team.channel_lang,
        ))
    return summaries


def team_for_channel(session: Session, *, workspace_id: str,
                     channel_id: str | None) -> Team | None:
    if not channel_id:
        return None
    return session.exec(select(Team).where(Team.workspace_id == workspace_id,
                                           Team.channel_id == channel_id)).first()


def team_for_user(session: Session, *, workspace_id: str, user_id: str) -> Team | None:
    """The team a person logs for: the one they are a rep on, else one they manage."""
    return session.exec(rosters.TEAM_FOR_USER, params={  # type: ignore[call-overload]
        "workspace_id": workspace_id, "user_id": user_id}).first()


def all_teams(session: Session, *, workspace_id: str | None = None) -> list[Team]:
    query = select(Team).order_by(Team.workspace_id, Team.name)
    if workspace_id:
        query = query.where(Team.workspace_id == workspace_id)
    return list(session.exec(query).all())


def only_team(session: Session, *, workspace_id: str | None = None) -> Team:
    """The one team there is (in the workspace, if given), for commands that may leave
    --team out."""
    query = select(Team).limit(2)
    if workspace_id:
        query = query.where(Team.workspace_id == workspace_id)
    found = session.exec(query).all()
    if len(found) != 1:
        raise TeamError("choose_team" if found else "no_teams")
    return found[0]


def find_team(session: Session, *, name: str | None,
              workspace_id: str | None = None) -> Team | None:
    """The team called `name` (in the workspace, if given). Two workspaces may both have a
    team "East": without a workspace, a name they share is an error, never a guess."""
    if not name:
        return None
    query = select(Team).where(Team.name == name).order_by(Team.workspace_id)
    if workspace_id:
        query = query.where(Team.workspace_id == workspace_id)
    teams = session.exec(query).all()
    if not teams:
        raise TeamError("no_team", name=name)
    if len(teams) > 1:
        raise TeamError("ambiguous_team", name=name, first=teams[0].workspace_id,
                        workspaces=", ".join(t.workspace_id for t in teams))
    return teams[0]


def workspace_scope(session: Session, *, team: str | None,
                    workspace_id: str | None) -> tuple[str | None, Team | None]:
    """What a CLI command with --team and --workspace covers: the named team (and its
    workspace), else the given workspace, else the only workspace (None when there is none
    yet). Several workspaces and nothing to tell them apart is an error naming them."""
    if workspace_id and session.get(Workspace, workspace_id) is None:
        raise TeamError("no_workspace", workspace=workspace_id)
    found = find_team(session, name=team, workspace_id=workspace_id)
    if found is not None:
        return found.workspace_id, found
    if workspace_id:
        return workspace_id, None
    known = session.exec(select(Workspace.id).order_by(Workspace.id)).all()
    if len(known) > 1:
        raise TeamError("choose_workspace", workspaces=", ".join(known))
    return (known[0] if known else None), None


def teams_in_scope(session: Session, *, team: str | None,
                   workspace_id: str | None) -> list[Team]:
    """The teams a CLI export covers: the named one, else every team of the one workspace
    (workspace_scope says which, or raises)."""
    scope, found = workspace_scope(session, team=team, workspace_id=workspace_id)
    if found is not None:
        return [found]
    return all_teams(session, workspace_id=scope) if scope else []


def actor(session: Session, *, workspace_id: str, user_id: str) -> Actor:
    """What the permission policy needs to know about a person."""
    member = session.exec(
        select(Member).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    ).first()
    if member is None:
        return Actor(user_id=user_id)
    links = session.exec(select(TeamMember).where(TeamMember.member_id == member.id)).all()
    return Actor(user_id=user_id, role=member.role,
                 manages=frozenset(link.team_id for link in links if link.is_manager),
                 teams=frozenset(link.team_id for link in links))


def teams_of(session: Session, *, workspace_id: str, user_id: str) -> frozenset[int]:
    return actor(session, workspace_id=workspace_id, user_id=user_id).teams


def get_team(session: Session, *, workspace_id: str, name: str) -> Team:
    return _team(session, workspace_id=workspace_id, name=name)


def remove_members(session: Session, *, workspace_id: str, name: str,
                   user_ids: Sequence[str]) -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    for user_id in user_ids:
        member = session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                                   Member.user_id == user_id)).first()
        link = session.get(TeamMember, (team.id, member.id)) if member else None
        if link is None:
            raise TeamError("not_on_team", user=user_id, name=team.name)
        session.delete(link)
    session.flush()
    return team


def add_managers(session: Session, *, workspace_id: str, name: str, user_ids: Sequence[str],
                 now: datetime) -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    _join(session, team, user_ids, manager=True, now=now)
    return team


def set_channel(session: Session, *, workspace_id: str, name: str, channel_id: str) -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    team.channel_id = channel_id
    session.add(team)
    return team


TIMES = ("checkin", "brief", "report")


def set_time(session: Session, *, workspace_id: str, name: str, which: str,
             at: str) -> Team:
    """When a team's check-in reminder, brief request or Friday report goes out (HH:MM)."""
    team = _team(session, workspace_id=workspace_id, name=name)
    if which not in TIMES:
        raise TeamError("unknown_time", which=which)
    try:
        parsed = datetime.strptime(at.strip(), "%H:%M")
    except ValueError as exc:
        raise TeamError("bad_time", at=at) from exc
    setattr(team, f"{which}_time", f"{parsed:%H:%M}")
    session.add(team)
    return team


def set_calibration(session: Session, *, workspace_id: str, name: str, anchor: date | None,
                    at: str | None) -> Team:
    """The team's calibration cadence: every two weeks from `anchor` at `at` (HH:MM, team
    time). Either may be left as it is (None)."""
    team = _team(session, workspace_id=workspace_id, name=name)
    if at is not None:
        try:
            team.calibration_time = f"{datetime.strptime(at.strip(), '%H:%M'):%H:%M}"
        except ValueError as exc:
            raise TeamError("bad_time", at=at) from exc
    if anchor is not None:
        team.calibration_anchor = anchor
    session.add(team)
    session.flush()
    return team


# A team's channel-post languages; "both" puts the first manager's language first.
CHANNEL_LANGS = ("auto", "en", "zh", "both", "zh+en", "en+zh")


def set_channel_lang(session: Session, *, workspace_id: str, name: str, value: str) -> Team:
    """The language(s) the team's channel posts are written in (CHANNEL_LANGS); the DMs keep
    each person's own language."""
    team = _team(session, workspace_id=workspace_id, name=name)
    if value not in CHANNEL_LANGS:
        raise TeamError("bad_channel_lang", value=value)
    team.channel_lang = value
    session.add(team)
    return team


def set_name_quiet_reps(session: Session, *, workspace_id: str, name: str, on: bool) -> Team:
    """Whether the Friday summary names reps who logged nothing (by default it only counts)."""
    team = _team(session, workspace_id=workspace_id, name=name)
    team.name_quiet_reps = on
    session.add(team)
    return team


def set_tz(session: Session, *, workspace_id: str, name: str, tz: str) -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    team.tz = check_tz(tz)
    session.add(team)
    return team


def check_country(country: str) -> str:
    import holidays

    code = country.strip().upper()
    if code not in holidays.list_supported_countries():
        raise TeamError("unknown_country", country=country)
    return code


def set_holiday_country(session: Session, *, workspace_id: str, name: str,
                        country: str | None) -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    team.holiday_country = check_country(country) if country else None
    session.add(team)
    return team


def add_day_off(session: Session, *, workspace_id: str, name: str, day: date,
                label: str = "") -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    existing = session.get(TeamHoliday, (team.id, day))
    if existing is None:
        session.add(TeamHoliday(team_id=team.id, day=day, name=label[:100]))
    else:
        existing.name = label[:100] or existing.name
    session.flush()
    return team


def remove_day_off(session: Session, *, workspace_id: str, name: str, day: date) -> Team:
    team = _team(session, workspace_id=workspace_id, name=name)
    existing = session.get(TeamHoliday, (team.id, day))
    if existing is None:
        raise TeamError("not_day_off", day=day.isoformat(), name=team.name)
    session.delete(existing)
    session.flush()
    return team


def days_off(session: Session, *, team_id: int) -> list[TeamHoliday]:
    return list(session.exec(
        select(TeamHoliday).where(TeamHoliday.team_id == team_id).order_by(TeamHoliday.day)
    ).all())


def day_off_dates(session: Session, *, team_id: int) -> list[date]:
    """The days of `days_off` alone, in order (a report's working days), without loading
    the rows as objects."""
    H = TeamHoliday.__table__
    return list(session.exec(select(H.c.day).where(H.c.team_id == team_id)
                             .order_by(H.c.day)).all())


def set_role(session: Session, *, workspace_id: str, user_id: str, role: str,
             now: datetime) -> Member:
    if role not in ROLES:
        raise TeamError("unknown_role", role=role)
    member = ensure_member(session, workspace_id=workspace_id, user_id=user_id, now=now)
    member.role = role
    session.add(member)
    return member


def set_own_tz(session: Session, *, workspace_id: str, user_id: str, tz: str | None,
               now: datetime) -> Member:
    """A person's own time zone, winning over Slack's; None goes back to Slack's."""
    member = ensure_member(session, workspace_id=workspace_id, user_id=user_id, now=now)
    member.tz_override = check_tz(tz) if tz else None
    session.add(member)
    return member


def remember_slack_profile(session: Session, *, workspace_id: str, user_id: str,
                           tz: str | None, locale: str | None, now: datetime) -> Member:
    """What Slack's users.info said of a person's zone and language, and when it was asked."""
    member = ensure_member(session, workspace_id=workspace_id, user_id=user_id, now=now)
    member.tz, member.locale, member.profile_checked_at = tz, locale, now
    session.add(member)
    return member


def set_own_locale(session: Session, *, workspace_id: str, user_id: str, locale: str | None,
                   now: datetime) -> Member:
    """A person's own language ("en", "zh"), winning over Slack's; None goes back to Slack's."""
    member = ensure_member(session, workspace_id=workspace_id, user_id=user_id, now=now)
    member.locale_override = locale
    session.add(member)
    return member


def rule_overrides(session: Session, *, team_id: int) -> dict:
    """The team's overrides of the default scoring rules (a nested mapping)."""
    team = session.get(Team, team_id)
    return json.loads(team.rules or "{}") if team else {}


def set_rule_overrides(session: Session, *, team_id: int, overrides: dict) -> None:
    team = session.get(Team, team_id)
    team.rules = json.dumps(overrides, sort_keys=True, default=str)
    session.add(team)


def admins(session: Session, *, workspace_id: str) -> list[str]:
    """The workspace's Pacer admins (HR), by user id."""
    return list(session.exec(
        select(Member.user_id).where(Member.workspace_id == workspace_id,
                                     Member.role == "admin").order_by(Member.user_id)
    ).all())


def escalation_for(session: Session, *, workspace_id: str, manager_user_id: str) -> list[str]:
    """Who hears when a manager's step is late: the manager's own managers (the managers of
    any team the manager is a plain member of, e.g. a 'Sales leads' team), else the admins.
    Never the manager themself."""
    member = aliased(Member)
    above = session.exec(
        select(Member.user_id).distinct()
        .join(TeamMember, TeamMember.member_id == Member.id)
        .where(TeamMember.is_manager == True,  # noqa: E712 - SQL, not Python truth
               TeamMember.team_id.in_(
                   select(TeamMember.team_id)
                   .join(member, member.id == TeamMember.member_id)
                   .where(member.workspace_id == workspace_id,
                          member.user_id == manager_user_id,
                          TeamMember.is_manager == False)),  # noqa: E712
               Member.user_id != manager_user_id)
        .order_by(Member.user_id)
    ).all()
    return list(above) or [u for u in admins(session, workspace_id=workspace_id)
                           if u != manager_user_id]


def without_team(session: Session, *, workspace_id: str) -> list[str]:
    """People Pacer knows in the workspace who are on no team (admins aside)."""
    return list(session.exec(
        select(Member.user_id).where(Member.workspace_id == workspace_id,
                                     Member.role != "admin",
                                     ~Member.id.in_(select(TeamMember.member_id)))
        .order_by(Member.user_id)).all())


def team_by_id(session: Session, *, team_id: int) -> Team | None:
    return session.get(Team, team_id)
