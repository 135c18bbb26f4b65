"""activity_revisions: a count per team of the changes to its logs, bumped by triggers on
activities (every insert and delete, and updates of the columns the scoring reads), so the
reports can remember a team's 12-month history until a log of it changes: closed months do
change, by back-dated logs, undo, imports and edits (issue 15). Triggers, not code, so no
write path can forget to bump it. Note for later migrations: SQLite's batch mode copies a
table to alter it and drops its triggers; tests/store/test_history_cache.py checks they are
there at head.

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None

# What store/scoring.py reads of a log; an update of anything else (settle_pending, the
# note's text) changes no number.
COLUMNS = ("team_id, user_id, kind, count, customer, customer_id, amount, currency,"
           " new_customer, no_objections, amount_due, due_on, occurred_on, recorded_at,"
           " deleted_at")


def _bump_sqlite(team: str) -> str:
    return (f"INSERT INTO activity_revisions (team_id, revision) SELECT {team}, 1"
            f" WHERE {team} IS NOT NULL"
            " ON CONFLICT (team_id) DO UPDATE SET revision = activity_revisions.revision + 1;")


def upgrade() -> None:
    op.create_table(
        "activity_revisions",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TRIGGER activity_revision_insert AFTER INSERT ON activities"
                   f" BEGIN {_bump_sqlite('NEW.team_id')} END")
        op.execute(f"CREATE TRIGGER activity_revision_update AFTER UPDATE OF {COLUMNS}"
                   f" ON activities BEGIN {_bump_sqlite('OLD.team_id')}"
                   f" {_bump_sqlite('NEW.team_id')} END")
        op.execute("CREATE TRIGGER activity_revision_delete AFTER DELETE ON activities"
                   f" BEGIN {_bump_sqlite('OLD.team_id')} END")
        return
    op.execute("""
        CREATE FUNCTION activity_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE team integer;
        BEGIN
            FOREACH team IN ARRAY ARRAY[
                CASE WHEN TG_OP <> 'INSERT' THEN OLD.team_id END,
                CASE WHEN TG_OP <> 'DELETE' THEN NEW.team_id END] LOOP
                IF team IS NOT NULL THEN
                    INSERT INTO activity_revisions (team_id, revision) VALUES (team, 1)
                    ON CONFLICT (team_id)
                    DO UPDATE SET revision = activity_revisions.revision + 1;
                END IF;
            END LOOP;
            RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER activity_revision_insert AFTER INSERT ON activities"
               " FOR EACH ROW EXECUTE FUNCTION activity_revision_bump()")
    op.execute(f"CREATE TRIGGER activity_revision_update AFTER UPDATE OF {COLUMNS}"
               " ON activities FOR EACH ROW EXECUTE FUNCTION activity_revision_bump()")
    op.execute("CREATE TRIGGER activity_revision_delete AFTER DELETE ON activities"
               " FOR EACH ROW EXECUTE FUNCTION activity_revision_bump()")


def downgrade() -> None:
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS activity_revision_{name}"
                   + ("" if op.get_bind().dialect.name == "sqlite" else " ON activities"))
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS activity_revision_bump()")
    op.drop_table("activity_revisions")
