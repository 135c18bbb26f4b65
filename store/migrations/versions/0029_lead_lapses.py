"""lead_lapses: each lead's idle-lead lapses kept (store/lapse_store.py), tagged with the
version of its events (lead_event_versions) and the fingerprint of its calendar, so a month's
reports read them instead of every lead's month of logs (issue 15). The version is bumped by
triggers, not code, so no write path (/log, undo, edits, imports, seeding, retention) can
forget it: every insert, update and delete of a lead's logs and stage changes, an undo of a
log whose stage changes another lead holds (by their cause), and the customer columns the
rule reads. On PostgreSQL deferred to the commit, as migration 0027 for the same reason (a
long import must not hold a row lock /log needs). Note for later migrations: SQLite's batch
mode copies a table to alter it and drops its triggers; tests/store/test_lapse_store.py checks
they are there at head.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# What the rule reads (store/lead_life.py): of a log, its customer, day, recording and undo;
# of a customer, its stage and closing, creation, owner (who is charged) and team (calendar).
LOG_COLUMNS = "customer_id, occurred_on, recorded_at, deleted_at"
CUSTOMER_COLUMNS = "stage, stage_changed_at, created_at, owner_user_id, team_id"
# (trigger, table, event, the customer ids it bumps as SQLite's expressions)
TRIGGERS = (
    ("lead_events_log_insert", "activities", "INSERT", ("NEW.customer_id",)),
    ("lead_events_log_update", "activities", f"UPDATE OF {LOG_COLUMNS}",
     ("OLD.customer_id", "NEW.customer_id")),
    ("lead_events_log_delete", "activities", "DELETE", ("OLD.customer_id",)),
    ("lead_events_stage_insert", "lead_stage_changes", "INSERT", ("NEW.customer_id",)),
    ("lead_events_stage_update", "lead_stage_changes", "UPDATE", ("OLD.customer_id",
                                                                  "NEW.customer_id")),
    ("lead_events_stage_delete", "lead_stage_changes", "DELETE", ("OLD.customer_id",)),
    ("lead_events_customer_update", "customers", f"UPDATE OF {CUSTOMER_COLUMNS}",
     ("OLD.id", "NEW.id")),
    ("lead_events_customer_delete", "customers", "DELETE", ("OLD.id",)),
)
# A log undone (or restored) changes whether the stage changes it caused count
# (store/scoring_sql.py `_live_change`), whichever lead holds them.
CAUSED = "SELECT customer_id FROM lead_stage_changes WHERE cause = 'log:' || NEW.id"


def _bump_sqlite(rows: str) -> str:
    return ("INSERT INTO lead_event_versions (customer_id, version)"
            f" SELECT customer_id, 1 FROM ({rows}) WHERE customer_id IS NOT NULL"
            " ON CONFLICT (customer_id) DO UPDATE SET version = lead_event_versions.version + 1;")


_PG_FUNCTIONS = """
CREATE FUNCTION lead_event_bump(customer integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO lead_event_versions (customer_id, version) SELECT customer, 1
    WHERE customer IS NOT NULL
    ON CONFLICT (customer_id) DO UPDATE SET version = lead_event_versions.version + 1
$$;
CREATE FUNCTION lead_events_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM lead_event_bump(OLD.customer_id); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM lead_event_bump(NEW.customer_id); END IF;
    IF TG_OP = 'UPDATE' AND OLD.deleted_at IS DISTINCT FROM NEW.deleted_at THEN
        PERFORM lead_event_bump(customer_id) FROM lead_stage_changes
        WHERE cause = 'log:' || NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION lead_events_stage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM lead_event_bump(OLD.customer_id); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM lead_event_bump(NEW.customer_id); END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION lead_events_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lead_event_bump(OLD.id);
    RETURN NULL;
END $$;
"""
_PG_FUNCTION_OF = {"activities": "lead_events_log", "lead_stage_changes": "lead_events_stage",
                   "customers": "lead_events_customer"}


def upgrade() -> None:
    op.create_table(
        "lead_event_versions",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "lead_lapse_states",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "lead_lapses",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", "at"),
    )
    # The undo trigger finds a log's stage changes by their cause.
    op.create_index("ix_lead_stage_changes_cause", "lead_stage_changes", ["cause"])
    if op.get_bind().dialect.name == "sqlite":
        for name, table, event, customers in TRIGGERS:
            bumps = " ".join(_bump_sqlite(f"SELECT {c} AS customer_id") for c in customers)
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {bumps} END")
        op.execute("CREATE TRIGGER lead_events_log_undo AFTER UPDATE OF deleted_at"
                   " ON activities WHEN OLD.deleted_at IS NOT NEW.deleted_at"
                   f" BEGIN {_bump_sqlite(CAUSED)} END")
        return
    op.execute(_PG_FUNCTIONS)
    for name, table, event, _ in TRIGGERS:
        op.execute(f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} ON {table}"
                   " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
                   f" EXECUTE FUNCTION {_PG_FUNCTION_OF[table]}()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, table, _, _ in (*TRIGGERS, ("lead_events_log_undo", "activities", "", ())):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        for function in (*_PG_FUNCTION_OF.values(), "lead_event_bump"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}"
                       + ("(integer)" if function == "lead_event_bump" else "()"))
    op.drop_index("ix_lead_stage_changes_cause", table_name="lead_stage_changes")
    op.drop_table("lead_lapses")
    op.drop_table("lead_lapse_states")
    op.drop_table("lead_event_versions")
