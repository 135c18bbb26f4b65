"""Improvement plans (seed 003 §二(三)2) and their monthly checks.

Two kinds. A `pip` (performance-improvement plan) opens after a final D, or a final C after a
final C: 3 months, targets and a mentor the managers set, a check each month, and at the end
completed or not met — and not met always comes with a recorded decision (extend by a month,
move to another role, end), never nothing. A `satisfaction` plan opens when a quarter's
customer satisfaction is below the team's baseline (低于基准分需提交改进方案): the rep
proposes it, the managers check it monthly like a PIP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import ImprovementPlan, PlanCheck, Review
from store.reviews import previous_final, record, utc

PIP, SATISFACTION = "pip", "satisfaction"
KINDS = (PIP, SATISFACTION)
CHECK_STATUSES = ("on_track", "partly", "off_track")
COMPLETED, NOT_MET = "completed", "not_met"
OUTCOMES = (COMPLETED, NOT_MET)
# "extended" is how plans ended before not-met needed a decision; old rows keep it.
EXTEND, MOVE_ROLE, END = "extend", "move_role", "end"
DECISIONS = (EXTEND, MOVE_ROLE, END)
PLAN_MONTHS = 3


def plan_end(plan: ImprovementPlan) -> date:
    return plan.start + relativedelta(months=plan.months)


def check_day(plan: ImprovementPlan, month: int) -> date:
    """The month anniversary of the plan's start (the check is on the first working day on
    or after it)."""
    return plan.start + relativedelta(months=month)


def needs_plan(session: Session, *, review: Review) -> bool:
    """A final D, or a final C after a final C (seed 003: D级或连续两个C级)."""
    if review.final_grade == "D":
        return True
    if review.final_grade != "C":
        return False
    before = previous_final(session, review=review)
    return before is not None and before.final_grade == "C"


def _open_key(team_id: int, user_id: str, kind: str) -> str:
    return f"{team_id}:{user_id}" if kind == PIP else f"{team_id}:{user_id}:{kind}"


def open_plan_for(session: Session, *, review: Review, start: date, now: datetime,
                  kind: str = PIP, notes: str = "") -> ImprovementPlan | None:
    """Open a plan of `kind` after `review`; None if the rep already has an open plan of that
    kind on the team, or this review already opened one."""
    plan = ImprovementPlan(workspace_id=review.workspace_id, team_id=review.team_id,
                           user_id=review.user_id, review_id=review.id, kind=kind,
                           open_key=_open_key(review.team_id, review.user_id, kind),
                           start=start, months=PLAN_MONTHS, notes=notes, opened_at=utc(now))
    try:
        with session.begin_nested():
            session.add(plan)
    except IntegrityError:
        return None
    record(session, review_id=review.id, action="plan_opened", at=now,
           detail=f"{kind} {start.isoformat()} → {plan_end(plan).isoformat()}")
    return plan


def get_plan(session: Session, plan_id: int) -> ImprovementPlan | None:
    plan = session.get(ImprovementPlan, plan_id)
    if plan is not None:
        session.refresh(plan)
    return plan


def plans(session: Session, *, team_id: int, since: datetime) -> list[ImprovementPlan]:
    """A team's open plans, and those opened or closed since `since`."""
    return list(session.exec(
        select(ImprovementPlan).where(
            ImprovementPlan.team_id == team_id,
            or_(col(ImprovementPlan.open_key).is_not(None),
                ImprovementPlan.opened_at >= utc(since),
                ImprovementPlan.closed_at >= utc(since)))
        .order_by(ImprovementPlan.id)).all())


def teams_with_plans(session: Session, *, since: datetime) -> set[int]:
    """The teams `plans` would find a plan for (one read for a whole tick)."""
    return set(session.exec(select(ImprovementPlan.team_id).distinct().where(
        or_(col(ImprovementPlan.open_key).is_not(None),
            ImprovementPlan.opened_at >= utc(since),
            ImprovementPlan.closed_at >= utc(since)))).all())


def open_plans(session: Session, *, workspace_id: str, team_ids: list[int] | None = None,
               user_id: str | None = None) -> list[ImprovementPlan]:
    query = select(ImprovementPlan).where(ImprovementPlan.workspace_id == workspace_id,
                                          col(ImprovementPlan.open_key).is_not(None))
    if team_ids is not None:
        query = query.where(col(ImprovementPlan.team_id).in_(list(team_ids)))
    if user_id is not None:
        query = query.where(ImprovementPlan.user_id == user_id)
    return list(session.exec(query.order_by(ImprovementPlan.id)).all())


