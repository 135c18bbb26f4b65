"""The scheduled reports: the Friday progress report, month-end and quarter-end (SPEC §3).

All three are per team, in the team's time zone, on its working days, and go through the
deliveries ledger like every other job (bot/jobs/registry.py), one key per recipient per period:

- `friday-report`: working Fridays at 17:00. A DM to each rep with their week, and one
  summary in the team's channel (totals vs last week, top 5 by points, honours, and how many
  reps logged nothing: a count, never names).
- `month-end` / `quarter-end`: 09:00 on the first working day after the period ends. Each rep
  gets their scorecard of the period, each manager an overview of the team (quarter-end: with
  the recommendations, for managers only), and the channel the points leaderboard and honours.

Reports keep a longer catch-up window than reminders (REPORT_CATCH_UP, 24 h): a report is
still worth reading the next morning, a check-in nudge is not: `deliver_report` is
jobs.deliver with that longer window.

Slack limits: everything goes through bot.slack.client's client (Retry-After honoured on 429);
`PacedClient` keeps posts to one channel at least a second apart within a run and reuses DM
channels the ledger already recorded (the daily reminders open them), so a run costs one
chat.postMessage per message rather than a conversations.open (Tier 3) as well.

Languages: each rep's and manager's DM in their own language; the channel post in the first
manager's language (their Slack locale or Pacer override), English when the team has none.
"""

from __future__ import annotations

import logging
import time as clock_time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.calendar.periods import month_period, previous, quarter_period, week_period
from bot.calendar.workdays import FRIDAY, add_working_days, at_local, last_friday, next_working_at
from bot.deps import Deps
from bot.i18n import DEFAULT_LANG
from bot.jobs import registry as jobs
from bot.jobs.registry import Due, Job, RunResult, TeamInfo, team_infos
from bot.render import reports as render
from bot.render.score import leaderboard_blocks, scorecard_blocks
from bot.scoring.facts import Period
from bot.scoring.leaderboard import Leaderboard
from bot.services.reports import TeamReport, recommendations, rules_for, team_report
from store import actions, briefs, deliveries, teams

log = logging.getLogger(__name__)

FRIDAY_REPORT_TIME = time(17, 0)  # the default; a team sets its own (`pacer team times`)
PERIOD_END_TIME = time(9, 0)  # on the first working day after a month or quarter ends
REPORT_CATCH_UP = timedelta(hours=24)
CHANNEL_GAP = 1.0  # seconds between two posts to one channel (Slack: about 1 per second)
BOARD_TOP = 5


# ----------------------------------------------------------------- delivery

class PacedClient:
    """The run's WebClient with two courtesies to Slack's limits (see the module docstring).
    Everything else is passed through."""

    def __init__(self, client: WebClient, dm_channels: dict[str, str] | None = None,
                 gap: float = CHANNEL_GAP) -> None:
        self._client = client
        self._dms = dict(dm_channels or {})
        self._gap = gap
        self._last: dict[str, float] = {}
        self.waited = 0.0  # seconds spent keeping posts apart (for the benchmark)

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    def know_dms(self, dm_channels: dict[str, str]) -> None:
        self._dms.update(dm_channels)

    def conversations_open(self, *, users: str, **kwargs: object) -> dict:
        if users in self._dms:
            return {"ok": True, "channel": {"id": self._dms[users]}}
        opened = self._client.conversations_open(users=users, **kwargs)
        self._dms[users] = opened["channel"]["id"]
        return opened

    def chat_postMessage(self, *, channel: str, **kwargs: object):  # noqa: N802, ANN201
        wait = self._last.get(channel, float("-inf")) + self._gap - clock_time.monotonic()
        if wait > 0:
            self.waited += wait
            clock_time.sleep(wait)
        try:
            return self._client.chat_postMessage(channel=channel, **kwargs)
        finally:
            self._last[channel] = clock_time.monotonic()


def known_dm_channels(deps: Deps, workspace_id: str, user_ids: tuple[str, ...]) -> dict[str, str]:
    """DM channels earlier deliveries recorded for these people (one query)."""
    with deps.sessions() as session:
        return deliveries.dm_channels(session, workspace_id=workspace_id, user_ids=user_ids)


def deliver_report(deps: Deps, client: WebClient, due: Due, *, now: datetime,
                   message: Callable[[], dict], result: RunResult,
                   window: timedelta = REPORT_CATCH_UP) -> None:
    """jobs.deliver with the reports' catch-up window."""
    jobs.deliver(deps, client, due, now=now, answered=False, message=message, result=result,
                 catch_up=window)


# ----------------------------------------------------------------- one team's run

