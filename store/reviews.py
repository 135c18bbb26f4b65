"""Reviews, their history, and performance-improvement plans (seed 003 §二(二)2, §二(三)2).

A review moves self → rating → result → (appeal →) final. Each save that can race a second
submission of the same form (a double click, a retry) decides "first or edit" with one
conditional UPDATE, so the answers are stored once and the history says what happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import ImprovementPlan, PlanCheck, Review, ReviewEvent

SELF, RATING, RESULT, APPEAL, FINAL = "self", "rating", "result", "appeal", "final"
CHECK_STATUSES = ("on_track", "partly", "off_track")
OUTCOMES = ("completed", "extended", "not_met")
PLAN_MONTHS = 3


def utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# ----------------------------------------------------------------- history

def record(session: Session, *, review_id: int, action: str, at: datetime, actor: str = "",
           detail: str = "") -> None:
    session.add(ReviewEvent(review_id=review_id, action=action, actor_user_id=actor or "",
                            detail=detail[:500], at=utc(at)))
    session.flush()


def events(session: Session, *, review_ids: Iterable[int]) -> dict[int, list[ReviewEvent]]:
    ids = list(review_ids)
    found: dict[int, list[ReviewEvent]] = {i: [] for i in ids}
    if not ids:
        return found
    for event in session.exec(select(ReviewEvent).where(col(ReviewEvent.review_id).in_(ids))
                              .order_by(ReviewEvent.at, ReviewEvent.id)).all():
        found[event.review_id].append(event)
    return found


# ----------------------------------------------------------------- reviews

def get(session: Session, review_id: int) -> Review | None:
    review = session.get(Review, review_id)
    if review is not None:
        session.refresh(review)  # another process may have moved it on
    return review


def reviewed(session: Session, *, team_id: int, period: str) -> set[str]:
    """The reps who already have a review for this period."""
    return set(session.exec(select(Review.user_id).where(Review.team_id == team_id,
                                                         Review.period == period)).all())


def open_review(session: Session, *, workspace_id: str, team_id: int, user_id: str,
                period: str, period_end: date, self_due: date, rating_due: date,
                score_total: float | None, score_grade: str | None,
                now: datetime) -> Review | None:
    """Open a rep's review for a period; None if it was open already (another run won)."""
    review = Review(workspace_id=workspace_id, team_id=team_id, user_id=user_id,
                    period=period, period_end=period_end, status=SELF, opened_at=utc(now),
                    score_total=score_total, score_grade=score_grade, self_due=self_due,
                    rating_due=rating_due)
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError:
        return None
    record(session, review_id=review.id, action="opened", at=now, detail=period)
    return review


def active(session: Session, *, team_id: int, final_since: datetime) -> list[Review]:
    """A team's reviews still moving, and those that became final since `final_since` (their
    last messages may still be going out)."""
    return list(session.exec(
        select(Review).where(Review.team_id == team_id,
                             or_(Review.status != FINAL, Review.final_at >= utc(final_since)))
        .order_by(Review.id)).all())


def _first(session: Session, review: Review, column: str, now: datetime) -> bool:
    """Set `column` to now if it is still empty; True when this call did (the first save)."""
    result = session.execute(update(Review).where(Review.id == review.id,
                                                  getattr(Review, column).is_(None))
                             .values({column: utc(now)}))
    return result.rowcount == 1


def save_self(session: Session, *, review: Review, best: str, improve: str, support: str,
              grade: str | None, now: datetime) -> bool:
    """The rep's self-assessment; True the first time, False for an edit."""
    first = _first(session, review, "self_at", now)
    session.refresh(review)
    review.self_best, review.self_improve, review.self_support = best, improve, support
    review.self_grade = grade
    if review.status == SELF:
        review.status = RATING
    session.add(review)
    record(session, review_id=review.id, action="self_sent" if first else "self_edited",
           actor=review.user_id, at=now, detail=f"self-grade {grade}" if grade else "")
    return first


