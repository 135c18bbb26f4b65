"""Who is admin, and how they became one

Admins are the workspace's Slack owners and admins, the person who installed Pacer through
OAuth, and whoever an admin names (in Slack or on the command line). Admins made the old way
(the first person to type /pacer) stay admins, marked `legacy`. Every stored Slack profile is
marked unchecked, so each person's Slack role is read again on their next request.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admin_source", sqlmodel.sql.sqltypes.AutoString(
            length=16), nullable=True))
        batch_op.add_column(sa.Column("admin_by", sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=True))
    op.execute("UPDATE members SET admin_source = 'legacy' WHERE role = 'admin'")
    op.execute("UPDATE members SET profile_checked_at = NULL")


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("admin_by")
        batch_op.drop_column("admin_source")
