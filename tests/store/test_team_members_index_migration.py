"""Migration 0022: team_members' index by member. A person's teams (team_for_user, every
profile read; a tick's stored profiles) are looked up through it, not scanned, and the
migration goes down and up again cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from store import db


def _indexes(engine) -> set[str]:  # noqa: ANN001
    return {ix["name"] for ix in inspect(engine).get_indexes("team_members")}


def test_a_persons_teams_are_looked_up_by_member(tmp_path) -> None:  # noqa: ANN001
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = db.alembic_config(engine)
    command.upgrade(config, "0023")
    assert "ix_team_members_member" not in _indexes(engine)
    command.upgrade(config, "head")
    assert "ix_team_members_member" in _indexes(engine)
    with engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT teams.tz FROM members JOIN team_members "
            "ON team_members.member_id = members.id JOIN teams ON teams.id = "
            "team_members.team_id WHERE members.workspace_id = 'T1' AND members.user_id = 'U1'"))
    assert "ix_team_members_member" in plan, plan
    command.downgrade(config, "0023")
    assert "ix_team_members_member" not in _indexes(engine)
    command.upgrade(config, "head")
    assert db.is_current(engine)
    engine.dispose()
