"""Migration 0028: activities' partial index by team and due date. The on-time collection
KBI's read of what falls due in a period goes through it (and the index by team and day for
the invoices without a due date) on SQLite, not through all of the team's logs; the
migration goes down and up again cleanly on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import inspect

from store import db
from store.scoring_sql import _falling_due


def _indexes(engine) -> set[str]:  # noqa: ANN001
    return {ix["name"] for ix in inspect(engine).get_indexes("activities")}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_what_falls_due_is_read_by_team_and_due_date(request, tmp_path,  # noqa: ANN001
                                                      dialect: str) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}" if dialect == "sqlite"
                            else request.getfixturevalue("pg_url"))
    config = db.alembic_config(engine)
    command.upgrade(config, "0027")
    assert "ix_activity_team_due" not in _indexes(engine)
    command.upgrade(config, "head")
    assert "ix_activity_team_due" in _indexes(engine)
    if dialect == "sqlite":  # the read itself, as store/scoring.py makes it
        read = _falling_due(False).params(teams=[7], start=date(2026, 11, 1),
                                          end=date(2026, 11, 30))
        sql = str(read.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {sql}"))
        assert "ix_activity_team_due" in plan and "ix_activity_team_day" in plan, plan
    command.downgrade(config, "0027")
    assert "ix_activity_team_due" not in _indexes(engine)
    command.upgrade(config, "head")
    assert db.is_current(engine)
    engine.dispose()
