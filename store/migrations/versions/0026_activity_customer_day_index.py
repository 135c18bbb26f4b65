"""activities' index by customer and day: the idle-lead rule reads the last weeks of every
lead's logs (store/idle.py `lead_touches`, a month's reports: 120,000 logs of 31,000 leads at
1,000 reps), a range of each customer's days instead of all of its logs filtered
(benchmarks/scoring.py; issue 15)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 00:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


# Not in batch mode: SQLite's copies the table, which drops the triggers of migration 0025.
def upgrade() -> None:
    op.create_index("ix_activity_customer_day", "activities", ["customer_id", "occurred_on"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_activity_customer_day", table_name="activities")
