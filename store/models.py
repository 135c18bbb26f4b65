"""Tables. Every row belongs to a workspace (Slack team id) so no query can mix workspaces."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

ROLES = ("rep", "manager", "admin")


def _utc_column(**kw: object) -> Column:
    return Column(DateTime(timezone=True), **kw)


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    id: str = Field(primary_key=True, max_length=32)  # Slack team id, e.g. T0ACME
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Team(SQLModel, table=True):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    channel_id: str | None = Field(default=None, max_length=32)
    tz: str = Field(default="UTC", max_length=64)
    currency: str = Field(default="CNY", max_length=8)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Member(SQLModel, table=True):
    """A person Pacer knows in a workspace; tz and locale come from Slack unless set here."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(max_length=32)
    role: str = Field(default="rep", max_length=16)  # rep | manager | admin
    tz: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=16)
    profile_checked_at: datetime | None = Field(default=None, sa_column=_utc_column())
    joined_at: datetime = Field(sa_column=_utc_column(nullable=False))


class TeamMember(SQLModel, table=True):
    """Who is on which team, and who manages it."""

    __tablename__ = "team_members"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    member_id: int = Field(foreign_key="members.id", primary_key=True)
    is_manager: bool = Field(default=False)


class Activity(SQLModel, table=True):
    """One /log line: a behaviour or result, on the rep's local date."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", name="uq_activity_source"),
        Index("ix_activity_user_day", "workspace_id", "user_id", "occurred_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    kind: str = Field(max_length=32)
    count: int = Field(default=1)
    customer: str | None = Field(default=None, max_length=200)
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2)))
    new_customer: bool | None = Field(default=None)
    occurred_on: date
    note: str | None = Field(default=None, max_length=1000)
    text: str = Field(default="", max_length=1000)  # what the user typed, kept verbatim
    source: str = Field(max_length=128)  # the request it came from (trigger_id), for dedupe
    recorded_at: datetime = Field(sa_column=_utc_column(nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=_utc_column())
