"""calibrations and action items

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 23:07:00.039788
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calibration_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("rep_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("manager_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "rep_user_id", name="uq_calibration_pair"),
    )
    with op.batch_alter_table("calibration_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calibration_pairs_team_id"), ["team_id"], unique=False)

    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("rep_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("manager_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("progress", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("blockers", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("support", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("next_actions", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("controllable", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("uncontrollable", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("skip_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("moved_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "rep_user_id", "slot", name="uq_calibration_slot"),
    )
    with op.batch_alter_table("calibrations", schema=None) as batch_op:
        batch_op.create_index("ix_calibration_team_time", ["team_id", "scheduled_at"], unique=False)

    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("calibration_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rep_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calibration_id"],
            ["calibrations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("calibration_id", "position", name="uq_action_position"),
    )
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_items_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            "ix_action_owner_status", ["workspace_id", "owner_user_id", "status"], unique=False
        )

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calibration_anchor", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "calibration_time",
                sqlmodel.sql.sqltypes.AutoString(length=5),
                nullable=False,
                server_default="10:00",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("calibration_time")
        batch_op.drop_column("calibration_anchor")

    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_owner_status")
        batch_op.drop_index(batch_op.f("ix_action_items_team_id"))

    op.drop_table("action_items")
    with op.batch_alter_table("calibrations", schema=None) as batch_op:
        batch_op.drop_index("ix_calibration_team_time")

    op.drop_table("calibrations")
    with op.batch_alter_table("calibration_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_pairs_team_id"))

    op.drop_table("calibration_pairs")
