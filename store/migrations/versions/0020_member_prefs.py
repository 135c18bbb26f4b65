"""each person's quiet hours, daily digest and Friday brief opt-out, and the messages a
digest collected (issue 17)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "member_prefs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", text(length=32), nullable=False),
        sa.Column("user_id", text(length=32), nullable=False),
        sa.Column("quiet_start", text(length=5), nullable=True),
        sa.Column("quiet_end", text(length=5), nullable=True),
        sa.Column("digest_at", text(length=5), nullable=True),
        sa.Column("brief_off", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_member_prefs"),
    )
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", text(length=200), nullable=False),
        sa.Column("job", text(length=32), nullable=False),
        sa.Column("workspace_id", text(length=32), nullable=False),
        sa.Column("user_id", text(length=32), nullable=False),
        sa.Column("period", text(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", text(length=4000), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.Column("digest_key", text(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_digest_item_key"),
    )
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.create_index("ix_digest_items_owed", ["workspace_id", "user_id", "digest_key"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_items_owed")
    op.drop_table("digest_items")
    op.drop_table("member_prefs")
