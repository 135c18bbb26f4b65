"""The year end's rows (`year-end`, bot/jobs/year_end.py): one per rep, team and year, made
once, so a re-run or a second process neither recomputes nor re-sends what was recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import AnnualReview
from store.reviews import utc


def save(session: Session, *, workspace_id: str, team_id: int, user_id: str, year: int,
         grade: str, quarters: str, bonus_signal: str, recommendations: str,
         collaboration: float | None, now: datetime) -> AnnualReview:
    """The rep's year as first computed (a later call returns that row unchanged)."""
    row = AnnualReview(workspace_id=workspace_id, team_id=team_id, user_id=user_id, year=year,
                       grade=grade, quarters=quarters, bonus_signal=bonus_signal,
                       recommendations=recommendations, collaboration=collaboration,
                       computed_at=utc(now))
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        return of(session, team_id=team_id, user_id=user_id, year=year)


def of(session: Session, *, team_id: int, user_id: str, year: int) -> AnnualReview | None:
    return session.exec(select(AnnualReview).where(
        AnnualReview.team_id == team_id, AnnualReview.user_id == user_id,
        AnnualReview.year == year)).first()


def of_year(session: Session, *, team_id: int, year: int) -> list[AnnualReview]:
    return list(session.exec(select(AnnualReview).where(
        AnnualReview.team_id == team_id, AnnualReview.year == year)
        .order_by(AnnualReview.user_id)).all())


def of_rep(session: Session, *, workspace_id: str, user_id: str,
           team_ids: list[int] | None = None) -> list[AnnualReview]:
    query = select(AnnualReview).where(AnnualReview.workspace_id == workspace_id,
                                       AnnualReview.user_id == user_id)
    if team_ids is not None:
        query = query.where(AnnualReview.team_id.in_(team_ids))  # type: ignore[attr-defined]
    return list(session.exec(query.order_by(AnnualReview.year.desc())).all())  # type: ignore
