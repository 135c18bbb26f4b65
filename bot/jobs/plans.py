"""Improvement plans in the `review` job (seed 003 §二(三)2, §二(一)2): opened when a review
becomes final, then their messages. Keys ``review:<workspace>:<recipient>:<step>:p<plan id>``.

plan-setup      a PIP: each manager, a button to set targets, a mentor and notes. A satisfaction
                plan: the rep, a button to propose their own.
plan-open       the other side, supportively (a PIP: the rep; satisfaction: the managers).
plan-targets-v<n>  when the plan is saved: the rep (a PIP), the managers (satisfaction).
plan-mentor-v<n>   the mentor a PIP names, when it is saved (again if the mentor changes).
plan-check-m<k> each manager, 09:00 on the first working day on or after the k-th month
                anniversary of the start (the last also closes it: completed, or not met with
                a decision: extend by a month, move to another role, or end).
plan-overdue    the people above the managers (else the admins), 09:00 on the 5th working day
                after the last check fell due, if it is still not recorded: a plan never ends
                in nothing.
plan-closed     the rep, when it closes; the admins (HR) too when it was not met (a move to
                another role, or an end, needs them). plan-extended-m<k>: the rep, when the
                last check extends it by a month.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.calendar.workdays import add_working_days, next_working_day
from bot.jobs.review_run import LATE_CATCH_UP, Run
from bot.render import review_plans as render
from bot.services.reports import rules_for
from store import plans as store
from store import ratings, reviews
from store.models import ImprovementPlan, Review

OVERDUE_DAYS = 5


def open_after(run: Run, review: reviews.ReviewState) -> None:
    """The plans a final review calls for: a PIP (a final D, or C after C), and for a
    quarter, a satisfaction plan when the customer survey is below the team's baseline."""
    start = run.now.astimezone(run.tz).date()
    with run.deps.sessions() as session:
        current = reviews.get(session, review.id)
        if current.status != reviews.FINAL:
            return
        opened = []
        if store.needs_plan(session, review=current):
            opened.append(store.open_plan_for(session, review=current, start=start,
                                              now=run.now))
        if "Q" in current.period:
            score = ratings.qualitative(session, team_id=current.team_id,
                                        period=current.period).get(current.user_id)
            baseline = rules_for(session, current.team_id).recommend.satisfaction_baseline
            if score is not None and score.satisfaction is not None and \
                    score.satisfaction < baseline:
                opened.append(store.open_plan_for(
                    session, review=current, start=start, now=run.now, kind=store.SATISFACTION,
                    notes=""))
    for plan in opened:
        if plan is not None:
            run.result.lines.append(f"opened a {plan.kind} plan for {review.user_id}")
            plan_steps(run, plan)


def plan_steps(run: Run, plan: ImprovementPlan) -> None:
    ref, pid, rep = f"p{plan.id}", plan.id, plan.user_id
    opened = reviews.utc(plan.opened_at)
    pip = plan.kind == store.PIP

    def fresh(message: Callable[[str, ImprovementPlan, Review], dict]) -> Callable[[str], dict]:
        def build(user: str) -> dict:
            with run.deps.sessions() as session:
                current = store.get_plan(session, pid)
                return message(run.lang(user), current, reviews.get(session, current.review_id))
        return build

    def setup(lang: str, p: ImprovementPlan, r: Review) -> dict:
        if pip:
            return render.plan_setup_blocks(lang, plan=p, review=r)
        with run.deps.sessions() as session:
            score = ratings.qualitative(session, team_id=p.team_id, period=r.period).get(rep)
            baseline = rules_for(session, p.team_id).recommend.satisfaction_baseline
        return render.plan_setup_blocks(lang, plan=p, review=r, baseline=baseline,
                                        satisfaction=score.satisfaction if score else None)

    owners, others = (run.managers, [rep]) if pip else ([rep], run.managers)
    run.send("plan-setup", ref, owners, due_at=opened, window=LATE_CATCH_UP, answered=False,
             message=fresh(setup))
    run.send("plan-open", ref, others, due_at=opened, window=LATE_CATCH_UP, answered=False,
             message=fresh(lambda lang, p, r: render.plan_open_blocks(lang, plan=p, review=r)))
    if plan.set_at is not None:
        set_at = reviews.utc(plan.set_at)
        run.send(f"plan-targets-v{plan.targets_version}", ref, others, due_at=set_at,
                 window=LATE_CATCH_UP, answered=False,
                 message=fresh(lambda lang, p, r: render.plan_targets_blocks(lang, plan=p)))
        if plan.mentor_user_id and plan.mentor_user_id != rep:
            run.send(f"plan-mentor-{plan.mentor_user_id}", ref, [plan.mentor_user_id],
                     due_at=set_at, window=LATE_CATCH_UP, answered=False,
                     message=fresh(lambda lang, p, r: render.mentor_blocks(lang, plan=p)))
    if plan.open_key is None:
        _closed(run, plan, fresh)
        return
    with run.deps.sessions() as session:
        done = {c.month: c for c in store.checks(session, plan_id=pid)}
    checked = set(done)
    for m, check in done.items():  # not met, extended by a month: the rep hears the new end
        if check.outcome == store.NOT_MET:
            run.send(f"plan-extended-m{m}", ref, [rep], due_at=reviews.utc(check.at),
                     window=LATE_CATCH_UP, answered=False,
                     message=fresh(lambda lang, p, r: render.plan_closed_blocks(
                         lang, plan=p, to_rep=True)))
    for month in range(1, plan.months + 1):
        day = next_working_day(store.check_day(plan, month), run.info.working)
        run.send(f"plan-check-m{month}", ref, run.managers, due_at=run.nine(day),
                 window=LATE_CATCH_UP, answered=month in checked,
                 message=fresh(lambda lang, p, r, m=month: render.plan_check_blocks(
                     lang, plan=p, month=m, last=m == p.months)))
    last = next_working_day(store.check_day(plan, plan.months), run.info.working)
    run.send(f"plan-overdue-m{plan.months}", ref, run.above or run.admins,
             due_at=run.nine(add_working_days(last, OVERDUE_DAYS, run.info.working)),
             window=LATE_CATCH_UP, answered=plan.months in checked, review_id=plan.review_id,
             event="escalated", message=fresh(lambda lang, p, r: render.plan_overdue_blocks(
                 lang, plan=p, owners=list(run.managers))))


def _closed(run: Run, plan: ImprovementPlan, fresh) -> None:  # noqa: ANN001
    ref, closed = f"p{plan.id}", reviews.utc(plan.closed_at)
    if closed is None:
        return
    run.send("plan-closed", ref, [plan.user_id], due_at=closed, window=LATE_CATCH_UP,
             answered=False, message=fresh(lambda lang, p, r: render.plan_closed_blocks(
                 lang, plan=p, to_rep=True)))
    if plan.outcome == store.NOT_MET:
        run.send("plan-decision", ref, run.admins, due_at=closed, window=LATE_CATCH_UP,
                 answered=False, message=fresh(lambda lang, p, r: render.plan_closed_blocks(
                     lang, plan=p, to_rep=False)))