class TeamRun:
    """One team in one run: its row, managers and channel, and its reports computed once,
    only when a message is actually built (a run with everything delivered costs no scoring)."""

    def __init__(self, deps: Deps, client: PacedClient, info: TeamInfo, *, now: datetime,
                 period: Period) -> None:
        self.deps, self.client, self.info, self.now, self.period = (
            deps, client, info, now, period)
        with deps.sessions() as session:
            summary = next(s for s in teams.list_teams(session, workspace_id=info.workspace_id)
                           if s.name == info.name)
        self.channel, self.managers = summary.channel_id, summary.managers

    def lang(self, user_id: str) -> str:
        return self.deps.users.profile(self.client, self.info.workspace_id, user_id).lang

    @cached_property
    def channel_lang(self) -> str:
        return self.lang(self.managers[0]) if self.managers else DEFAULT_LANG

    @cached_property
    def _computed(self) -> tuple[TeamReport, TeamReport, object]:
        with self.deps.sessions() as session:
            row = teams.team_by_id(session, team_id=self.info.id)
            rules = rules_for(session, row.id)
            report = team_report(session, team=row, period=self.period, now=self.now,
                                 rules=rules)
            before = team_report(session, team=row, period=previous(self.period),
                                 now=self.now, rules=rules)
        return report, before, rules

    @property
    def report(self) -> TeamReport:
        return self._computed[0]

    @property
    def before(self) -> TeamReport:
        return self._computed[1]

    @property
    def rules(self):  # noqa: ANN201 - bot.scoring.rules.Rules
        return self._computed[2]

    def due(self, job: str, user_id: str, due_at: datetime, *, per_team: bool = False,
            channel: str | None = None) -> Due:
        # Managers and channels can serve several teams: their keys name the team too.
        label = f"{self.period.label}/team{self.info.id}" if per_team else self.period.label
        return Due(job, self.info, user_id, label, due_at, channel=channel)


def each_team(deps: Deps, team: str | None, job: str,
              visit: Callable[[PacedClient, TeamInfo], RunResult], *,
              paced: bool = True) -> RunResult:
    """Call `visit` for every team; one team's trouble never stops the rest. `paced`: the
    client keeps posts to one channel a second apart (reports fan out to a channel); jobs
    sending a few DMs a run (calibration, actions) take the plain client."""
    result = RunResult()
    clients: dict[str, WebClient] = {}  # one per workspace: its own bot token
    for info in team_infos(deps, team):
        if info.workspace_id not in clients:
            plain = deps.client_for(info.workspace_id)
            clients[info.workspace_id] = PacedClient(plain) if paced else plain
        client = clients[info.workspace_id]
        try:
            result.add(visit(client, info))
        except Exception:  # noqa: BLE001 - log it, count it, carry on with the others
            log.exception("%s: could not handle team %s", job, info.name)
            result.failed += 1
            result.lines.append(f"failed team {info.name}: unexpected error, see the log")
    return result


# ----------------------------------------------------------------- friday-report

