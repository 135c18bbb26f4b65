"""The same store on the real PostgreSQL (PACER_TEST_POSTGRES_URL, set by .ci/run).

Skipped, saying so, when no server is reachable.
"""

from __future__ import annotations

import threading
from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, func, select

from bot.clock import FixedClock
from store import activity, db, teams
from store.models import Activity
from tests.conftest import CHANNEL, POSTGRES_URL, WORKSPACE, Bot, make_deps
from tests.fakes import FakeSlack
from tests.store.test_store import NOW, entry

BASE_URL = POSTGRES_URL  # kept for the tests that import it from here


def test_migrations_on_postgres_match_the_models(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    db.upgrade(engine)  # idempotent
    assert db.is_current(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    engine.dispose()


def test_two_processes_racing_on_one_request_store_it_once(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as s:
        teams.ensure_workspace(s, workspace_id="T1", now=NOW)
    barrier = threading.Barrier(8)
    results: list[bool] = []

    def racer() -> None:
        with sessions() as s:
            barrier.wait()
            saved = activity.add(s, workspace_id="T1", user_id="U1", team_id=None,
                                 entry=entry(), text="visit Acme", source="same", now=NOW)
            results.append(saved.created)

    threads = [threading.Thread(target=racer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as s:
        assert s.exec(select(func.count()).select_from(Activity)).one() == 1
    assert sorted(results) == [False] * 7 + [True]
    engine.dispose()


def test_log_end_to_end_on_postgres(pg_url: str) -> None:
    fake = FakeSlack(users={"U0BO": {"tz": "Asia/Shanghai", "locale": "zh-CN"}},
                     team_id=WORKSPACE).start()
    clock = FixedClock(NOW)
    settings, deps = make_deps(pg_url, fake, clock)
    with deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=NOW)
    bot = Bot(settings, deps, fake)
    try:
        reply = bot.command("签约 腾讯 1.5亿 老客户", user="U0BO")
        assert "¥150,000,000" in reply.text and "老客户" in reply.text
        assert "本周：签约 1 次（¥150,000,000）" in reply.text
        bot.command("拜访 阿里巴巴 上周五", user="U0BO")
        with deps.sessions() as s:
            days = s.exec(select(Activity.occurred_on).order_by(Activity.id)).all()
        assert days == [date(2026, 11, 18), date(2026, 11, 13)]
        assert fake.problems == []
    finally:
        bot.close()
        fake.stop()
        deps.engine.dispose()
