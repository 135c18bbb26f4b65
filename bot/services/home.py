"""Each person's App Home (SPEC §4): what it shows, gathered from what the commands already
compute, as plain data (bot/render/home.py draws it; bot/jobs/home.py publishes it).

A rep sees their week and month on each team (points, KBI pace, targets with the ±15% band),
their next calibration, their action items, quick buttons, how their reminders and alerts
reach them (quiet hours, digest, the Friday brief request) with the commands to change it;
a manager each team they manage (who is behind, idle leads, calibrations due and waiting for
minutes, the month's top 5); an admin the setup status; everyone what waits for them in the
review cycle. Only the person's own parts are computed: a rep's numbers come from
team_report(user_ids=[rep]).

Published when they open the Home, when they press something on it, and by the `home` job a
minute (at most once a minute) after what it shows changed (bot/jobs/home.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.periods import month_period, week_period
from bot.deps import Deps, Who
from bot.scoring.kbi import BEHIND, KbiPace
from bot.scoring.leaderboard import Leaderboard
from bot.services import calibration as cal
from bot.services.idle import team_waiting
from bot.services.reports import RepReport, TeamReport, rules_for, team_report
from bot.services.review import Step, pending_steps
from store import actions, checkins, deliveries, prefs, teams, workspaces
from store.models import ActionItem, Team

ESCALATE_HOURS = 72  # working hours, as the alerts job escalates idle leads
TROUBLE_DAYS = 7
INSTALL_STATES = ("oauth", "token", "uninstalled", "missing")  # SetupPart.install


@dataclass(frozen=True)
class RepPart:
    """A rep's own numbers on one team."""

    team: str
    currency: str
    week: TeamReport
    month: TeamReport
    rep: str
    calibration: cal.Occurrence | None

    @property
    def week_rep(self) -> RepReport | None:
        return self.week.reps.get(self.rep)

    @property
    def month_rep(self) -> RepReport | None:
        return self.month.reps.get(self.rep)


@dataclass(frozen=True)
class IdleLine:
    name: str
    owner: str
    hours: int
    key: bool

    @property
    def escalated(self) -> bool:
        """Past 72 h: the managers were alerted too."""
        return self.hours >= ESCALATE_HOURS


@dataclass(frozen=True)
class TeamPart:
    """A team as its manager sees it."""

    team: str
    behind: tuple[tuple[str, KbiPace], ...]  # reps behind the week's touch pace
    idle: tuple[IdleLine, ...]  # leads idle over 48 h, the longest first
    due: tuple[cal.Occurrence, ...]  # calibrations still to happen this (team) week
    waiting: tuple[cal.Occurrence, ...]  # held by the clock, no minutes yet
    month: TeamReport
    board: Leaderboard


@dataclass(frozen=True)
class SetupPart:
    """What an admin should fix, and how Pacer is installed."""

    no_manager: tuple[str, ...]
    no_channel: tuple[str, ...]
    no_country: tuple[str, ...]
    without_team: tuple[str, ...]
    install: str  # INSTALL_STATES; missing: OAuth, but no bot token stored
    installed_at: datetime | None
    uninstalled_at: datetime | None
    troubles: tuple[deliveries.Trouble, ...]


@dataclass(frozen=True)
class Dashboard:
    user_id: str
    now: datetime
    reps: tuple[RepPart, ...]
    teams: tuple[TeamPart, ...]
    setup: SetupPart | None
    items: tuple[ActionItem, ...]
    steps: tuple[Step, ...]  # review steps waiting for them
    checked_in: bool
    prefs: prefs.Prefs = prefs.Prefs()  # quiet hours, digest, brief request: their settings line

    @property
    def known(self) -> bool:
        return bool(self.reps or self.teams or self.setup)

    def others(self) -> set[str]:
        """People whose time zone the view shows beside the reader's (calibration partners)."""
        found = {p.calibration.pair.manager for p in self.reps if p.calibration}
        return found - {self.user_id}


