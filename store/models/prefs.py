"""Each person's own delivery preferences (quiet hours, a daily digest, no Friday brief
request) and the reminders and alerts a digest collected for them.

No row means today's defaults: every DM goes out when it falls due, each on its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column


class MemberPrefs(SQLModel, table=True):
    """What a person chose with `/pacer me quiet|digest|brief` (times "HH:MM", their zone)."""

    __tablename__ = "member_prefs"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_member_prefs"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    quiet_start: str | None = Field(default=None, max_length=5)  # both set, or neither
    quiet_end: str | None = Field(default=None, max_length=5)
    digest_at: str | None = Field(default=None, max_length=5)  # None: each DM on its own
    brief_off: bool = Field(default=False)  # no Friday brief request for them
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class DigestItem(SQLModel, table=True):
    """A DM collected for a person's digest instead of being sent (its ledger row says
    `digested`). `digest_key` is the digest delivery that carries it: NULL until a digest
    takes it, so each item is in exactly one digest."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("key", name="uq_digest_item_key"),
                      Index("ix_digest_items_owed", "workspace_id", "user_id", "digest_key"))

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)  # the collected message's ledger key
    job: str = Field(max_length=32)
    workspace_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    period: str = Field(max_length=32)
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    text: str = Field(max_length=4000)  # the message's fallback text
    # Its Block Kit, JSON: unbounded (a long alert's sections), so never refused by the DB.
    blocks: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    digest_key: str | None = Field(default=None, max_length=200)
