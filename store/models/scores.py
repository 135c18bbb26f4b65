"""What people add to a scorecard besides the logs: managers' targets and ratings, and
anonymous peer ratings.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class TargetRow(SQLModel, table=True):
    """A manager's target for a rep, a team default for each rep (user_id "*", period a label
    or "month": every month from set_at on) or an older team-wide target shared between the
    reps (user_id ""). Periods without one use the rolling forecast (bot/scoring)."""

    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "metric", "period", name="uq_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(default="", max_length=32)  # "*" team default, "" team-wide (older)
    metric: str = Field(max_length=32)
    period: str = Field(max_length=16)  # 2026-11, 2026-Q4, 2026, or "month" (every month)
    value: Decimal = Field(sa_column=Column(Numeric(18, 4), nullable=False))
    reason: str = Field(default="", max_length=500)
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(sa_column=utc_column(nullable=False))


class Rating(SQLModel, table=True):
    """A manager's rating of a rep for a period: customer satisfaction (0-100, from the
    survey) or compliance deductions (points off 100)."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "period", "kind", name="uq_rating"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    period: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # satisfaction | compliance
    value: float
    note: str = Field(default="", max_length=500)
    by_user_id: str = Field(max_length=32)
    at: datetime = Field(sa_column=utc_column(nullable=False))


class PeerRating(SQLModel, table=True):
    """An anonymous collaboration rating. The rater is kept only as a keyed hash (HMAC with
    a secret the database does not hold), enough to allow one rating per rater per ratee and
    period and nothing more: no rater id, no time, no comment."""

    __tablename__ = "peer_ratings"
    __table_args__ = (
        UniqueConstraint("team_id", "ratee_user_id", "period", "rater_key", name="uq_peer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    ratee_user_id: str = Field(max_length=32)
    period: str = Field(max_length=16)
    rater_key: str = Field(max_length=64)
    score: int
