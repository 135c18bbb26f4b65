"""the review conversation (talk, record both confirm), competencies and levels, plan kinds
and decisions, the year end

Revision ID: 0016
Revises: 0018
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016"
down_revision = "0018"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


# Columns added to reviews; text ones get a server default so existing rows read "".
REVIEW_TEXTS = (("self_difficulties", 3000), ("competencies", 8000), ("controllable", 2000),
                ("uncontrollable", 2000))


def upgrade() -> None:
    # Added columns only (SQLite adds them in place); text ones keep their server default
    # of "" (so no rebuild of a table every review event refers to).
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        for name, length in REVIEW_TEXTS:
            batch_op.add_column(sa.Column(name, _text(length), nullable=False,
                                          server_default=""))
        batch_op.add_column(sa.Column("level", _text(32), nullable=True))
        batch_op.add_column(sa.Column("talk_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("talk_with", _text(32), nullable=True))
        batch_op.add_column(sa.Column("talk_set_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("talk_moved_by", _text(32), nullable=True))
        batch_op.add_column(sa.Column("talk_version", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("record_version", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("confirm_due", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmation", _text(16), nullable=True))

    op.create_table(
        "review_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author_user_id", _text(32), nullable=False),
        sa.Column("body", _text(20000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "kind", "version", name="uq_review_record"),
    )
    with op.batch_alter_table("review_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_records_review_id"), ["review_id"],
                              unique=False)

    op.create_table(
        "member_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("level", _text(32), nullable=False),
        sa.Column("set_by", _text(32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_member_level"),
    )
    with op.batch_alter_table("member_levels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_levels_team_id"), ["team_id"], unique=False)

    op.create_table(
        "annual_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", _text(32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("grade", _text(1), nullable=False),
        sa.Column("quarters", _text(200), nullable=False),
        sa.Column("bonus_signal", _text(16), nullable=False),
        sa.Column("recommendations", _text(200), nullable=False),
        sa.Column("collaboration", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", "year", name="uq_annual_review"),
    )
    with op.batch_alter_table("annual_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annual_reviews_team_id"), ["team_id"],
                              unique=False)

    # A review may open one plan of each kind (a PIP, and one for customer satisfaction).
    with op.batch_alter_table("improvement_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", _text(16), nullable=False,
                                      server_default="pip"))
        batch_op.add_column(sa.Column("decision", _text(16), nullable=True))
        batch_op.add_column(sa.Column("decision_note", _text(2000), nullable=False,
                                      server_default=""))
        batch_op.drop_constraint("uq_plan_review", type_="unique")
        batch_op.create_unique_constraint("uq_plan_review", ["review_id", "kind"])

    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_action_items_review_id"), ["review_id"],
                              unique=False)
        batch_op.create_foreign_key("fk_action_items_review_id", "reviews", ["review_id"],
                                    ["id"])


def downgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_constraint("fk_action_items_review_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_action_items_review_id"))
        batch_op.drop_column("review_id")
    # The old schema has no satisfaction plans (one plan per review): they go, with checks.
    op.execute("DELETE FROM plan_checks WHERE plan_id IN "
               "(SELECT id FROM improvement_plans WHERE kind <> 'pip')")
    op.execute("DELETE FROM improvement_plans WHERE kind <> 'pip'")
    with op.batch_alter_table("improvement_plans", schema=None) as batch_op:
        batch_op.drop_constraint("uq_plan_review", type_="unique")
        batch_op.create_unique_constraint("uq_plan_review", ["review_id"])
        batch_op.drop_column("decision_note")
        batch_op.drop_column("decision")
        batch_op.drop_column("kind")
    for table, column in (("annual_reviews", "team_id"), ("member_levels", "team_id"),
                          ("review_records", "review_id")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        for name in ("confirmation", "confirmed_at", "confirm_due", "record_version",
                     "recorded_at", "talk_version", "talk_moved_by", "talk_set_at", "talk_with",
                     "talk_at", "level", *(n for n, _ in REVIEW_TEXTS)):
            batch_op.drop_column(name)
