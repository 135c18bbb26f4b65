"""The scheduled reports: the Friday progress report, month-end and quarter-end (SPEC §3).

All three are per team, in the team's time zone, on its working days, and go through the
outbox (bot/jobs/outbox.py) like every other job, one key per recipient per period:

- `friday-report`: working Fridays at 17:00. A DM to each rep with their week, and one
  summary in the team's channel (totals vs last week, top 5 by points, honours, and how many
  reps logged nothing: a count, never names).
- `month-end` / `quarter-end`: 09:00 on the first working day after the period ends. Each rep
  gets their scorecard of the period, each manager an overview of the team (quarter-end: with
  the recommendations, for managers only), and the channel the points leaderboard and honours.

Reports keep a longer catch-up window than reminders (REPORT_CATCH_UP, 24 h): a report is
still worth reading the next morning, a check-in nudge is not: `deliver_report` is
outbox.deliver with that longer window. Each team's run fans out through the outbox's
PacedClient (posts to one channel a second apart, DM channels reused).

Languages: each rep's and manager's DM in their own language; the channel post in the team's
setting (`pacer team language`): by default the first manager's language (their Slack locale or
Pacer override), English when the team has none; or English, Chinese, or both in one message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.calendar.periods import month_period, previous, quarter_period, week_period
from bot.calendar.workdays import (
    FRIDAY,
    add_working_days,
    at_local,
    last_friday,
    next_working_at,
    working_days,
)
from bot.deps import Deps
from bot.i18n import DEFAULT_LANG
from bot.jobs.outbox import Due, PacedClient, RunResult, deliver, each_team, known_dm_channels
from bot.render import reports as render
from bot.render.score import leaderboard_blocks, scorecard_blocks
from bot.scoring.facts import Period
from bot.scoring.leaderboard import in_public
from bot.scoring.rules import Rules
from bot.services.reports import (
    TeamReport,
    recommendations,
    rules_for,
    team_report,
    team_reports,
)
from bot.services.teams import TeamInfo, channel_langs
from store import actions, briefs, teams
from store.privacy import is_pseudonym

log = logging.getLogger(__name__)

FRIDAY_REPORT, MONTH_END, QUARTER_END = "friday-report", "month-end", "quarter-end"
FRIDAY_REPORT_TIME = time(17, 0)  # the default; a team sets its own (`pacer team times`)
PERIOD_END_TIME = time(9, 0)  # on the first working day after a month or quarter ends
REPORT_CATCH_UP = timedelta(hours=24)
BOARD_TOP = 5
TOGETHER = 50  # teams whose reports are computed together, at most (their memory is held)


# ----------------------------------------------------------------- delivery

def deliver_report(deps: Deps, client: WebClient, due: Due, *, now: datetime,
                   message: Callable[[], dict], result: RunResult,
                   window: timedelta = REPORT_CATCH_UP) -> None:
    """outbox.deliver with the reports' catch-up window."""
    deliver(deps, client, due, now=now, answered=False, message=message, result=result,
            catch_up=window)


# ----------------------------------------------------------------- the run's reports

Computed = tuple[TeamReport, TeamReport, Rules]  # the period's, the period before's, the rules


class SharedReports:
    """The reports of the teams a run owes messages, computed up to TOGETHER teams at a time
    when the first of them is needed (bot/services/reports.py `team_reports`: a few
    set-based reads for all of them, where one team at a time read some tables whole once a
    team; a month of 1,000 reps on PostgreSQL: see benchmarks/scoring.py). A run that builds
    no message computes none, as before. A team not owed (or whose batch failed) computes
    its own."""

    def __init__(self, deps: Deps, now: datetime) -> None:
        self.deps, self.now = deps, now
        self._owed: dict[Period, list[int]] = {}  # in visiting order
        self._found: dict[tuple[int, Period], Computed] = {}

    def owe(self, team_id: int, period: Period) -> None:
        self._owed.setdefault(period, []).append(team_id)

    def take(self, team_id: int, period: Period) -> Computed | None:
        """The team's reports, handed over once (then forgotten: memory stays bounded)."""
        owed = self._owed.get(period, [])
        if team_id in owed:
            at = owed.index(team_id)  # this team and the next ones, in visiting order
            together = owed[at:at + TOGETHER]
            del owed[at:at + TOGETHER]
            self._compute(period, together)
        return self._found.pop((team_id, period), None)

    def _compute(self, period: Period, team_ids: list[int]) -> None:
        try:
            with self.deps.sessions() as session:
                rows = [row for team_id in team_ids
                        if (row := teams.team_by_id(session, team_id=team_id)) is not None]
                rules = {row.id: rules_for(session, row.id) for row in rows}
                current = team_reports(session, teams=rows, period=period, now=self.now,
                                       rules=rules)
                before = team_reports(session, teams=rows, period=previous(period),
                                      now=self.now, rules=rules)
                found = {row.id: (current[row.id], before[row.id], rules[row.id])
                         for row in rows}
        except Exception:  # noqa: BLE001 - each team then computes its own, as it would alone
            log.exception("the reports of %d teams together failed", len(team_ids))
            return
        self._found.update({(team_id, period): c for team_id, c in found.items()})


