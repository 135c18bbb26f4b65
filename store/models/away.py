"""Away days: a person's leave (`/pacer away`), and the teams that also read Slack's own
status as "away" for the day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class AwaySpell(SQLModel, table=True):
    """One stretch of leave, first to last day inclusive, in the person's own calendar.
    Ending it early (`/pacer away off`) moves last_day back; one that had not begun yet is
    deleted. The days are not working days for that person (bot/calendar/workdays.py)."""

    __tablename__ = "away_spells"
    __table_args__ = (Index("ix_away_user_last", "workspace_id", "user_id", "last_day"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(max_length=32)
    first_day: date
    last_day: date
    reason: str = Field(default="", max_length=200)
    set_by: str = Field(max_length=32)  # the person themself, their manager or an admin
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class AwayStatusTeam(SQLModel, table=True):
    """A team that counts Slack's status (:palm_tree:, :airplane:, "on leave", 休假, 请假) as
    away for the day a reminder is due (`/pacer team away-status East on`); no row: off."""

    __tablename__ = "away_status_teams"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(sa_column=utc_column(nullable=False))
