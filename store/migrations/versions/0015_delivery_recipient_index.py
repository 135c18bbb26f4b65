"""the deliveries ledger's recipient index (workspace, user, status) and team index (team,
job, due_at): a fan-out's known DM channels, a person's sent count and a team's recent keys
of a job are looked up, not scanned (issue 15)

Revision ID: 0015
Revises: 0016
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_recipient", ["workspace_id", "user_id", "status"],
                              unique=False)
        batch_op.create_index("ix_deliveries_team_job", ["team_id", "job", "due_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_team_job")
        batch_op.drop_index("ix_deliveries_recipient")
