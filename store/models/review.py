"""The review cycle: a rep's review per month or quarter, its history, the result
conversation's record (both sides' versions), the improvement plans (with their monthly checks)
that follow a low grade or a low customer satisfaction, members' levels, and the year end.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class Review(SQLModel, table=True):
    """A rep's performance review for one month or quarter (seed 003 §二(二)2): the
    self-assessment, the manager's rating (grade, competencies, factors), the result
    conversation (seed 000: a 30-minute talk, then a record both confirm), an appeal and HR's
    decision. Deadlines are local dates in the team's zone; a step is due by the end of its
    day. The record's versions are ReviewRecord rows."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "period", name="uq_review"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)  # the rep
    period: str = Field(max_length=16)  # 2026-11, 2026-Q4
    period_end: date
    # self | rating | talk (rated: the conversation is scheduled, then its record awaited) |
    # confirm (the record is with the rep) | result (appeal window open) | appeal | final
    status: str = Field(default="self", max_length=16)
    opened_at: datetime = Field(sa_column=utc_column(nullable=False))
    score_total: float | None = Field(default=None)  # the scorecard when the review opened
    score_grade: str | None = Field(default=None, max_length=1)
    self_due: date
    rating_due: date
    self_best: str = Field(default="", max_length=3000)
    self_improve: str = Field(default="", max_length=3000)
    self_support: str = Field(default="", max_length=3000)
    self_difficulties: str = Field(default="", max_length=3000)
    self_grade: str | None = Field(default=None, max_length=1)
    self_at: datetime | None = Field(default=None, sa_column=utc_column())
    grade: str | None = Field(default=None, max_length=1)  # the manager's
    strengths: str = Field(default="", max_length=3000)
    improvements: str = Field(default="", max_length=3000)
    next_plan: str = Field(default="", max_length=3000)
    comments: str = Field(default="", max_length=3000)
    level: str | None = Field(default=None, max_length=32)  # the rep's level when rated
    competencies: str = Field(default="", max_length=8000)  # JSON: [{key, rating, example}]
    controllable: str = Field(default="", max_length=2000)
    uncontrollable: str = Field(default="", max_length=2000)
    rated_by: str | None = Field(default=None, max_length=32)
    rated_at: datetime | None = Field(default=None, sa_column=utc_column())
    rating_version: int = Field(default=0)
    # The result conversation: when, with whom (the rater), and each move.
    talk_at: datetime | None = Field(default=None, sa_column=utc_column())
    talk_with: str | None = Field(default=None, max_length=32)
    talk_set_at: datetime | None = Field(default=None, sa_column=utc_column())
    talk_moved_by: str | None = Field(default=None, max_length=32)
    talk_version: int = Field(default=0)  # 1 when scheduled, +1 per move
    # Its record (ReviewRecord rows hold each version): sent, then confirmed by the rep, or
    # overdue (after a reminder) — either opens the appeal window.
    recorded_at: datetime | None = Field(default=None, sa_column=utc_column())
    record_version: int = Field(default=0)
    confirm_due: date | None = Field(default=None)
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column())
    confirmation: str | None = Field(default=None, max_length=16)  # confirmed | overdue
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


class ReviewRecord(SQLModel, table=True):
    """One version of a review conversation's record: the manager's (`record`: what was
    agreed, as JSON) or the rep's answer to it (`confirmed`, with an optional comment). Every
    version is kept: the history and the export show both sides."""

    __tablename__ = "review_records"
    __table_args__ = (UniqueConstraint("review_id", "kind", "version", name="uq_review_record"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    user_id: str = Field(max_length=32)  # the rep the record is about
    kind: str = Field(max_length=16)  # record | confirmed
    version: int  # the record's version it is (or answers)
    author_user_id: str = Field(max_length=32)
    body: str = Field(default="", max_length=20000)  # JSON (record) or the rep's comment
    at: datetime = Field(sa_column=utc_column(nullable=False))


class MemberLevel(SQLModel, table=True):
    """A rep's level on a team (the team's rules name the levels, e.g. junior | senior): it
    chooses the competency dimensions their rating form asks for (seed 000)."""

    __tablename__ = "member_levels"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_member_level"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    level: str = Field(max_length=32)
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(sa_column=utc_column(nullable=False))


class AnnualReview(SQLModel, table=True):
    """A rep's year (seed 003 §二(二)1 年度考核): the annual grade from the quarters' final
    grades, the bonus signal and the recommendations made to the manager (`year-end`)."""

    __tablename__ = "annual_reviews"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "year", name="uq_annual_review"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    year: int
    grade: str = Field(max_length=1)
    quarters: str = Field(max_length=200)  # "2026-Q1:A 2026-Q2:B ..." (final grades)
    bonus_signal: str = Field(max_length=16)  # extra_month | none | standard
    recommendations: str = Field(default="", max_length=200)  # kinds, space-separated
    collaboration: float | None = Field(default=None)
    computed_at: datetime = Field(sa_column=utc_column(nullable=False))


class ImprovementPlan(SQLModel, table=True):
    """An improvement plan (seed 003 §二(三)2), of one of two kinds. `pip`: a 3-month
    performance-improvement plan after a final D, or a second C in a row, with targets and a
    mentor the managers set. `satisfaction`: customer satisfaction below the team's baseline
    (seed 003 §二(一)2 低于基准分需提交改进方案): the rep proposes the plan. `open_key` is
    "<team>:<user>" (a PIP) or "<team>:<user>:satisfaction" while open and NULL once closed,
    so the unique constraint allows one open plan of each kind per rep and team."""

    __tablename__ = "improvement_plans"
    __table_args__ = (UniqueConstraint("open_key", name="uq_plan_open"),
                      UniqueConstraint("review_id", "kind", name="uq_plan_review"))

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    review_id: int = Field(foreign_key="reviews.id")
    kind: str = Field(default="pip", max_length=16)  # pip | satisfaction
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
    # Not met is never the end of it: extend | move_role | end, decided by the manager.
    decision: str | None = Field(default=None, max_length=16)
    decision_note: str = Field(default="", max_length=2000)
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
