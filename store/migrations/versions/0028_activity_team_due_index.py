"""activities' index by team and due date, of the logs that have one: the on-time collection
KBI (store/scoring.py `_receivables`) reads the receivables and payments falling due in a
period, which no other index bounds (a payment's due date is not near its day), so it read
all of the team's logs (a year: 19,000 a team at 1,000 reps) for some 70 (3.2 ms -> 0.4 ms
a team-month on SQLite; benchmarks/scoring.py). Partial: logs without a due date (all but
payments and receivables) are not in it, so the inserts of the others do not pay for it.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

WHERE = sa.text("due_on IS NOT NULL")


# Not in batch mode: SQLite's copies the table, which drops the triggers of migration 0025.
def upgrade() -> None:
    op.create_index("ix_activity_team_due", "activities", ["team_id", "due_on"], unique=False,
                    sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade() -> None:
    op.drop_index("ix_activity_team_due", table_name="activities")