def save_rating(session: Session, *, review: Review, by: str, grade: str, strengths: str,
                improvements: str, next_plan: str, comments: str, appeal_due: date,
                now: datetime) -> bool:
    """The manager's rating; it is sent to the rep as the result, opening the appeal window.
    True the first time, False for an edit (which sends the result again)."""
    first = _first(session, review, "rated_at", now)
    session.execute(update(Review).where(Review.id == review.id)
                    .values(rating_version=Review.rating_version + 1))
    session.refresh(review)
    review.grade, review.strengths, review.improvements = grade, strengths, improvements
    review.next_plan, review.comments, review.rated_by = next_plan, comments, by
    review.rated_at, review.appeal_due, review.status = utc(now), appeal_due, RESULT
    session.add(review)
    record(session, review_id=review.id, action="rated" if first else "rating_edited",
           actor=by, at=now, detail=f"grade {grade}")
    return first


def save_appeal(session: Session, *, review: Review, reason: str, decision_due: date,
                now: datetime) -> bool:
    first = _first(session, review, "appealed_at", now)
    session.refresh(review)
    review.appeal_reason = reason
    if first:
        review.decision_due, review.status = decision_due, APPEAL
    session.add(review)
    record(session, review_id=review.id, action="appealed" if first else "appeal_edited",
           actor=review.user_id, at=now)
    return first


def save_decision(session: Session, *, review: Review, by: str, decision: str, grade: str,
                  comment: str, now: datetime) -> bool:
    """HR's decision on an appeal: the grade upheld or changed; the review is final."""
    first = _first(session, review, "decided_at", now)
    session.execute(update(Review).where(Review.id == review.id)
                    .values(decision_version=Review.decision_version + 1))
    session.refresh(review)
    review.decision, review.decided_grade, review.decision_comment = decision, grade, comment
    review.decided_by, review.decided_at = by, utc(now)
    review.final_grade, review.status = grade, FINAL
    if first:
        review.final_at = utc(now)
    session.add(review)
    record(session, review_id=review.id, action="decided" if first else "decision_edited",
           actor=by, at=now, detail=f"{decision} {grade}")
    if first:
        record(session, review_id=review.id, action="final", at=now, detail=f"grade {grade}")
    return first


def finalize(session: Session, *, review: Review, at: datetime) -> bool:
    """No appeal by the deadline: the manager's grade is final. True when this call did it."""
    result = session.execute(
        update(Review).where(Review.id == review.id, Review.status == RESULT,
                             Review.appealed_at.is_(None))
        .values(status=FINAL, final_grade=review.grade, final_at=utc(at)))
    if result.rowcount != 1:
        return False
    session.refresh(review)
    record(session, review_id=review.id, action="final", at=at, detail=f"grade {review.grade}")
    return True


def previous_final(session: Session, *, review: Review) -> Review | None:
    """The rep's last final review on the same team before this one."""
    return session.exec(
        select(Review).where(Review.team_id == review.team_id, Review.user_id == review.user_id,
                             Review.period_end < review.period_end, Review.status == FINAL)
        .order_by(col(Review.period_end).desc())).first()


def history(session: Session, *, workspace_id: str, user_id: str,
            team_ids: Iterable[int] | None = None, limit: int = 6) -> list[Review]:
    query = select(Review).where(Review.workspace_id == workspace_id, Review.user_id == user_id)
    if team_ids is not None:
        query = query.where(col(Review.team_id).in_(list(team_ids)))
    return list(session.exec(query.order_by(col(Review.period_end).desc(),
                                            col(Review.id).desc()).limit(limit)).all())


def pending(session: Session, *, workspace_id: str, statuses: Iterable[str],
            user_id: str | None = None, team_ids: Iterable[int] | None = None) -> list[Review]:
    query = select(Review).where(Review.workspace_id == workspace_id,
                                 col(Review.status).in_(list(statuses)))
    if user_id is not None:
        query = query.where(Review.user_id == user_id)
    if team_ids is not None:
        query = query.where(col(Review.team_id).in_(list(team_ids)))
    return list(session.exec(query.order_by(Review.period_end, Review.id)).all())


# ----------------------------------------------------------------- improvement plans

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