def gather(session: Session, deps: Deps, who: Who, now: datetime) -> Dashboard:
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    rep_teams = sorted(actor.teams - actor.manages)
    reps = tuple(_rep_part(session, teams.team_by_id(session, team_id=team_id), who.user_id,
                           now)
                 for team_id in rep_teams)
    managed = tuple(_team_part(session, teams.team_by_id(session, team_id=team_id), now)
                    for team_id in sorted(actor.manages))
    items = actions.listed(session, workspace_id=who.workspace_id, owner=who.user_id,
                           team_ids=sorted(actor.teams), reps=[who.user_id])
    # Items about the person's work (owner or rep), not the rest of a manager's team.
    items = [i for i in items if who.user_id in (i.owner_user_id, i.rep_user_id)]
    checked_in = rep_teams and checkins.get(session, workspace_id=who.workspace_id,
                                            user_id=who.user_id,
                                            day=now.astimezone(who.profile.tz).date())
    return Dashboard(
        user_id=who.user_id, now=now, reps=reps, teams=managed,
        setup=_setup(session, deps, who.workspace_id, now) if actor.is_admin else None,
        items=tuple(items), steps=tuple(pending_steps(session, deps, who)),
        checked_in=bool(checked_in),
        prefs=prefs.get(session, workspace_id=who.workspace_id, user_id=who.user_id))


def _rep_part(session: Session, team: Team, rep: str, now: datetime) -> RepPart:
    today = now.astimezone(ZoneInfo(team.tz)).date()
    rules = rules_for(session, team.id)
    week, month = (team_report(session, team=team, period=period, now=now, rules=rules,
                               user_ids=[rep])
                   for period in (week_period(today), month_period(today)))
    info = cal.info_of(session, team.id, now)
    pair = cal.pair_of(session, info, rep) if info else None
    return RepPart(team=team.name, currency=team.currency, week=week, month=month, rep=rep,
                   calibration=cal.next_occurrence(session, pair, now) if pair else None)


def _team_part(session: Session, team: Team, now: datetime) -> TeamPart:
    tz = ZoneInfo(team.tz)
    today = now.astimezone(tz).date()
    rules = rules_for(session, team.id)
    week_p = week_period(today)
    week = team_report(session, team=team, period=week_p, now=now, rules=rules)
    month = team_report(session, team=team, period=month_period(today), now=now, rules=rules)
    behind = tuple((user, rep.kbis[0]) for user, rep in sorted(week.reps.items())
                   if rep.kbis and rep.kbis[0].status == BEHIND)
    # Waiting over 48 working hours, the rule the points and the alerts job apply.
    idle = tuple(IdleLine(lead.name, lead.owner, lead.hours, lead.key)
                 for lead in sorted(team_waiting(session, team, now),
                                    key=lambda lead: lead.since))
    due, waiting = [], []
    info = cal.info_of(session, team.id, now)
    for pair in cal.team_pairs(session, info):
        upcoming = cal.next_occurrence(session, pair, now)
        if upcoming is not None and upcoming.at.astimezone(tz).date() <= week_p.end:
            due.append(upcoming)
        waiting += cal.awaiting_minutes(session, pair, now)
    return TeamPart(team=team.name, behind=behind, idle=idle,
                    due=tuple(sorted(due, key=lambda o: o.at)),
                    waiting=tuple(sorted(waiting, key=lambda o: o.at)), month=month,
                    board=month.board("points", rules))


def _setup(session: Session, deps: Deps, workspace_id: str, now: datetime) -> SetupPart:
    summaries = teams.list_teams(session, workspace_id=workspace_id)
    countries = {t.name: t.holiday_country for t in teams.all_teams(session,
                                                                     workspace_id=workspace_id)}
    workspace = workspaces.get_workspace(session, workspace_id=workspace_id)
    if workspace is not None and workspace.uninstalled_at is not None:
        install = "uninstalled"
    elif deps.installations is None:
        install = "token"
    else:
        install = "oauth" if deps.installations.bot_for(workspace_id) else "missing"
    return SetupPart(
        no_manager=tuple(s.name for s in summaries if not s.managers),
        no_channel=tuple(s.name for s in summaries if not s.channel_id),
        no_country=tuple(s.name for s in summaries if not countries.get(s.name)),
        without_team=tuple(teams.without_team(session, workspace_id=workspace_id)),
        install=install,
        installed_at=deliveries.aware(workspace.installed_at) if workspace else None,
        uninstalled_at=deliveries.aware(workspace.uninstalled_at) if workspace else None,
        troubles=tuple(deliveries.troubles(session, workspace_id=workspace_id,
                                           since=now - timedelta(days=TROUBLE_DAYS))))
