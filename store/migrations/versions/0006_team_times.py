"""team schedule times

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:41:23.537821
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "checkin_time",
                sqlmodel.sql.sqltypes.AutoString(length=5),
                nullable=False,
                server_default="09:30",
            )
        )
        batch_op.add_column(
            sa.Column(
                "brief_time",
                sqlmodel.sql.sqltypes.AutoString(length=5),
                nullable=False,
                server_default="15:00",
            )
        )
        batch_op.add_column(
            sa.Column(
                "report_time",
                sqlmodel.sql.sqltypes.AutoString(length=5),
                nullable=False,
                server_default="17:00",
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("report_time")
        batch_op.drop_column("brief_time")
        batch_op.drop_column("checkin_time")
