"""Reviews and their history (seed 003 §二(二)2), the result conversation (seed 000) and its
record, members' levels. Improvement plans are in store/plans.py, the year end in
store/annual.py.

A review moves self → rating → talk → confirm → result → (appeal →) final: the manager rates,
the two talk (the rep hears the grade there, not before), the manager records what was agreed,
the rep confirms it (or the confirmation goes overdue), which opens the appeal window. Each
save that can race a second submission of the same form (a double click, a retry) decides
"first or edit" with one conditional UPDATE, so the answers are stored once and the history
says what happened.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import Calibration, MemberLevel, Review, ReviewEvent, ReviewRecord

SELF, RATING, TALK, CONFIRM, RESULT, APPEAL, FINAL = (
    "self", "rating", "talk", "confirm", "result", "appeal", "final")
# The rep has not heard the grade yet: it is theirs from the record on.
BEFORE_TALK = (SELF, RATING, TALK)
RECORD, CONFIRMED, OVERDUE = "record", "confirmed", "overdue"


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


# What a tick reads of every active review to work out its steps' moments: the dates,
# times, states and versions, not the free text (read fresh when a message is built). Rows,
# not ORM objects: a tick reads every active review each minute, and making a Review
# instance cost more than the rest of the job (about 50 µs each, 23,000 at 2,000 teams).
FREE_TEXT = frozenset({"self_best", "self_improve", "self_support", "self_difficulties",
                       "strengths", "improvements", "next_plan", "comments", "competencies",
                       "controllable", "uncontrollable", "appeal_reason", "decision_comment"})
STEP_COLUMNS = tuple(c for c in Review.__table__.c if c.name not in FREE_TEXT)
# A review's STEP_COLUMNS, read by attribute as a Review's (a named tuple's are the fastest).
ReviewSteps = namedtuple("ReviewSteps", [c.name for c in STEP_COLUMNS])  # type: ignore[misc]
ReviewState = Review | ReviewSteps


def active_of(session: Session, *, team_ids: list[int],
              final_since: datetime) -> dict[int, list[ReviewSteps]]:
    """`active` for several teams in one read, by team id (every one of `team_ids` there),
    as ReviewSteps."""
    found: dict[int, list[ReviewSteps]] = {team_id: [] for team_id in team_ids}
    for row in session.execute(
        select(*STEP_COLUMNS).where(col(Review.team_id).in_(team_ids),
                                    or_(Review.status != FINAL,
                                        Review.final_at >= utc(final_since)))
        .order_by(Review.team_id, Review.id)).all():
        review = ReviewSteps._make(row)
        found[review.team_id].append(review)
    return found


def teams_with_active(session: Session, *, final_since: datetime) -> set[int]:
    """The teams with a review `active` would return: one read for a whole tick, so the
    others are not asked one by one."""
    return set(session.exec(select(Review.team_id).distinct().where(
        or_(Review.status != FINAL, Review.final_at >= utc(final_since)))).all())


def _first(session: Session, review: Review, column: str, now: datetime) -> bool:
    """Set `column` to now if it is still empty; True when this call did (the first save)."""
    result = session.execute(update(Review).where(Review.id == review.id,
                                                  getattr(Review, column).is_(None))
                             .values({column: utc(now)}))
    return result.rowcount == 1


def save_self(session: Session, *, review: Review, best: str, improve: str, difficulties: str,
              support: str, grade: str | None, now: datetime) -> bool:
    """The rep's self-assessment; True the first time, False for an edit."""
    first = _first(session, review, "self_at", now)
    session.refresh(review)
    review.self_best, review.self_improve, review.self_support = best, improve, support
    review.self_difficulties = difficulties
    review.self_grade = grade
    if review.status == SELF:
        review.status = RATING
    session.add(review)
    record(session, review_id=review.id, action="self_sent" if first else "self_edited",
           actor=review.user_id, at=now, detail=f"self-grade {grade}" if grade else "")
    return first


