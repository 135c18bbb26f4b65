"""What Pacer keeps for itself: the audit log, the delivery ledger of scheduled messages,
Slack events already seen, App Home state, and slack_sdk's OAuth install tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store import installations
from store.models.columns import utc_column


class AuditEntry(SQLModel, table=True):
    """Every refusal and every change to someone else's data: who, what, to whom, when."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32, index=True)
    actor_user_id: str = Field(max_length=32)
    action: str = Field(max_length=64)  # e.g. team.add, lead.stage
    target: str = Field(default="", max_length=200)  # user id, team or customer name
    outcome: str = Field(max_length=16)  # done | denied
    detail: str = Field(default="", max_length=2000)
    at: datetime = Field(sa_column=utc_column(nullable=False))


class Delivery(SQLModel, table=True):
    """The scheduler's ledger: one row per message a job must deliver once (its key names
    the job, the recipient and the period). Claimed before sending, marked sent after."""

    __tablename__ = "deliveries"
    # The recipient index: a fan-out's known DM channels (store/deliveries.py: dm_channels)
    # and a person's sent count are looked up by workspace and user, never scanned; the team
    # index: a job's recent keys of one team (final_since), read once per team and process.
    __table_args__ = (UniqueConstraint("key", name="uq_delivery_key"),
                      Index("ix_deliveries_recipient", "workspace_id", "user_id", "status"),
                      Index("ix_deliveries_team_job", "team_id", "job", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)  # e.g. checkin-reminder:T0ACME:U0ALICE:2026-11-18
    job: str = Field(max_length=32, index=True)
    workspace_id: str = Field(max_length=32)
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    user_id: str | None = Field(default=None, max_length=32)
    period: str = Field(max_length=32)  # the day, week or month it is for
    status: str = Field(default="claimed", max_length=16)  # claimed | sent | failed | gave_up
    attempts: int = Field(default=0)
    claimed_by: str = Field(default="", max_length=64)  # host:pid of the claiming process
    claimed_at: datetime = Field(sa_column=utc_column(nullable=False))
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)  # Slack's message timestamp
    last_error: str = Field(default="", max_length=500)


class SeenEvent(SQLModel, table=True):
    """Events API deliveries already handled, by Slack's event_id: Slack retries a delivery
    (X-Slack-Retry-Num) it thinks failed, and every process must treat it as seen. Rows older
    than a day are pruned; Slack stops retrying after minutes."""

    __tablename__ = "seen_events"

    event_id: str = Field(primary_key=True, max_length=64)
    workspace_id: str = Field(max_length=32)
    type: str = Field(max_length=64)
    seen_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))


class HomeView(SQLModel, table=True):
    """A person's App Home: there once they opened it. `stale` says the data it shows changed
    since it was last published (store/homes.py marks it in the transaction that changed
    it); the `home` job republishes stale ones, each at most once a minute."""

    __tablename__ = "home_views"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_home_view"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    opened_at: datetime = Field(sa_column=utc_column(nullable=False))
    # The last publish (or attempt): the next is due a minute later at the earliest.
    published_at: datetime | None = Field(default=None, sa_column=utc_column())
    stale: bool = Field(default=False, index=True)
    failures: int = Field(default=0)  # publishes refused in a row; retried while under 5


# slack_sdk's OAuth tables (store/installations.py) on the same metadata, so the migrations
# and the test that compares them with the models cover them too.
installations.schema(SQLModel.metadata)
