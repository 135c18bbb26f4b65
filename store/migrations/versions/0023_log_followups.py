"""/log's follow-up owed: a /log row is committed before its ack, and its customer link and
App Home marks come after it (issue 15); `settle_pending` marks a row whose follow-up is still
owed, so a process killed between the two leaves it for the next tick to finish

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settle_pending", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index("ix_activity_settle_pending", ["settle_pending"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_settle_pending")
        batch_op.drop_column("settle_pending")
