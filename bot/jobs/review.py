"""The `review` job (SPEC §3, seed 003 §二(二)2 and §二(三)2): the review cycle and
performance-improvement plans, per team, in the team's time zone, on its working days
(weekends, its country's public holidays and its own days off skipped).

Run every tick. "Day N" below is the Nth working day after the period's last day; a step
"due on day N" is due by the end of that day (midnight, team time); 09:00 is team time.

open            09:00 on day 1 after a month or quarter ends, a review opens for each rep of
                the team for that period, with their scorecard total and grade kept as it was
                then. A quarter end opens only the quarter's review (it covers the quarter's
                last month). Opened only while the self-assessment is not yet late, and only for
                a team Pacer knew by then and reps on it during the period.
self-request    the rep, at the opening: a DM asking for the self-assessment (due on day 3).
self-remind     the rep, 09:00 on day 3, if still not sent (and not rated).
rate-request    each manager, when the rep sends the self-assessment, or at 09:00 on the working
                day after day 3 if it is late (the escalation: they may rate without it).
self-late       each manager, when a late self-assessment arrives after that (not yet rated).
rate-remind     each manager, 09:00 on day 5 (rating due), if not yet rated.
rate-escalate   escalation_for(each manager) (their own managers, else the admins), 09:00 on
                the working day after day 5, if not yet rated.
result-v<n>     the rep, when the manager saves the rating (n counts saves: an edit sends it
                again): grade, comments, the 30-minute 1:1, an Appeal button; appeals are open
                to the end of the 3rd working day after the rating. Then the result is final.
appeal          every admin (HR), when the rep appeals: a button to decide, due by the end of
                the 5th working day after the appeal.
decide-remind   every admin, 09:00 on that day, if not decided.
decide-escalate the admins and escalation_for(each manager) (seed: HR with the sales
                director), 09:00 on the working day after, if not decided.
decision-v<n>   the rep and each manager, when HR decides (the review is then final).
plan-setup      each manager, when a final D, or a final C after a final C, opens a 3-month plan:
                a button to set targets, a mentor and notes.
plan-open       the rep, at the same time, supportively. plan-targets-v<n>: the rep, when the
                targets are saved.
plan-check-m<k> each manager, 09:00 on the first working day on or after the k-th month
                anniversary of the plan's start (k = 1 .. its months; the last also closes it:
                completed, extended by a month, or not met).

Every message goes through the outbox (bot/jobs/outbox.py) under the key
``review:<workspace>:<recipient>:<step>:r<review id>`` (plans: ``:p<plan id>``), so each is
sent once however often, and in however many processes, the job runs. A handler that saves a
form calls `advance` at once, so its messages go out then, and a failed one is retried by the
next tick. Reminders keep the usual 3-hour catch-up window, escalations and results 24 hours,
requests until their step is due; older than that a message is given up and logged. Every
reminder and escalation sent is written to the review's history (review_events).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.periods import month_period, previous, quarter_period
from bot.calendar.workdays import add_working_days, at_local, end_of_day, next_working_day
from bot.deps import Deps
from bot.jobs.outbox import CATCH_UP, Due, PacedClient, RunResult, deliver, each_team
from bot.render import review as render
from bot.scoring.facts import Period
from bot.services.reports import team_report
from bot.services.teams import TeamInfo
from store import alerts, deliveries, teams
from store import reviews as store
from store.models import ImprovementPlan, Review

log = logging.getLogger(__name__)

JOB = "review"
STEP_TIME = time(9, 0)
SELF_DAYS, RATING_DAYS, APPEAL_DAYS, DECISION_DAYS = 3, 5, 3, 5
LATE_CATCH_UP = timedelta(hours=24)  # escalations, results, decisions
# Steps due longer ago than their window plus this are not looked at again: they were sent,
# or given up (and logged) by the ticks of the day they were due.
LOOKBACK = timedelta(days=1)
RECENT = timedelta(days=2)  # final reviews and new plans still looked at (their last DMs)


# ----------------------------------------------------------------- one team in one run

@dataclass
class Run:
    deps: Deps
    client: PacedClient
    info: TeamInfo
    now: datetime
    result: RunResult = field(default_factory=RunResult)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.info.tz)
        with self.deps.sessions() as session:
            self.managers = tuple(alerts.managers(session, team_id=self.info.id))
            self.admins = tuple(teams.admins(session, workspace_id=self.info.workspace_id))
            above: list[str] = []
            for manager in self.managers:
                above += teams.escalation_for(session, workspace_id=self.info.workspace_id,
                                              manager_user_id=manager)
        self.above = tuple(dict.fromkeys(above))

    def lang(self, user_id: str) -> str:
        return self.deps.users.profile(self.client, self.info.workspace_id, user_id).lang

    def nine(self, day: date) -> datetime:
        return at_local(day, STEP_TIME, self.tz)

    def send(self, step: str, ref: str, recipients: Sequence[str], *, due_at: datetime,
             window: timedelta, answered: bool, message: Callable[[str], dict],
             review_id: int | None = None, event: str = "") -> None:
        """One step to each recipient (in their language), through the ledger; a reminder or
        escalation actually sent is written to the review's history."""
        if due_at > self.now or self.now - due_at > window + LOOKBACK:
            return
        dues = {user: Due(JOB, self.info, user, f"{step}:{ref}", due_at)
                for user in dict.fromkeys(recipients)}
        # Steps stay due for days: read the ledger first, so a tick that has nothing new to
        # send only reads (deliver's claim would try an INSERT, taking SQLite's write lock).
        with self.deps.sessions() as session:
            done = deliveries.final_keys(session, keys=[d.key for d in dues.values()])
        for user, due in dues.items():
            if due.key in done:
                self.result.skipped += 1
                continue
            before = self.result.sent
            deliver(self.deps, self.client, due, now=self.now, answered=answered,
                    result=self.result, catch_up=window,
                    message=lambda u=user: message(self.lang(u)))
            if event and review_id is not None and self.result.sent > before:
                with self.deps.sessions() as session:
                    store.record(session, review_id=review_id, action=event, at=self.now,
                                 detail=f"{step} to {user}")


