"""reviews and improvement plans

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 23:08:04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score_total", sa.Float(), nullable=True),
        sa.Column("score_grade", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("self_due", sa.Date(), nullable=False),
        sa.Column("rating_due", sa.Date(), nullable=False),
        sa.Column("self_best", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("self_improve", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("self_support", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("self_grade", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("self_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("strengths", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("improvements", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("next_plan", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("comments", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("rated_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating_version", sa.Integer(), nullable=False),
        sa.Column("appeal_due", sa.Date(), nullable=True),
        sa.Column("appeal_reason", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("appealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("decided_grade", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column(
            "decision_comment", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False
        ),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_version", sa.Integer(), nullable=False),
        sa.Column("final_grade", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", "period", name="uq_review"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_team_id"), ["team_id"], unique=False)

    op.create_table(
        "improvement_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("open_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("targets", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("mentor_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("targets_version", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
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
        sa.UniqueConstraint("open_key", name="uq_plan_open"),
        sa.UniqueConstraint("review_id", name="uq_plan_review"),
    )
    with op.batch_alter_table("improvement_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_improvement_plans_team_id"), ["team_id"], unique=False)

    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actor_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_events_review_id"), ["review_id"], unique=False)

    op.create_table(
        "plan_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["improvement_plans.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "month", name="uq_plan_check"),
    )
    with op.batch_alter_table("plan_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_checks_plan_id"), ["plan_id"], unique=False)




def downgrade() -> None:

    with op.batch_alter_table("plan_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_checks_plan_id"))

    op.drop_table("plan_checks")
    with op.batch_alter_table("review_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_events_review_id"))

    op.drop_table("review_events")
    with op.batch_alter_table("improvement_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_improvement_plans_team_id"))

    op.drop_table("improvement_plans")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_team_id"))

    op.drop_table("reviews")

