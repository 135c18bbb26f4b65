"""activity indexes for period reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:13:23.801256
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_customer_kind_day", ["customer_id", "kind", "occurred_on"], unique=False
        )
        batch_op.create_index("ix_activity_team_day", ["team_id", "occurred_on"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_team_day")
        batch_op.drop_index("ix_activity_customer_kind_day")
