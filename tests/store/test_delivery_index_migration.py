"""Migration 0015: the ledger's recipient and team indexes, on SQLite and (when reachable)
PostgreSQL. An existing ledger keeps its rows, a fan-out's known DM channels are read
through the index, and the migration goes down and up again cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text

from store import db, deliveries
from tests.jobs.test_jobs import drop_postgres, scratch_postgres
from tests.store.test_postgres import BASE_URL

AT = datetime(2026, 11, 18, 1, 30, tzinfo=UTC)


def _indexes(engine) -> set[str]:  # noqa: ANN001
    return {ix["name"] for ix in inspect(engine).get_indexes("deliveries")}


def _upgrade_from_0016(url: str) -> None:
    engine = db.make_engine(url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0016")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO workspaces (id, name, created_at) VALUES "
                          "('T1', 'Acme', :at)"), {"at": AT})
        conn.execute(text(
            "INSERT INTO deliveries (key, job, workspace_id, user_id, period, status, attempts, "
            "claimed_by, claimed_at, due_at, sent_at, channel, ts, last_error) VALUES "
            "('checkin-reminder:T1:U1:2026-11-18', 'checkin-reminder', 'T1', 'U1', "
            "'2026-11-18', 'sent', 1, 'x', :at, :at, :at, 'DU1', '1.0', '')"), {"at": AT})
    assert not {"ix_deliveries_recipient", "ix_deliveries_team_job"} & _indexes(engine)
    command.upgrade(config, "head")
    assert {"ix_deliveries_recipient", "ix_deliveries_team_job"} <= _indexes(engine)
    sessions = db.session_factory(engine)
    with sessions() as s:
        assert deliveries.dm_channels(s, workspace_id="T1", user_ids=("U1", "U2")) == {
            "U1": "DU1"}
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT user_id, channel FROM deliveries WHERE "
                "workspace_id = 'T1' AND status = 'sent' AND user_id IN ('U1', 'U2') "
                "AND channel LIKE 'D%'"))
        assert "ix_deliveries_recipient" in plan, plan
    command.downgrade(config, "0016")
    assert not {"ix_deliveries_recipient", "ix_deliveries_team_job"} & _indexes(engine)
    command.upgrade(config, "head")
    assert db.is_current(engine)
    engine.dispose()


def test_sqlite_ledger_gets_the_recipient_index(tmp_path) -> None:  # noqa: ANN001
    _upgrade_from_0016(f"sqlite:///{tmp_path / 'old.db'}")


def test_postgres_ledger_gets_the_recipient_index() -> None:
    url = scratch_postgres(BASE_URL) if BASE_URL else None
    if url is None:
        pytest.skip("PostgreSQL tests skipped: PACER_TEST_POSTGRES_URL is not set or no "
                    "server is reachable")
    try:
        _upgrade_from_0016(url)
    finally:
        drop_postgres(BASE_URL, url)
