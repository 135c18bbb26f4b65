"""What reps do and plan: /log lines, customers and their lead stages, daily check-ins and
Friday briefs.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, UniqueConstraint, text
from sqlalchemy import false as sql_false
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column

STAGES = ("lead", "contacted", "discovery", "demo", "proposal", "negotiation", "won", "lost")
TIERS = ("key", "standard")


class Activity(SQLModel, table=True):
    """One /log line: a behaviour or result, on the rep's local date."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", name="uq_activity_source"),
        Index("ix_activity_user_day", "workspace_id", "user_id", "occurred_on"),
        # Every period read filters a team's days; the KBI checks look up a customer's logs
        # by kind (benchmarks/scoring.py measured both).
        Index("ix_activity_team_day", "team_id", "occurred_on"),
        Index("ix_activity_customer_kind_day", "customer_id", "kind", "occurred_on"),
        # The idle-lead rule reads the last weeks of each lead's logs (migration 0026).
        Index("ix_activity_customer_day", "customer_id", "occurred_on"),
        # The on-time collection KBI reads what falls due in a period (migration 0028).
        Index("ix_activity_team_due", "team_id", "due_on", sqlite_where=text("due_on IS NOT NULL"),
              postgresql_where=text("due_on IS NOT NULL")),
        Index("ix_activity_settle_pending", "settle_pending"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    kind: str = Field(max_length=32)
    count: int = Field(default=1)
    customer: str | None = Field(default=None, max_length=200)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2)))
    # The amount's currency when it is not the team's (ISO 4217): such an amount is shown and
    # exported with it, and left out of the team's totals, scores and targets.
    currency: str | None = Field(default=None, max_length=3)
    new_customer: bool | None = Field(default=None)
    # A conversation logged with "no objections" (无异议): the objection KBI counts it as
    # handled without an objection log (migration 0013).
    no_objections: bool = Field(default=False)
    amount_due: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 2)))
    due_on: date | None = Field(default=None)  # payments: when it was due (on-time rate)
    occurred_on: date
    note: str | None = Field(default=None, max_length=1000)
    text: str = Field(default="", max_length=1000)  # what the user typed, kept verbatim
    source: str = Field(max_length=128)  # the request it came from (trigger_id), for dedupe
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=utc_column())
    # A /log is committed before its ack; linking its customer and marking App Homes stale
    # follow after it (handlers/log.py). True until that follow-up is done: a process killed
    # in between leaves the row for the `log-followups` job to finish (migration 0023).
    settle_pending: bool = Field(default=False,
                                 sa_column_kwargs={"server_default": sql_false()})


class Customer(SQLModel, table=True):
    """One record per customer per team: its lead stage, tier, owner and last touch."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("team_id", "key", name="uq_customer_key"),
        UniqueConstraint("team_id", "external_id", name="uq_customer_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int = Field(foreign_key="teams.id", index=True)
    name: str = Field(max_length=200)
    key: str = Field(max_length=200)  # the name case- and space-folded, for matching
    tier: str = Field(default="standard", max_length=16)  # key | standard
    owner_user_id: str | None = Field(default=None, max_length=32)
    stage: str = Field(default="lead", max_length=16)
    source: str | None = Field(default=None, max_length=100)
    lost_reason: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=100)  # the CRM's id
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    stage_changed_at: datetime = Field(sa_column=utc_column(nullable=False))
    last_touched_at: datetime | None = Field(default=None, sa_column=utc_column())


class StageChange(SQLModel, table=True):
    """Every move of a lead between stages: the funnel's history."""

    __tablename__ = "lead_stage_changes"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    from_stage: str | None = Field(default=None, max_length=16)
    to_stage: str = Field(max_length=16)
    by_user_id: str | None = Field(default=None, max_length=32)
    # manual | log:<id> | import; indexed for the lapse triggers (migration 0029)
    cause: str = Field(default="manual", max_length=64, index=True)
    at: datetime = Field(sa_column=utc_column(nullable=False))


class Checkin(SQLModel, table=True):
    """A rep's daily check-in: one per local day; a second one edits the first."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", "day", name="uq_checkin_day"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    day: date
    planned_visits: int | None = Field(default=None)
    planned_calls: int | None = Field(default=None)
    key_customers: str = Field(default="", max_length=500)
    plan: str = Field(default="", max_length=2000)  # today's plan, free text
    yesterday: str = Field(default="", max_length=2000)
    blockers: str = Field(default="", max_length=2000)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class Brief(SQLModel, table=True):
    """A rep's Friday brief for one week (Monday start), answered in a modal or /brief."""

    __tablename__ = "briefs"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", "week_start", name="uq_brief_week"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id", index=True)
    user_id: str = Field(max_length=32)
    week_start: date
    progress: str = Field(default="", max_length=3000)  # on action items
    wins: str = Field(default="", max_length=3000)
    blockers: str = Field(default="", max_length=3000)
    next_focus: str = Field(default="", max_length=3000)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
