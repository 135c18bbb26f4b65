"""tick claims: which process works which team in a scheduler minute (issue 15: several
`pacer run` processes share a tick)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tick_claims",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("minute", "unit"),
    )


def downgrade() -> None:
    op.drop_table("tick_claims")
