"""team_members' index by member: one person's teams are looked up, not scanned (the
primary key leads with the team). Every profile read asks for a person's team
(store/teams.py team_for_user), and a tick after a restart reads every rep's stored profile
with their team (store/rosters.py stored_profiles): at 2,000 teams a scan of 42,000 rows
each (issue 15)

Revision ID: 0022
Revises: 0023
Create Date: 2026-12-05 01:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index("ix_team_members_member", ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index("ix_team_members_member")