def checks(session: Session, *, plan_id: int) -> list[PlanCheck]:
    return list(session.exec(select(PlanCheck).where(PlanCheck.plan_id == plan_id)
                             .order_by(PlanCheck.month)).all())


def save_plan(session: Session, *, plan: ImprovementPlan, targets: str, mentor: str | None,
              notes: str, by: str, now: datetime) -> bool:
    """The plan's targets, mentor and notes; True the first time, False for an edit."""
    result = session.execute(update(ImprovementPlan).where(ImprovementPlan.id == plan.id)
                             .values(targets_version=ImprovementPlan.targets_version + 1))
    assert result.rowcount == 1
    session.refresh(plan)
    first = plan.targets_version == 1
    plan.targets, plan.mentor_user_id, plan.notes = targets, mentor or None, notes
    plan.set_by, plan.set_at = by, utc(now)
    session.add(plan)
    record(session, review_id=plan.review_id, action="plan_set" if first else "plan_edited",
           actor=by, at=now, detail=f"{plan.kind}, mentor {mentor or '-'}")
    return first


def save_check(session: Session, *, plan: ImprovementPlan, month: int, status: str,
               note: str, outcome: str | None, decision: str | None, decision_note: str,
               by: str, now: datetime) -> bool:
    """A monthly check (the last one with the outcome); True the first time for that month.
    `completed` closes the plan; `not_met` comes with a decision: `extend` adds a month (the
    plan stays open), `move_role` and `end` close it."""
    check = PlanCheck(plan_id=plan.id, month=month, status=status, note=note, outcome=outcome,
                      by_user_id=by, at=utc(now))
    try:
        with session.begin_nested():
            session.add(check)
        first = True
    except IntegrityError:
        check = session.exec(select(PlanCheck).where(PlanCheck.plan_id == plan.id,
                                                     PlanCheck.month == month)).one()
        check.status, check.note, check.outcome = status, note, outcome
        check.by_user_id, check.at = by, utc(now)
        session.add(check)
        first = False
    session.refresh(plan)
    if outcome == NOT_MET:
        plan.decision, plan.decision_note = decision, decision_note
    if outcome == NOT_MET and decision == EXTEND:
        if plan.months == month:
            plan.months += 1
    elif outcome in OUTCOMES:
        plan.outcome, plan.open_key, plan.closed_at = outcome, None, utc(now)
    session.add(plan)
    session.flush()
    detail = f"month {month}: {status}" + (f", {outcome}" if outcome else "") + (
        f", {decision}" if outcome == NOT_MET and decision else "")
    record(session, review_id=plan.review_id, action="plan_checked", actor=by, at=now,
           detail=detail)
    if outcome == NOT_MET:
        record(session, review_id=plan.review_id, action="plan_decided", actor=by, at=now,
               detail=f"{decision}: {decision_note}"[:500])
    return first


# ----------------------------------------------------------------- the plan, for others

@dataclass(frozen=True)
class PlanCheckView:
    month: int
    status: str  # on_track | partly | off_track
    note: str
    outcome: str | None  # the last month's: completed | not_met (| extended, before)
    by_user_id: str
    at: datetime


@dataclass(frozen=True)
class PlanView:
    """An open performance-improvement plan, as the calibration data pack shows it."""

    id: int
    team_id: int
    user_id: str
    review_period: str  # the review that opened it, e.g. 2026-Q3
    start: date
    end: date
    months: int
    targets: str  # "" until the managers set them
    mentor_user_id: str | None
    notes: str
    checks: tuple[PlanCheckView, ...]


def open_plan(session: Session, *, team_id: int, user_id: str) -> PlanView | None:
    """The rep's open PIP on this team, with the checks so far; None if none."""
    plan = session.exec(select(ImprovementPlan).where(
        ImprovementPlan.open_key == _open_key(team_id, user_id, PIP))).first()
    if plan is None:
        return None
    review = session.get(Review, plan.review_id)
    return PlanView(
        id=plan.id, team_id=plan.team_id, user_id=plan.user_id,
        review_period=review.period if review else "", start=plan.start, end=plan_end(plan),
        months=plan.months, targets=plan.targets, mentor_user_id=plan.mentor_user_id,
        notes=plan.notes,
        checks=tuple(PlanCheckView(c.month, c.status, c.note, c.outcome, c.by_user_id,
                                   utc(c.at)) for c in checks(session, plan_id=plan.id)))