def run_review(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    def visit(client: PacedClient, info: TeamInfo) -> RunResult:
        run = Run(deps, client, info, now)
        _open_reviews(run)
        with deps.sessions() as session:
            found = store.active(session, team_id=info.id, final_since=now - RECENT)
        for review in found:
            _review_steps(run, review)
        with deps.sessions() as session:
            plans = store.plans(session, team_id=info.id, opened_since=now - RECENT)
        for plan in plans:
            _plan_steps(run, plan)
        return run.result

    return each_team(deps, team, JOB, visit)


def advance(deps: Deps, *, team_id: int, now: datetime) -> RunResult:
    """What a saved form makes due goes out now (called by handlers/review.py)."""
    with deps.sessions() as session:
        row = teams.team_by_id(session, team_id=team_id)
    return run_review(deps, now=now, team=row.name) if row else RunResult()


# ----------------------------------------------------------------- opening

def covered_by_quarter(month: Period) -> bool:
    return month.end == quarter_period(month.end).end


def _open_reviews(run: Run) -> None:
    info, now = run.info, run.now
    today = now.astimezone(run.tz).date()
    for period_of in (month_period, quarter_period):
        ended = previous(period_of(today))
        if period_of is month_period and covered_by_quarter(ended):
            continue  # the quarter's review covers its last month
        open_at = run.nine(add_working_days(ended.end, 1, info.working))
        self_due = add_working_days(ended.end, SELF_DAYS, info.working)
        if now < open_at or now >= end_of_day(self_due, run.tz) or info.created_at > open_at:
            continue
        with run.deps.sessions() as session:
            done = store.reviewed(session, team_id=info.id, period=ended.label)
            joined = alerts.joined(session, team_id=info.id)
        missing = [rep for rep in info.reps if rep not in done and (
            rep not in joined or joined[rep].astimezone(run.tz).date() <= ended.end)]
        if not missing:
            continue
        with run.deps.sessions() as session:
            report = team_report(session, team=teams.team_by_id(session, team_id=info.id),
                                 period=ended, now=now, user_ids=missing)
            for rep in missing:
                card = report.reps[rep].card if rep in report.reps else None
                if card is None:
                    continue
                store.open_review(
                    session, workspace_id=info.workspace_id, team_id=info.id, user_id=rep,
                    period=ended.label, period_end=ended.end, self_due=self_due,
                    rating_due=add_working_days(ended.end, RATING_DAYS, info.working),
                    score_total=card.total, score_grade=card.grade, now=now)
                run.result.lines.append(f"opened {rep}'s review for {ended.label}")


# ----------------------------------------------------------------- a review's steps

def _review_steps(run: Run, review: Review) -> None:
    info, rid, ref = run.info, review.id, f"r{review.id}"
    rep, managers = review.user_id, run.managers
    self_in, rated = review.self_at is not None, review.rated_at is not None
    opened_at = run.nine(add_working_days(review.period_end, 1, info.working))
    self_end = end_of_day(review.self_due, run.tz)
    late_at = run.nine(add_working_days(review.self_due, 1, info.working))
    rating_end = end_of_day(review.rating_due, run.tz)

    def fresh(message: Callable[[str, Review], dict]) -> Callable[[str], dict]:
        # Built when sent, from the review as it is then (a form may have been saved).
        def build(lang: str) -> dict:
            with run.deps.sessions() as session:
                return message(lang, store.get(session, rid))
        return build

    run.send("self-request", ref, [rep], due_at=opened_at, window=self_end - opened_at,
             answered=self_in or rated,
             message=fresh(lambda lang, r: render.self_request_blocks(lang, review=r,
                                                                      team=info.name)))
    run.send("self-remind", ref, [rep], due_at=run.nine(review.self_due), window=CATCH_UP,
             answered=self_in or rated, review_id=rid, event="reminded",
             message=fresh(lambda lang, r: render.self_remind_blocks(lang, review=r)))
    asked_at = min(store.utc(review.self_at), late_at) if self_in else late_at
    late = not self_in or store.utc(review.self_at) > late_at
    run.send("rate-request", ref, managers, due_at=asked_at,
             window=max(rating_end - asked_at, LATE_CATCH_UP), answered=rated,
             review_id=rid, event="escalated" if late else "",
             message=fresh(lambda lang, r: render.rate_request_blocks(
                 lang, review=r, late=r.self_at is None)))
    if self_in and late:
        run.send("self-late", ref, managers, due_at=store.utc(review.self_at),
                 window=LATE_CATCH_UP, answered=rated,
                 message=fresh(lambda lang, r: render.self_late_blocks(lang, review=r)))
    run.send("rate-remind", ref, managers, due_at=run.nine(review.rating_due), window=CATCH_UP,
             answered=rated, review_id=rid, event="reminded",
             message=fresh(lambda lang, r: render.rate_remind_blocks(lang, review=r)))
    run.send("rate-escalate", ref, run.above,
             due_at=run.nine(add_working_days(review.rating_due, 1, info.working)),
             window=LATE_CATCH_UP, answered=rated, review_id=rid, event="escalated",
             message=fresh(lambda lang, r: render.escalation_blocks(
                 lang, review=r, step="rating", owners=managers, due=r.rating_due)))
    if rated:
        run.send(f"result-v{review.rating_version}", ref, [rep],
                 due_at=store.utc(review.rated_at), window=LATE_CATCH_UP, answered=False,
                 review_id=rid, event="result_sent",
                 message=fresh(lambda lang, r: render.result_blocks(lang, review=r)))
    closes = end_of_day(review.appeal_due, run.tz) if review.appeal_due else None
    if review.status == store.RESULT and closes and run.now >= closes:
        with run.deps.sessions() as session:
            current = store.get(session, rid)
            if store.finalize(session, review=current, at=closes):
                run.result.lines.append(f"{rep}'s review for {review.period} is final")
                review = current
    if review.appealed_at is not None:
        _appeal_steps(run, review, fresh)
    if review.decided_at is not None:
        for to_rep, whom in ((True, [rep]), (False, managers)):
            run.send(f"decision-v{review.decision_version}", ref, whom,
                     due_at=store.utc(review.decided_at), window=LATE_CATCH_UP,
                     answered=False, message=fresh(lambda lang, r, to_rep=to_rep: (
                         render.decision_blocks(lang, review=r, to_rep=to_rep))))
    if review.status == store.FINAL:
        _maybe_plan(run, review)


def _appeal_steps(run: Run, review: Review, fresh) -> None:  # noqa: ANN001
    rid, ref, decided = review.id, f"r{review.id}", review.decided_at is not None
    hr = run.admins
    appealed = store.utc(review.appealed_at)
    run.send("appeal", ref, hr, due_at=appealed, window=LATE_CATCH_UP, answered=decided,
             message=fresh(lambda lang, r: render.appeal_blocks(lang, review=r)))
    run.send("decide-remind", ref, hr, due_at=run.nine(review.decision_due), window=CATCH_UP,
             answered=decided, review_id=rid, event="reminded",
             message=fresh(lambda lang, r: render.appeal_blocks(lang, review=r, remind=True)))
    run.send("decide-escalate", ref, [*hr, *run.above],
             due_at=run.nine(add_working_days(review.decision_due, 1, run.info.working)),
             window=LATE_CATCH_UP, answered=decided, review_id=rid, event="escalated",
             message=fresh(lambda lang, r: render.escalation_blocks(
                 lang, review=r, step="appeal", owners=hr, due=r.decision_due)))


def _maybe_plan(run: Run, review: Review) -> None:
    with run.deps.sessions() as session:
        current = store.get(session, review.id)
        if current.status != store.FINAL or not store.needs_plan(session, review=current):
            return
        plan = store.open_plan_for(session, review=current,
                                   start=run.now.astimezone(run.tz).date(), now=run.now)
    if plan is not None:
        run.result.lines.append(f"opened an improvement plan for {review.user_id}")
        _plan_steps(run, plan)


# ----------------------------------------------------------------- a plan's steps

def _plan_steps(run: Run, plan: ImprovementPlan) -> None:
    ref, pid = f"p{plan.id}", plan.id
    opened = store.utc(plan.opened_at)

    def fresh(message: Callable[[str, ImprovementPlan, Review], dict]) -> Callable[[str], dict]:
        def build(lang: str) -> dict:
            with run.deps.sessions() as session:
                current = store.get_plan(session, pid)
                return message(lang, current, store.get(session, current.review_id))
        return build

    run.send("plan-setup", ref, run.managers, due_at=opened, window=LATE_CATCH_UP,
             answered=False, message=fresh(lambda lang, p, r: render.plan_setup_blocks(
                 lang, plan=p, review=r)))
    run.send("plan-open", ref, [plan.user_id], due_at=opened, window=LATE_CATCH_UP,
             answered=False,
             message=fresh(lambda lang, p, r: render.plan_open_blocks(lang, plan=p)))
    if plan.set_at is not None:
        run.send(f"plan-targets-v{plan.targets_version}", ref, [plan.user_id],
                 due_at=store.utc(plan.set_at), window=LATE_CATCH_UP, answered=False,
                 message=fresh(lambda lang, p, r: render.plan_targets_blocks(lang, plan=p)))
    if plan.open_key is None:
        return
    with run.deps.sessions() as session:
        checked = {c.month for c in store.checks(session, plan_id=pid)}
    for month in range(1, plan.months + 1):
        day = next_working_day(store.check_day(plan, month), run.info.working)
        run.send(f"plan-check-m{month}", ref, run.managers, due_at=run.nine(day),
                 window=LATE_CATCH_UP, answered=month in checked,
                 message=fresh(lambda lang, p, r, m=month: render.plan_check_blocks(
                     lang, plan=p, month=m, last=m == p.months)))
