"""a team's language setting for its channel posts (issue 17 item 4): auto, en, zh, both,
zh+en or en+zh

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel_lang", sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=False, server_default="auto"))


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("channel_lang")
