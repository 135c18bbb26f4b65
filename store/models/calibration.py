"""Bi-weekly calibration 1:1s: who calibrates with whom, each meeting once something
happened to it, and the action items agreed there.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class CalibrationPair(SQLModel, table=True):
    """A rep and the manager they calibrate with, when it differs from the team's default
    (its first manager) or runs on its own cadence (a later move "this and following")."""

    __tablename__ = "calibration_pairs"
    __table_args__ = (UniqueConstraint("team_id", "rep_user_id", name="uq_calibration_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", index=True)
    rep_user_id: str = Field(max_length=32)
    manager_user_id: str | None = Field(default=None, max_length=32)
    # The pair's own cadence: every two weeks from this moment, in the team's zone.
    anchor_at: datetime | None = Field(default=None, sa_column=utc_column())
    updated_by: str = Field(default="", max_length=32)
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class Calibration(SQLModel, table=True):
    """One bi-weekly calibration 1:1 (seed 001 §三2), stored once something happened to it:
    the rep answered the four questions, someone moved or skipped it, the manager recorded
    minutes, or it was started ad hoc. Until then it exists only in the cadence."""

    __tablename__ = "calibrations"
    __table_args__ = (
        UniqueConstraint("team_id", "rep_user_id", "slot", name="uq_calibration_slot"),
        Index("ix_calibration_team_time", "team_id", "scheduled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id")
    rep_user_id: str = Field(max_length=32)
    manager_user_id: str = Field(max_length=32)
    # The cadence date it stands for ("2026-11-24"), or "adhoc:<request>" for one started now.
    slot: str = Field(max_length=80)
    scheduled_at: datetime = Field(sa_column=utc_column(nullable=False))
    status: str = Field(default="scheduled", max_length=16)  # scheduled|held|skipped|cancelled
    # The rep's answers to the four questions, before the meeting.
    progress: str = Field(default="", max_length=2000)
    blockers: str = Field(default="", max_length=2000)
    support: str = Field(default="", max_length=2000)
    next_actions: str = Field(default="", max_length=2000)
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
    # The manager's minutes (seed 000: controllable vs uncontrollable factors).
    notes: str = Field(default="", max_length=3000)
    controllable: str = Field(default="", max_length=2000)
    uncontrollable: str = Field(default="", max_length=2000)
    recorded_by: str | None = Field(default=None, max_length=32)
    recorded_at: datetime | None = Field(default=None, sa_column=utc_column())
    skip_reason: str = Field(default="", max_length=500)
    moved_by: str | None = Field(default=None, max_length=32)
    # When it got its current time (created, or last moved): reminders due before this are
    # not owed (a meeting moved to tomorrow morning gets no "a day ahead" pack after the fact).
    set_at: datetime = Field(sa_column=utc_column(nullable=False))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class ActionItem(SQLModel, table=True):
    """An agreed action from a calibration, or from a review conversation's record (seed
    000: improvements with SMART actions): an owner, a due date and how it is measured."""

    __tablename__ = "action_items"
    __table_args__ = (
        UniqueConstraint("calibration_id", "position", name="uq_action_position"),
        Index("ix_action_owner_status", "workspace_id", "owner_user_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    calibration_id: int | None = Field(default=None, foreign_key="calibrations.id")
    review_id: int | None = Field(default=None, foreign_key="reviews.id", index=True)
    position: int = Field(default=0)  # its row in the minutes (or record) form
    rep_user_id: str = Field(max_length=32)  # whose calibration (or review) agreed it
    owner_user_id: str = Field(max_length=32)
    text: str = Field(max_length=500)
    measure: str = Field(default="", max_length=500)
    due_on: date
    status: str = Field(default="open", max_length=16)  # open | done | dropped
    done_at: datetime | None = Field(default=None, sa_column=utc_column())
    done_by: str | None = Field(default=None, max_length=32)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