# ----------------------------------------------------------------- one team's run

class TeamRun:
    """One team in one run: its row, managers and channel, and its reports computed once,
    only when a message is actually built (a run with everything delivered costs no scoring)."""

    def __init__(self, deps: Deps, client: PacedClient, info: TeamInfo, *, now: datetime,
                 period: Period, shared: SharedReports | None = None) -> None:
        self.deps, self.client, self.info, self.now, self.period = (
            deps, client, info, now, period)
        self.shared = shared
        self.channel, self.managers = info.channel_id, info.managers  # as of this tick

    def lang(self, user_id: str) -> str:
        return self.deps.users.profile(self.client, self.info.workspace_id, user_id).lang

    @cached_property
    def channel_langs(self) -> tuple[str, ...]:
        """The channel post's languages, in order (the team's setting)."""
        first = self.lang(self.managers[0]) if self.managers else DEFAULT_LANG
        return channel_langs(self.info.channel_lang, first)

    def channel_post(self, build: Callable[[str], dict]) -> dict:
        """The channel post `build(lang)` makes, in the team's language(s)."""
        return render.in_languages(self.channel_langs, build)

    @cached_property
    def _computed(self) -> Computed:
        if self.shared and (found := self.shared.take(self.info.id, self.period)):
            return found
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
    def rules(self) -> Rules:
        return self._computed[2]

    def due(self, job: str, user_id: str, due_at: datetime, *, per_team: bool = False,
            channel: str | None = None) -> Due:
        return team_due(job, self.info, self.period, user_id, due_at, per_team=per_team,
                        channel=channel)


def team_due(job: str, info: TeamInfo, period: Period, user_id: str, due_at: datetime, *,
             per_team: bool = False, channel: str | None = None) -> Due:
    # Managers and channels can serve several teams: their keys name the team too.
    label = f"{period.label}/team{info.id}" if per_team else period.label
    return Due(job, info, user_id, label, due_at, channel=channel)


def _owes(deps: Deps, job: str, info: TeamInfo, period: Period, due_at: datetime, *,
          managers: bool) -> bool:
    """Whether the team's run may build a message: one of its messages is not final yet
    (deliver builds none for a final one). One past its window is given up, not built, and
    is then final: counting it costs nothing unless a message of its batch is built."""
    final = deps.final_keys()
    dues = [team_due(job, info, period, rep, due_at) for rep in info.reps]
    if managers:
        dues += [team_due(job, info, period, m, due_at, per_team=True) for m in info.managers]
    if info.channel_id:
        dues.append(team_due(job, info, period, "", due_at, per_team=True,
                             channel=info.channel_id))
    return not all(_done(due, final) for due in dues)


# ----------------------------------------------------------------- friday-report

def run_friday_report(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """Working Fridays at the team's report time (17:00 unless set): each rep's week by DM,
    one summary in the team's channel. Once per rep (and per team channel) per ISO week.
    A holiday Friday gets none."""

    shared = SharedReports(deps, now)

    def owed(infos: list[TeamInfo]) -> None:
        for info in infos:
            if not (found := _friday_due(deps, info, now)):
                continue
            period = week_period(found[0])
            if _owes(deps, FRIDAY_REPORT, info, period, found[1], managers=False):
                shared.owe(info.id, period)

    def visit(client: PacedClient, info: TeamInfo) -> RunResult:
        result = RunResult()
        if not (found := _friday_due(deps, info, now)):
            return result
        friday, due_at = found
        run = TeamRun(deps, client, info, now=now, period=week_period(friday), shared=shared)
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
                                         user_id=user_id, brief=answers, items=items,
                                         away=user_id in away())

        @cache
        def away() -> set[str]:
            """Reps away on every working day of the week so far (/pacer away): nothing was
            expected of them, so no nudge to log and not among those who logged nothing.
            Worked out when a message is built (most ticks build none)."""
            worked = working_days(run.period.start, friday, country=info.country,
                                  days_off=info.days_off)
            return {u for u in info.reps
                    if worked and not any(info.working_for(u)(d) for d in worked)}

        dues = []
        for user_id in info.reps:
            dues.append(run.due(FRIDAY_REPORT, user_id, due_at))
            deliver_report(deps, client, dues[-1], now=now, result=result,
                           message=lambda u=user_id: rep_message(u))
        if run.channel:
            dues.append(run.due(FRIDAY_REPORT, "", due_at, per_team=True, channel=run.channel))
            deliver_report(
                deps, client, dues[-1], now=now, result=result,
                message=lambda: run.channel_post(lambda lang: render.week_summary_blocks(
                    lang, report=run.report, before=run.before,
                    board=in_public(run.report.board("points", run.rules)), top=BOARD_TOP,
                    name_quiet=run.info.name_quiet_reps, away=away())))
        _settle(deps, FRIDAY_REPORT, info, due_at, now, dues)
        return result

    return each_team(deps, team, FRIDAY_REPORT, visit, first=owed)


