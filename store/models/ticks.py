"""Which process works which team in a scheduler minute, when several `pacer run` share one
database (store/claims.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class TickClaim(SQLModel, table=True):
    """One unit of a minute's work, taken by one process: `team:<id>` (every job's work for
    that team in that minute), or `process:<owner>` (the process ticked that minute: how the
    others know how many share the work). The primary key (minute, unit) is what makes a
    unit go to one process: only one INSERT of it can succeed. Rows older than an hour are
    pruned; they only matter within their minute."""

    __tablename__ = "tick_claims"

    minute: datetime = Field(sa_column=utc_column(primary_key=True))
    unit: str = Field(primary_key=True, max_length=80)
    owner: str = Field(max_length=64)  # host:pid of the claiming process
    claimed_at: datetime = Field(sa_column=utc_column(nullable=False))
