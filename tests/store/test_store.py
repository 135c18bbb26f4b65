"""Migrations match the models; the store dedupes by request and sums in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from bot.grammar.kinds import LogEntry
from store import activity, db, teams
from store.models import Activity

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def entry(kind: str = "visit", count: int = 1, day: date = date(2026, 11, 18),
          amount: Decimal | None = None) -> LogEntry:
    return LogEntry(kind=kind, count=count, customer="Acme", day=day, amount=amount,
                    new_customer=None, note=None)


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    assert db.is_current(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(database_url: str) -> None:
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_same_source_is_stored_once_and_totals_sum_in_sql(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as s:
        teams.ensure_workspace(s, workspace_id="T1", now=NOW)
        first = activity.add(s, workspace_id="T1", user_id="U1", team_id=None,
                             entry=entry(count=2), text="2 visits", source="trig-1", now=NOW)
        again = activity.add(s, workspace_id="T1", user_id="U1", team_id=None,
                             entry=entry(count=2), text="2 visits", source="trig-1", now=NOW)
        assert first.created and not again.created
        assert again.activity.id == first.activity.id
        activity.add(s, workspace_id="T1", user_id="U1", team_id=None,
                     entry=entry("deal", amount=Decimal("5000.50")), text="", source="t2",
                     now=NOW)
        activity.add(s, workspace_id="T1", user_id="U1", team_id=None,
                     entry=entry(day=date(2026, 11, 10)), text="", source="t3", now=NOW)
        gone = activity.add(s, workspace_id="T1", user_id="U1", team_id=None,
                            entry=entry(), text="", source="t4", now=NOW)
        activity.soft_delete(s, activity=gone.activity, now=NOW)
    with sessions() as s:
        totals = activity.totals_by_kind(s, workspace_id="T1", user_id="U1",
                                         start=date(2026, 11, 16), end=date(2026, 11, 22))
        assert totals == {"deal": activity.KindTotal(1, Decimal("5000.50")),
                          "visit": activity.KindTotal(2, None)}
        assert activity.totals_by_kind(s, workspace_id="T2", user_id="U1",
                                       start=date(2026, 1, 1), end=date(2026, 12, 31)) == {}


def test_late_steps_escalate_to_the_managers_manager_else_the_admins(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    team = {"channel_id": "C1", "tz": "UTC", "currency": "CNY", "now": NOW}
    with db.session_factory(engine)() as s:
        teams.create_team(s, workspace_id="T1", name="East", managers=["UMEI"],
                          members=["UA", "UB"], **team)
        assert teams.escalation_for(s, workspace_id="T1", manager_user_id="UMEI") == []
        teams.set_role(s, workspace_id="T1", user_id="UHR", role="admin", now=NOW)
        assert teams.escalation_for(s, workspace_id="T1", manager_user_id="UMEI") == ["UHR"]
        # Mei is a plain member of the leaders' team: its manager is hers.
        teams.create_team(s, workspace_id="T1", name="Leads", managers=["UDIR"],
                          members=["UMEI"], **team)
        assert teams.escalation_for(s, workspace_id="T1", manager_user_id="UMEI") == ["UDIR"]
        assert teams.escalation_for(s, workspace_id="T1", manager_user_id="UDIR") == ["UHR"]
        # Another workspace's team of the same people changes nothing here.
        teams.create_team(s, workspace_id="T2", name="Leads", managers=["UX"],
                          members=["UMEI"], **team)
        assert teams.escalation_for(s, workspace_id="T1", manager_user_id="UMEI") == ["UDIR"]
    engine.dispose()


def test_sqlite_writers_queue_in_the_process_and_a_failed_one_lets_go(database_url: str) -> None:
    import threading
    import time as clock

    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    try:
        with sessions() as s:  # a write that fails: its rollback must free the queue
            teams.ensure_workspace(s, workspace_id="T1", now=NOW)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    errors: list[Exception] = []

    def write(i: int) -> None:
        try:
            with sessions() as s:
                teams.ensure_member(s, workspace_id="T1", user_id=f"U{i:03d}", now=NOW)
                clock.sleep(0.01)  # hold the write a moment: the others wait in line
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    started = clock.monotonic()
    threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and clock.monotonic() - started < 10
    with sessions() as s:
        assert len(teams.members_by_id(s, workspace_id="T1",
                                       user_ids=[f"U{i:03d}" for i in range(20)])) == 20
    engine.dispose()


def test_a_savepoint_after_reads_is_rolled_back_with_its_session(database_url: str) -> None:
    """pysqlite begins transactions only before writes: a savepoint after mere reads must
    still belong to the session's transaction, not commit on its own."""
    from store.models import Member

    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as s:
        teams.ensure_workspace(s, workspace_id="T1", now=NOW)
    try:
        with sessions() as s:
            teams.ensure_member(s, workspace_id="T1", user_id="U0NEW", now=NOW)  # savepoint
            raise RuntimeError("the rest of the unit of work failed")
    except RuntimeError:
        pass
    with sessions() as s:
        assert teams.members_by_id(s, workspace_id="T1", user_ids=["U0NEW"]) == {}
        assert s.get(Member, 1) is None
    engine.dispose()