def _friday_due(deps: Deps, info: TeamInfo, now: datetime) -> tuple[date, datetime] | None:
    """(the Friday, when its report fell due) when the team's Friday report is due by `now`
    and not settled; None when there is none to send (no reps: "everyone logged 👏" over
    nobody said nothing; a holiday Friday)."""
    tz = ZoneInfo(info.tz)
    friday = last_friday(now.astimezone(tz).date())
    due_at = at_local(friday, info.report_at, tz)
    if (not info.reps or not info.working(friday) or due_at > now
            or _settled(deps, FRIDAY_REPORT, info, due_at, now)):
        return None
    return friday, due_at


def next_friday_report(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    """For `pacer jobs list`: the next working Friday's report, team time (not `tz`)."""
    return next_working_at(now, info.report_at, ZoneInfo(info.tz), info.working, weekday=FRIDAY)


# ----------------------------------------------------------------- month-end, quarter-end

def _period_end_runner(job: str, period_of: Callable[[date], Period]):  # noqa: ANN202
    def due(deps: Deps, info: TeamInfo, now: datetime) -> tuple[Period, datetime] | None:
        """(the period ended, when its reports fell due) when due by `now` and not settled;
        None without reps (no scorecards: no overview of nobody, no empty board)."""
        tz = ZoneInfo(info.tz)
        ended = previous(period_of(now.astimezone(tz).date()))
        due_at = at_local(add_working_days(ended.end, 1, info.working), PERIOD_END_TIME, tz)
        if not info.reps or due_at > now or _settled(deps, job, info, due_at, now):
            return None
        return ended, due_at

    def run(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
        shared = SharedReports(deps, now)

        def owed(infos: list[TeamInfo]) -> None:
            for info in infos:
                if (found := due(deps, info, now)) and _owes(deps, job, info, *found,
                                                             managers=True):
                    shared.owe(info.id, found[0])

        def visit(client: PacedClient, info: TeamInfo) -> RunResult:
            result = RunResult()
            if not (found := due(deps, info, now)):
                return result
            ended, due_at = found
            run = TeamRun(deps, client, info, now=now, period=ended, shared=shared)
            client.know_dms(known_dm_channels(deps, info.workspace_id,
                                              (*info.reps, *run.managers)))
            dues = []
            for user_id in info.reps:
                dues.append(run.due(job, user_id, due_at))
                deliver_report(deps, client, dues[-1], now=now, result=result,
                               message=lambda u=user_id: _scorecard(run, u))
            for manager in run.managers:
                dues.append(run.due(job, manager, due_at, per_team=True))
                deliver_report(deps, client, dues[-1], now=now, result=result,
                               message=lambda m=manager: _overview(run, m))
            if run.channel:
                dues.append(run.due(job, "", due_at, per_team=True, channel=run.channel))
                deliver_report(
                    deps, client, dues[-1], now=now, result=result,
                    message=lambda: run.channel_post(lambda lang: leaderboard_blocks(
                        lang, report=run.report,
                        board=in_public(run.report.board("points", run.rules)),
                        in_channel=True)))
            _settle(deps, job, info, due_at, now, dues)
            return result

        return each_team(deps, team, job, visit, first=owed)

    return run


def _settled_mark(job: str, info: TeamInfo, due_at: datetime) -> str:
    # Names the recipients too: a rep or manager added, or a channel set, is looked at again.
    who = hash((info.reps, info.managers, info.channel_id))
    return f"\0settled:{job}:t{info.id}:{due_at.isoformat()}:{who}"  # never a delivery key


def _settled(deps: Deps, job: str, info: TeamInfo, due_at: datetime, now: datetime) -> bool:
    """Every message of the team's run due at `due_at` is past its catch-up window and was
    seen final (sent or given up) by this process: deliver would return at once for each, so
    the run is not gone through again each minute (the month's and quarter's for weeks)."""
    return now > due_at + REPORT_CATCH_UP and _settled_mark(job, info, due_at) in (
        deps.final_keys())


def _settle(deps: Deps, job: str, info: TeamInfo, due_at: datetime, now: datetime,
            dues: list[Due]) -> None:
    final = deps.final_keys()
    if now > due_at + REPORT_CATCH_UP and all(_done(due, final) for due in dues):
        final.add(_settled_mark(job, info, due_at))


def _done(due: Due, final: set[str]) -> bool:
    """Nothing more will be built for `due`: it is final, or its recipient is a forgotten
    person (store/privacy.py), whom deliver never DMs."""
    return due.key in final or (due.channel is None and is_pseudonym(due.user_id))


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
                                  recommendations=recs, away=run.info.away_on(
                                      run.now.astimezone(ZoneInfo(run.info.tz)).date()))


def next_period_end(period_of: Callable[[date], Period]):  # noqa: ANN202
    """For `pacer jobs list`: the next period-end run, team time."""

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


run_month_end = _period_end_runner(MONTH_END, month_period)
run_quarter_end = _period_end_runner(QUARTER_END, quarter_period)
