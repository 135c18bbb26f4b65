"""Each lead's idle-lead lapses, kept (store/lapse_store.py): what `lapses` found over its
events, tagged with what it was computed from, so a report reads them instead of each lead's
whole month, and recomputes only the leads whose events or calendar changed since."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class LeadEventVersion(SQLModel, table=True):
    """A count of the changes to a lead's events, bumped by the database's own triggers
    (migration 0029) on every insert, update and delete of its logs, its stage changes and
    the customer columns the rule reads (stage, closing, creation, owner, team): whatever
    wrote them. No foreign key: a deleted customer's count must not restart at zero while a
    result tagged with it is kept (ids can be reused)."""

    __tablename__ = "lead_event_versions"

    customer_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(default=0)


class LeadLapseState(SQLModel, table=True):
    """What a lead's kept lapses (lead_lapses) were computed from: its events at `version`
    (LeadEventVersion, 0 when it has none), the calendar and rules of `fingerprint`, all its
    lapses from `since` on."""

    __tablename__ = "lead_lapse_states"

    customer_id: int = Field(sa_column=Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False))
    version: int
    fingerprint: str = Field(max_length=64)
    since: datetime = Field(sa_column=utc_column(nullable=False))


class LeadLapse(SQLModel, table=True):
    """One lapse of a lead: the moment it had waited the idle hours for a follow-up."""

    __tablename__ = "lead_lapses"

    customer_id: int = Field(sa_column=Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False))
    at: datetime = Field(sa_column=utc_column(primary_key=True))