def open_plan_for(session: Session, *, review: Review, start: date,
                  now: datetime) -> ImprovementPlan | None:
    """Open a plan after `review`; None if the rep already has an open plan on the team or
    this review already opened one."""
    plan = ImprovementPlan(workspace_id=review.workspace_id, team_id=review.team_id,
                           user_id=review.user_id, review_id=review.id,
                           open_key=f"{review.team_id}:{review.user_id}", start=start,
                           months=PLAN_MONTHS, opened_at=utc(now))
    try:
        with session.begin_nested():
            session.add(plan)
    except IntegrityError:
        return None
    record(session, review_id=review.id, action="plan_opened", at=now,
           detail=f"{start.isoformat()} to {plan_end(plan).isoformat()}")
    return plan


def get_plan(session: Session, plan_id: int) -> ImprovementPlan | None:
    plan = session.get(ImprovementPlan, plan_id)
    if plan is not None:
        session.refresh(plan)
    return plan


def plans(session: Session, *, team_id: int, opened_since: datetime) -> list[ImprovementPlan]:
    """A team's open plans, and those opened since `opened_since` (closed or not)."""
    return list(session.exec(
        select(ImprovementPlan).where(
            ImprovementPlan.team_id == team_id,
            or_(col(ImprovementPlan.open_key).is_not(None),
                ImprovementPlan.opened_at >= utc(opened_since)))
        .order_by(ImprovementPlan.id)).all())


def open_plans(session: Session, *, workspace_id: str,
               team_ids: Iterable[int] | None = None) -> list[ImprovementPlan]:
    query = select(ImprovementPlan).where(ImprovementPlan.workspace_id == workspace_id,
                                          col(ImprovementPlan.open_key).is_not(None))
    if team_ids is not None:
        query = query.where(col(ImprovementPlan.team_id).in_(list(team_ids)))
    return list(session.exec(query.order_by(ImprovementPlan.id)).all())


def checks(session: Session, *, plan_id: int) -> list[PlanCheck]:
    return list(session.exec(select(PlanCheck).where(PlanCheck.plan_id == plan_id)
                             .order_by(PlanCheck.month)).all())


def save_plan(session: Session, *, plan: ImprovementPlan, targets: str, mentor: str,
              notes: str, by: str, now: datetime) -> bool:
    """The plan's targets, mentor and notes; True the first time, False for an edit."""
    result = session.execute(update(ImprovementPlan).where(ImprovementPlan.id == plan.id)
                             .values(targets_version=ImprovementPlan.targets_version + 1))
    assert result.rowcount == 1
    session.refresh(plan)
    first = plan.targets_version == 1
    plan.targets, plan.mentor_user_id, plan.notes = targets, mentor, notes
    plan.set_by, plan.set_at = by, utc(now)
    session.add(plan)
    record(session, review_id=plan.review_id, action="plan_set" if first else "plan_edited",
           actor=by, at=now, detail=f"mentor {mentor}")
    return first


def save_check(session: Session, *, plan: ImprovementPlan, month: int, status: str,
               note: str, outcome: str | None, by: str, now: datetime) -> bool:
    """A monthly check (the last one with the outcome); True the first time for that month.
    `extended` adds a month to the plan; `completed` and `not_met` close it."""
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
    if outcome == "extended" and plan.months == month:
        plan.months += 1
    elif outcome in ("completed", "not_met"):
        plan.outcome, plan.open_key, plan.closed_at = outcome, None, utc(now)
    session.add(plan)
    session.flush()
    detail = f"month {month}: {status}" + (f", {outcome}" if outcome else "")
    record(session, review_id=plan.review_id, action="plan_checked", actor=by, at=now,
           detail=detail)
    return first


# ----------------------------------------------------------------- the plan, for others

@dataclass(frozen=True)
class PlanCheckView:
    month: int
    status: str  # on_track | partly | off_track
    note: str
    outcome: str | None  # the last month's: completed | extended | not_met
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
    """The rep's open improvement plan on this team, with the checks so far; None if none."""
    plan = session.exec(select(ImprovementPlan).where(
        ImprovementPlan.open_key == f"{team_id}:{user_id}")).first()
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
