"""The review cycle: a rep's review per month or quarter, its history, and the improvement
plans (with their monthly checks) that follow a low grade.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class Review(SQLModel, table=True):
    """A rep's performance review for one month or quarter (seed 003 §二(二)2): the
    self-assessment, the manager's rating, the result, an appeal and HR's decision. Deadlines
    are local dates in the team's zone; a step is due by the end of its day."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "period", name="uq_review"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)  # the rep
    period: str = Field(max_length=16)  # 2026-11, 2026-Q4
    period_end: date
    status: str = Field(default="self", max_length=16)  # self|rating|result|appeal|final
    opened_at: datetime = Field(sa_column=utc_column(nullable=False))
    score_total: float | None = Field(default=None)  # the scorecard when the review opened
    score_grade: str | None = Field(default=None, max_length=1)
    self_due: date
    rating_due: date
    self_best: str = Field(default="", max_length=3000)
    self_improve: str = Field(default="", max_length=3000)
    self_support: str = Field(default="", max_length=3000)
    self_grade: str | None = Field(default=None, max_length=1)
    self_at: datetime | None = Field(default=None, sa_column=utc_column())
    grade: str | None = Field(default=None, max_length=1)  # the manager's
    strengths: str = Field(default="", max_length=3000)
    improvements: str = Field(default="", max_length=3000)
    next_plan: str = Field(default="", max_length=3000)
    comments: str = Field(default="", max_length=3000)
    rated_by: str | None = Field(default=None, max_length=32)
    rated_at: datetime | None = Field(default=None, sa_column=utc_column())
    rating_version: int = Field(default=0)  # each saved rating sends the result again
    appeal_due: date | None = Field(default=None)
    appeal_reason: str = Field(default="", max_length=3000)
    appealed_at: datetime | None = Field(default=None, sa_column=utc_column())
    decision_due: date | None = Field(default=None)
    decision: str | None = Field(default=None, max_length=16)  # upheld | changed
    decided_grade: str | None = Field(default=None, max_length=1)
    decision_comment: str = Field(default="", max_length=3000)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column())
    decision_version: int = Field(default=0)
    final_grade: str | None = Field(default=None, max_length=1)
    final_at: datetime | None = Field(default=None, sa_column=utc_column())


class ReviewEvent(SQLModel, table=True):
    """A review's history: who did what when (opened, self-assessment sent or edited, rated,
    result sent, appealed, decided, final, reminded, escalated, plan opened, plan checked)."""

    __tablename__ = "review_events"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    action: str = Field(max_length=32)
    actor_user_id: str = Field(default="", max_length=32)  # "" for Pacer itself
    detail: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=utc_column(nullable=False))


class ImprovementPlan(SQLModel, table=True):
    """A 3-month performance-improvement plan (seed 003 §二(三)2): after a final D, or a
    second C in a row. `open_key` is "<team>:<user>" while open and NULL once closed, so the
    unique constraint allows one open plan per rep and team (NULLs never collide)."""

    __tablename__ = "improvement_plans"
    __table_args__ = (UniqueConstraint("open_key", name="uq_plan_open"),
                      UniqueConstraint("review_id", name="uq_plan_review"))

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    review_id: int = Field(foreign_key="reviews.id")
    open_key: str | None = Field(default=None, max_length=64)
    start: date
    months: int = Field(default=3)  # an extension adds one
    targets: str = Field(default="", max_length=3000)
    mentor_user_id: str | None = Field(default=None, max_length=32)
    notes: str = Field(default="", max_length=3000)
    set_by: str | None = Field(default=None, max_length=32)
    set_at: datetime | None = Field(default=None, sa_column=utc_column())
    targets_version: int = Field(default=0)
    outcome: str | None = Field(default=None, max_length=16)  # completed | not_met
    opened_at: datetime = Field(sa_column=utc_column(nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())


class PlanCheck(SQLModel, table=True):
    """A manager's monthly check of a plan; a second one for the same month edits it."""

    __tablename__ = "plan_checks"
    __table_args__ = (UniqueConstraint("plan_id", "month", name="uq_plan_check"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="improvement_plans.id", index=True)
    month: int
    status: str = Field(max_length=16)  # on_track | partly | off_track
    note: str = Field(default="", max_length=3000)
    outcome: str | None = Field(default=None, max_length=16)  # end:: completed|extended|not_met
    by_user_id: str = Field(max_length=32)
    at: datetime = Field(sa_column=utc_column(nullable=False))
