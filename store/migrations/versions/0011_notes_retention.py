"""notes retention setting, per workspace and per team

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("workspaces", "teams"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("notes_retention_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ("teams", "workspaces"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("notes_retention_days")