def save_rating(session: Session, *, review: Review, by: str, grade: str, strengths: str,
                improvements: str, comments: str, level: str, competencies: str,
                controllable: str, uncontrollable: str, talk_at: datetime,
                now: datetime) -> bool:
    """The manager's rating (the rep does not see it before the talk). The first one
    schedules the result conversation at `talk_at` with the rater; an edit keeps the talk
    where it is. True the first time, False for an edit."""
    first = _first(session, review, "rated_at", now)
    session.execute(update(Review).where(Review.id == review.id)
                    .values(rating_version=Review.rating_version + 1))
    session.refresh(review)
    review.grade, review.strengths, review.improvements = grade, strengths, improvements
    review.comments, review.rated_by, review.rated_at = comments, by, utc(now)
    review.level, review.competencies = level, competencies
    review.controllable, review.uncontrollable = controllable, uncontrollable
    if first:
        review.status, review.talk_at, review.talk_with = TALK, utc(talk_at), by
        review.talk_set_at, review.talk_version = utc(now), 1
    session.add(review)
    record(session, review_id=review.id, action="rated" if first else "rating_edited",
           actor=by, at=now, detail=f"grade {grade}")
    if first:
        record(session, review_id=review.id, action="talk_scheduled", at=now,
               detail=utc(talk_at).isoformat())
    return first


def move_talk(session: Session, *, review: Review, at: datetime, by: str,
              now: datetime) -> None:
    """The result conversation moves to `at` (either of the two may move it)."""
    session.execute(update(Review).where(Review.id == review.id)
                    .values(talk_version=Review.talk_version + 1))
    session.refresh(review)
    review.talk_at, review.talk_set_at, review.talk_moved_by = utc(at), utc(now), by
    session.add(review)
    record(session, review_id=review.id, action="talk_moved", actor=by, at=now,
           detail=utc(at).isoformat())


def save_record(session: Session, *, review: Review, by: str, grade: str, body: str,
                confirm_due: date, now: datetime) -> bool:
    """The manager's record of the conversation (a new version each time; kept): it goes to
    the rep to confirm by `confirm_due`. The grade the two ended on is the review's grade.
    True the first time, False for an edit."""
    first = _first(session, review, "recorded_at", now)
    session.execute(update(Review).where(Review.id == review.id)
                    .values(record_version=Review.record_version + 1))
    session.refresh(review)
    before = review.grade
    review.grade, review.status, review.confirm_due = grade, CONFIRM, confirm_due
    session.add(review)
    session.add(ReviewRecord(review_id=review.id, user_id=review.user_id, kind=RECORD,
                             version=review.record_version, author_user_id=by, body=body,
                             at=utc(now)))
    # Details are data, not words (the history is read in either language).
    record(session, review_id=review.id, action="recorded" if first else "record_edited",
           actor=by, at=now, detail=grade if grade == before else f"{before} → {grade}")
    return first


def confirm(session: Session, *, review: Review, comment: str, appeal_due: date,
            now: datetime) -> bool:
    """The rep confirms the record (with a comment, if any): the appeal window opens. True
    when this call did it (a second click finds it confirmed)."""
    result = session.execute(
        update(Review).where(Review.id == review.id, Review.status == CONFIRM,
                             Review.confirmed_at.is_(None))
        .values(status=RESULT, confirmed_at=utc(now), confirmation=CONFIRMED,
                appeal_due=appeal_due))
    if result.rowcount != 1:
        return False
    session.refresh(review)
    session.add(ReviewRecord(review_id=review.id, user_id=review.user_id, kind=CONFIRMED,
                             version=review.record_version, author_user_id=review.user_id,
                             body=comment, at=utc(now)))
    record(session, review_id=review.id, action="confirmed", actor=review.user_id, at=now,
           detail=f"v{review.record_version}" + (" 💬" if comment else ""))
    return True


def confirm_overdue(session: Session, *, review: Review, at: datetime,
                    appeal_due: date) -> bool:
    """Not confirmed by the deadline (after a reminder): the record stands and the appeal
    window opens. True when this call did it."""
    result = session.execute(
        update(Review).where(Review.id == review.id, Review.status == CONFIRM,
                             Review.confirmed_at.is_(None))
        .values(status=RESULT, confirmation=OVERDUE, appeal_due=appeal_due))
    if result.rowcount != 1:
        return False
    session.refresh(review)
    record(session, review_id=review.id, action="confirm_overdue", at=at,
           detail=f"v{review.record_version}")
    return True