def run_friday_report(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """Working Fridays at the team's report time (17:00 unless set): each rep's week by DM,
    one summary in the team's channel. Once per rep (and per team channel) per ISO week.
    A holiday Friday gets none."""

    def visit(client: PacedClient, info: TeamInfo) -> RunResult:
        result = RunResult()
        tz = ZoneInfo(info.tz)
        friday = last_friday(now.astimezone(tz).date())
        due_at = at_local(friday, info.report_at, tz)
        if not info.working(friday) or due_at > now:
            return result
        run = TeamRun(deps, client, info, now=now, period=week_period(friday))
        client.know_dms(known_dm_channels(deps, info.workspace_id, info.reps))

        def rep_message(user_id: str) -> dict:
            with deps.sessions() as session:
                brief = briefs.get(session, workspace_id=info.workspace_id, user_id=user_id,
                                   week_start=run.period.start)
                answers = ({k: getattr(brief, k) for k in
                            ("progress", "wins", "blockers", "next_focus")} if brief else {})
                items = [i for i in actions.listed(session, workspace_id=info.workspace_id,
                                                   owner=user_id)
                         if i.due_on <= run.period.end + timedelta(days=7)]
            rep = run.report.reps.get(user_id)
            return render.week_dm_blocks(run.lang(user_id), report=run.report, rep=rep,
                                         user_id=user_id, brief=answers, items=items)

        for user_id in info.reps:
            deliver_report(deps, client, run.due("friday-report", user_id, due_at), now=now,
                           result=result, message=lambda u=user_id: rep_message(u))
        if run.channel:
            deliver_report(
                deps, client, run.due("friday-report", "", due_at, per_team=True,
                                      channel=run.channel),
                now=now, result=result,
                message=lambda: render.week_summary_blocks(
                    run.channel_lang, report=run.report, before=run.before,
                    board=_scored(run.report.board("points", run.rules)), top=BOARD_TOP,
                    name_quiet=run.info.name_quiet_reps))
        return result

    return each_team(deps, team, "friday-report", visit)


def _next_friday_report(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    return next_working_at(now, info.report_at, ZoneInfo(info.tz), info.working, weekday=FRIDAY)


# ----------------------------------------------------------------- month-end, quarter-end

def _period_end_runner(job: str, period_of: Callable[[date], Period]):  # noqa: ANN202
    def run(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
        def visit(client: PacedClient, info: TeamInfo) -> RunResult:
            result = RunResult()
            tz = ZoneInfo(info.tz)
            ended = previous(period_of(now.astimezone(tz).date()))
            due_at = at_local(add_working_days(ended.end, 1, info.working), PERIOD_END_TIME, tz)
            if due_at > now:
                return result
            run = TeamRun(deps, client, info, now=now, period=ended)
            client.know_dms(known_dm_channels(deps, info.workspace_id,
                                              (*info.reps, *run.managers)))
            for user_id in info.reps:
                deliver_report(deps, client, run.due(job, user_id, due_at), now=now,
                               result=result,
                               message=lambda u=user_id: _scorecard(run, u))
            for manager in run.managers:
                deliver_report(deps, client, run.due(job, manager, due_at, per_team=True),
                               now=now, result=result,
                               message=lambda m=manager: _overview(run, m))
            if run.channel:
                deliver_report(
                    deps, client, run.due(job, "", due_at, per_team=True, channel=run.channel),
                    now=now, result=result,
                    message=lambda: leaderboard_blocks(
                        run.channel_lang, report=run.report,
                        board=_scored(run.report.board("points", run.rules)),
                        in_channel=True))
            return result

        return each_team(deps, team, job, visit)

    return run


def _scored(board: Leaderboard) -> Leaderboard:
    """In a channel only those with points are listed: a public zero would name the reps who
    did nothing, which the reports only ever count."""
    return replace(board, standings=tuple(s for s in board.standings if s.value))


def _scorecard(run: TeamRun, user_id: str) -> dict:
    lang = run.lang(user_id)
    rep = run.report.reps.get(user_id)
    if rep is None:  # joined after the period: nothing to score
        return render.not_on_team_blocks(lang, user_id=user_id, period=run.period)
    return scorecard_blocks(lang, report=run.report, rep=rep, before=run.before,
                            viewer_is_manager=False, recommendations=(), rules=run.rules)


def _overview(run: TeamRun, manager: str) -> dict:
    recs = {}
    if run.period.kind == "quarter":
        with run.deps.sessions() as session:
            row = teams.team_by_id(session, team_id=run.info.id)
            recs = {user: recommendations(session, team=row, user_id=user, period=run.period,
                                          now=run.now, rules=run.rules)
                    for user in run.report.reps}
    return render.overview_blocks(run.lang(manager), report=run.report, before=run.before,
                                  recommendations=recs)


def _next_period_end(period_of: Callable[[date], Period]):  # noqa: ANN202
    def next_due(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
        team_tz = ZoneInfo(info.tz)
        period = period_of(now.astimezone(team_tz).date())
        ended = previous(period)
        for candidate in (ended, period):
            at = at_local(add_working_days(candidate.end, 1, info.working), PERIOD_END_TIME,
                          team_tz)
            if at > now:
                return at
        following = period_of(period.end + timedelta(days=1))
        return at_local(add_working_days(following.end, 1, info.working), PERIOD_END_TIME,
                        team_tz)

    return next_due


run_month_end = _period_end_runner("month-end", month_period)
run_quarter_end = _period_end_runner("quarter-end", quarter_period)

REPORT_JOBS = (
    Job("friday-report", "Friday progress report: a DM to each rep and a team summary",
        run_friday_report,
        f"working Fridays at {FRIDAY_REPORT_TIME:%H:%M} in the team's zone", _next_friday_report),
    Job("month-end", "month-end scorecards, manager overview, leaderboard and honours",
        run_month_end,
        f"first working day after a month ends, {PERIOD_END_TIME:%H:%M} in the team's zone",
        _next_period_end(month_period)),
    Job("quarter-end", "quarter-end reviews (recommendations to managers), leaderboard and "
        "honours", run_quarter_end,
        f"first working day after a quarter ends, {PERIOD_END_TIME:%H:%M} in the team's zone",
        _next_period_end(quarter_period)),
)

# bot/jobs/registry.py imports this module at its end; whichever of the two is imported first, the
# registry ends up with the real report jobs in place of its placeholders.
jobs.register(*REPORT_JOBS)