def test_the_currency_migration_keeps_existing_logs(database_url: str) -> None:
    """0018 on a database with logs in it: they keep their amounts, in the team's currency."""
    from alembic import command

    engine = db.make_engine(database_url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0012")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO workspaces (id, name, created_at) VALUES ('T1', '', "
                             "'2026-11-18 02:00:00')")
        conn.exec_driver_sql(
            "INSERT INTO activities (workspace_id, user_id, kind, count, amount, occurred_on, "
            "text, source, recorded_at) VALUES ('T1', 'U1', 'deal', 1, 5000.5, '2026-11-17', "
            "'deal Acme 5000.50', 's1', '2026-11-18 02:00:00')")
    db.upgrade(engine)
    assert db.is_current(engine)
    with db.session_factory(engine)() as s:
        [row] = s.exec(select(Activity)).all()
        assert (row.amount, row.currency) == (Decimal("5000.50"), None)
        assert activity.totals_by_kind(s, workspace_id="T1", user_id="U1",
                                       start=date(2026, 11, 16), end=date(2026, 11, 22)) == {
            "deal": activity.KindTotal(1, Decimal("5000.50"))}
    command.downgrade(config, "0012")
    command.upgrade(config, "head")
    engine.dispose()


def test_the_no_objections_migration_keeps_existing_logs(database_url: str) -> None:
    no_objections_migration(database_url)


def test_the_no_objections_migration_on_postgres(pg_url: str) -> None:
    no_objections_migration(pg_url)


def no_objections_migration(url: str) -> None:
    """0013 on a database with logs in it: they had no such flag, so it is off for them."""
    from alembic import command

    engine = db.make_engine(url)
    config = db.alembic_config(engine)
    command.upgrade(config, "0016")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO workspaces (id, name, created_at) VALUES ('T1', '', "
                             "'2026-11-18 02:00:00')")
        conn.exec_driver_sql(
            "INSERT INTO activities (workspace_id, user_id, kind, count, occurred_on, "
            "text, source, recorded_at) VALUES ('T1', 'U1', 'visit', 1, '2026-11-17', "
            "'visit Acme', 's1', '2026-11-18 02:00:00')")
    db.upgrade(engine)
    assert db.is_current(engine)
    with db.session_factory(engine)() as s:
        [row] = s.exec(select(Activity)).all()
        assert row.no_objections is False
        quiet = activity.add(s, workspace_id="T1", user_id="U1", team_id=None,
                             entry=LogEntry(kind="visit", count=1, customer="Acme",
                                            day=date(2026, 11, 18), amount=None,
                                            new_customer=None, note=None, no_objections=True),
                             text="visit Acme no objections", source="s2", now=NOW)
        assert quiet.activity.no_objections is True
    command.downgrade(config, "0016")
    command.upgrade(config, "head")
    engine.dispose()