def records(session: Session, *, review_id: int) -> list[ReviewRecord]:
    """Every version of the record and the rep's answers, oldest first."""
    return list(session.exec(select(ReviewRecord).where(ReviewRecord.review_id == review_id)
                             .order_by(ReviewRecord.at, ReviewRecord.id)).all())


def latest_record(session: Session, *, review_id: int) -> ReviewRecord | None:
    return session.exec(select(ReviewRecord).where(ReviewRecord.review_id == review_id,
                                                   ReviewRecord.kind == RECORD)
                        .order_by(col(ReviewRecord.version).desc())).first()


def talks(session: Session, *, workspace_id: str, people: Iterable[str], start: datetime,
          end: datetime, besides: int | None = None) -> list[datetime]:
    """When the review conversations of any of `people` (as rep or manager) still to be held
    start, between start and end: a new talk is not put on top of one."""
    names = list(people)
    query = select(Review.talk_at).where(
        Review.workspace_id == workspace_id, Review.status == TALK,
        Review.recorded_at.is_(None), Review.talk_at >= utc(start), Review.talk_at <= utc(end),
        or_(col(Review.user_id).in_(names), col(Review.talk_with).in_(names)))
    if besides is not None:
        query = query.where(Review.id != besides)
    return [utc(at) for at in session.exec(query).all()]


def calibration_factors(session: Session, *, team_id: int, rep: str, start: datetime,
                        end: datetime) -> list[tuple[str, str]]:
    """The controllable and uncontrollable factors noted in the rep's calibrations held in
    the period (seed 000: 区分可控因素与不可控因素), oldest first."""
    rows = session.exec(select(Calibration.controllable, Calibration.uncontrollable).where(
        Calibration.team_id == team_id, Calibration.rep_user_id == rep,
        col(Calibration.recorded_at).is_not(None), Calibration.scheduled_at >= utc(start),
        Calibration.scheduled_at < utc(end)).order_by(Calibration.scheduled_at)).all()
    return [(c, u) for c, u in rows if c or u]


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
    """No appeal by the deadline: the grade the record holds is final. True when this call
    did it."""
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


def final_grades(session: Session, *, team_id: int, user_id: str,
                 periods: Iterable[str]) -> dict[str, Review]:
    """The rep's final reviews of these periods on the team, by period (consequences read
    final grades: after the talk, the record, and any appeal)."""
    return {r.period: r for r in session.exec(select(Review).where(
        Review.team_id == team_id, Review.user_id == user_id,
        col(Review.period).in_(list(periods)), Review.status == FINAL)).all()}


def of_periods(session: Session, *, team_id: int, periods: Iterable[str]) -> list[Review]:
    """A team's reviews of these periods, final or not."""
    return list(session.exec(select(Review).where(
        Review.team_id == team_id, col(Review.period).in_(list(periods)))
        .order_by(Review.user_id, Review.period_end)).all())


def teams_with_periods(session: Session, *, periods: Iterable[str]) -> set[int]:
    """The teams with a review of these periods (one read for a whole tick)."""
    return set(session.exec(select(Review.team_id).distinct().where(
        col(Review.period).in_(list(periods)))).all())


# ----------------------------------------------------------------- levels

def level_of(session: Session, *, team_id: int, user_id: str) -> str | None:
    return session.exec(select(MemberLevel.level).where(MemberLevel.team_id == team_id,
                                                        MemberLevel.user_id == user_id)).first()


def levels(session: Session, *, team_id: int) -> dict[str, str]:
    return dict(session.exec(select(MemberLevel.user_id, MemberLevel.level)
                             .where(MemberLevel.team_id == team_id)).all())


def set_level(session: Session, *, team_id: int, user_id: str, level: str, by: str,
              now: datetime) -> str | None:
    """Set a rep's level on a team; the level it had (None: the team's default)."""
    row = session.exec(select(MemberLevel).where(MemberLevel.team_id == team_id,
                                                 MemberLevel.user_id == user_id)).first()
    before = row.level if row else None
    row = row or MemberLevel(team_id=team_id, user_id=user_id, level=level, set_by=by,
                             set_at=utc(now))
    row.level, row.set_by, row.set_at = level, by, utc(now)
    session.add(row)
    session.flush()
    return before
