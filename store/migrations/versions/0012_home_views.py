"""App Home: who opened it, when it was published, whether it is stale

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "user_id", name="uq_home_view"),
    )
    with op.batch_alter_table("home_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_home_views_stale"), ["stale"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("home_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_views_stale"))
    op.drop_table("home_views")
