"""activity_revisions bumped at commit on PostgreSQL: the triggers of 0025 become deferred
constraint triggers. As plain AFTER ... FOR EACH ROW triggers they updated the team's row at a
transaction's first write to its logs and held that row lock to the commit, so a `pacer
import` (one transaction, all or nothing) held up every `/log` of the team, past Slack's 3
seconds for a big file. Deferred, the bumps run in the commit: the revision still moves in
the same transaction as the logs (store/history.py reads it before the history), and the row
is held for the bumps only. SQLite has one writer at a time anyway: unchanged.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 02:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# As migration 0025: what store/scoring.py reads of a log.
COLUMNS = ("team_id, user_id, kind, count, customer, customer_id, amount, currency,"
           " new_customer, no_objections, amount_due, due_on, occurred_on, recorded_at,"
           " deleted_at")
EVENTS = {"insert": "INSERT", "update": f"UPDATE OF {COLUMNS}", "delete": "DELETE"}


def _create(deferred: bool) -> None:
    for name, event in EVENTS.items():
        op.execute(f"DROP TRIGGER IF EXISTS activity_revision_{name} ON activities")
        op.execute(f"CREATE {'CONSTRAINT ' if deferred else ''}TRIGGER activity_revision_{name}"
                   f" AFTER {event} ON activities"
                   + (" DEFERRABLE INITIALLY DEFERRED" if deferred else "")
                   + " FOR EACH ROW EXECUTE FUNCTION activity_revision_bump()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _create(deferred=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _create(deferred=False)
