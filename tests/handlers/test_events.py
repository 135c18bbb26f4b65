"""Events API deliveries are handled once: by event_id, in the database, pruned after a day."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from store import db, events
from store.models import AuditEntry, SeenEvent
from tests.fakes import FakeSlack
from tests.installs import deliver_event, install, oauth_bot
from tests.store.test_store import NOW


def seen(sessions, event_id: str, at=NOW) -> bool:  # noqa: ANN001
    with sessions() as session:
        return events.first_delivery(session, event_id=event_id, workspace_id="T1",
                                     kind="app_uninstalled", now=at)


def test_seen_once_then_pruned_after_a_day(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    assert seen(sessions, "Ev1") is True
    assert seen(sessions, "Ev1", NOW + timedelta(minutes=5)) is False
    assert seen(sessions, "Ev2", NOW + events.KEEP + timedelta(seconds=1)) is True
    with sessions() as session:
        assert session.exec(select(SeenEvent.event_id)).all() == ["Ev2"]
    engine.dispose()


def test_work_that_fails_leaves_the_event_unseen_for_the_retry(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with pytest.raises(RuntimeError), sessions() as session:
        assert events.first_delivery(session, event_id="Ev3", workspace_id="T1",
                                     kind="app_uninstalled", now=NOW)
        raise RuntimeError("the listener failed half way")
    assert seen(sessions, "Ev3") is True
    engine.dispose()


def test_two_processes_on_postgres_handle_one_delivery_once(
        pg_url: str, fake_slack: FakeSlack, clock: FixedClock) -> None:  # noqa: F811
    bots = [oauth_bot(pg_url, fake_slack, clock) for _ in range(2)]
    try:
        install(bots[0], "T0GLOBEX", "Globex")
        at = int(clock.now().timestamp())
        with ThreadPoolExecutor(max_workers=4) as pool:
            replies = list(pool.map(
                lambda n: deliver_event(bots[n % 2], {"type": "app_uninstalled"},
                                        team_id="T0GLOBEX", event_id="Ev0RACE", event_time=at,
                                        retry=n),
                range(4)))
        assert [r.status for r in replies] == [200] * 4
    finally:
        for bot in bots:
            bot.close()
    with bots[0].deps.sessions() as session:
        handled = session.exec(select(AuditEntry.action).where(
            AuditEntry.action == "workspace.app_uninstalled")).all()
    assert handled == ["workspace.app_uninstalled"]
    assert bots[1].deps.installations.bot_for("T0GLOBEX") is None
    for bot in bots:
        bot.deps.engine.dispose()
