"""/log's write before its ack, several committed together on the driver's own connection
(store/log_inserts.py: insert_once_many, bot/services/log_writes.py; on PostgreSQL each alone,
insert_once_alone): the rows are the ones SQLAlchemy's execution of the same INSERT writes,
on SQLite and PostgreSQL; a source recorded already (a Slack retry) is None, in the same
batch too; one row's error is its own."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event, select

from bot.grammar.kinds import LogEntry
from bot.services import log_writes
from store import db, log_inserts
from store.models import Activity
from store.workspaces import ensure_workspace

NOW = datetime(2026, 11, 18, 2, 0, 3, 123456, tzinfo=UTC)
ENTRIES = [
    LogEntry("visit", 1, "Acme Corp", date(2026, 11, 17), None, None, None),
    LogEntry("deal", 1, "腾讯", date(2026, 11, 18), Decimal("120000.50"), True, "续约"),
    LogEntry("payment", 2, None, date(2026, 11, 16), Decimal("50000"), False, None,
             amount_due=Decimal("80000.25"), due_on=date(2026, 11, 30), currency="USD",
             no_objections=True),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, database_url: str) -> Engine:
    url = database_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        ensure_workspace(session, workspace_id="T1", now=NOW)
    return engine


def _values(entry: LogEntry, source: str, user_id: str = "U1") -> dict[str, object]:
    return log_inserts.once_values(workspace_id="T1", user_id=user_id, team_id=None,
                                entry=entry, text=f"/log {entry.kind}", source=source,
                                now=NOW)


def _rows(engine: Engine, prefix: str) -> list[dict]:
    table = Activity.__table__
    with engine.connect() as connection:
        found = connection.execute(select(table).where(table.c.source.like(f"{prefix}%"))
                                   .order_by(table.c.source)).mappings().all()
    return [{k: v for k, v in row.items() if k not in ("id", "source")} for row in found]


def test_rows_written_together_are_those_sqlalchemy_writes(engine: Engine) -> None:
    for i, entry in enumerate(ENTRIES):
        with engine.begin() as connection:
            log_inserts.insert_once(connection, workspace_id="T1", user_id="U1", team_id=None,
                                 entry=entry, text=f"/log {entry.kind}", source=f"a{i}",
                                 now=NOW)
    ids = log_inserts.insert_once_many(engine, [_values(e, f"b{i}") for i, e in
                                             enumerate(ENTRIES)])
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3
    assert _rows(engine, "b") == _rows(engine, "a")
    inserts = log_writes.GroupInserts()  # on PostgreSQL each alone (insert_once_alone)
    for i, entry in enumerate(ENTRIES):
        assert isinstance(inserts.insert(engine, _values(entry, f"c{i}")), int)
    assert _rows(engine, "c") == _rows(engine, "a")
    with engine.connect() as connection:  # the text columns byte for byte, as stored
        stored = connection.exec_driver_sql(
            "SELECT source, CAST(recorded_at AS TEXT), CAST(occurred_on AS TEXT), "
            "CAST(amount AS TEXT), CAST(due_on AS TEXT) FROM activities ORDER BY id").all()
    as_stored = [tuple(r[1:]) for r in stored]
    assert as_stored[:3] == as_stored[3:6] == as_stored[6:]


def test_a_source_recorded_already_is_none_in_the_same_batch_too(engine: Engine) -> None:
    first = log_inserts.insert_once_many(engine, [_values(ENTRIES[0], "t1")])
    again = log_inserts.insert_once_many(engine, [_values(ENTRIES[1], "t2"),
                                               _values(ENTRIES[1], "t1"),
                                               _values(ENTRIES[2], "t2")])
    assert first[0] is not None and again[0] is not None and again[1:] == [None, None]
    assert len(_rows(engine, "t")) == 2


def test_a_failed_batch_keeps_nothing(engine: Engine) -> None:
    bad = {**_values(ENTRIES[0], "x2"), "kind": None}  # NOT NULL
    with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's own IntegrityError
        log_inserts.insert_once_many(engine, [_values(ENTRIES[0], "x1"), bad])
    assert _rows(engine, "x") == []
    assert log_inserts.insert_once_many(engine, [_values(ENTRIES[0], "x1")])[0] is not None


def test_many_rows_with_repeats_across_statements_are_answered_as_one_by_one(
        engine: Engine) -> None:
    """More rows than one statement takes (log_inserts.BATCH_ROWS on SQLite), with sources
    repeated within a statement, across statements and from an earlier batch: each row its
    own id, or None for a repeat, as writing them one at a time would answer."""
    log_inserts.insert_once_many(engine, [_values(ENTRIES[0], "m7")])  # recorded before
    sources = [f"m{i}" for i in range(log_inserts.BATCH_ROWS + 20)]
    sources[3] = "m2"  # repeated within the first statement
    sources[log_inserts.BATCH_ROWS + 5] = "m10"  # repeated in the second, first in the first
    ids = log_inserts.insert_once_many(engine, [_values(ENTRIES[i % 3], source)
                                             for i, source in enumerate(sources)])
    first: set[str] = set()
    for source, found in zip(sources, ids, strict=True):
        if source in first or source == "m7":
            assert found is None, source
        else:
            assert isinstance(found, int), source
        first.add(source)
    assert len(set(i for i in ids if i is not None)) == len(first) - 1
    assert len(_rows(engine, "m")) == len(first)


def test_a_batch_is_one_statement_on_sqlite(database_url: str) -> None:
    """The rows a group commit writes together go in one INSERT that commits itself, with
    no BEGIN, COMMIT or RETURNING row to step through: each call into SQLite gave the GIL
    away and waited for it back, and every queued ack waited with it."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    statements: list[str] = []
    event.listen(engine, "connect",
                 lambda connection, _record: connection.set_trace_callback(statements.append))
    with db.session_factory(engine)() as session:
        ensure_workspace(session, workspace_id="T1", now=NOW)
    statements.clear()
    ids = log_inserts.insert_once_many(engine, [_values(ENTRIES[i % 3], f"o{i}")
                                             for i in range(20)])
    assert len(set(ids)) == 20 and None not in ids
    # (SQLite's trace names a statement again at each trigger it runs and each step that
    # returns a row)
    assert len(set(statements)) == 1, {s[:40] for s in statements}
    assert statements[0].startswith("INSERT") and "RETURNING" not in statements[0]
    assert all(f"'o{i}'" in statements[0] for i in range(20))
    assert _sources(engine, ids) == [f"o{i}" for i in range(20)]
    statements.clear()  # some recorded already: the new ones read back, one statement more
    ids = log_inserts.insert_once_many(engine, [_values(ENTRIES[0], source)
                                                for source in ("o3", "p1", "p2", "p1")])
    assert ids[0] is None and ids[3] is None and _sources(engine, ids[1:3]) == ["p1", "p2"]
    assert list(dict.fromkeys(s.split()[0] for s in statements)) == ["INSERT", "SELECT"]
    statements.clear()  # none new: nothing read
    assert log_inserts.insert_once_many(engine, [_values(ENTRIES[0], "p2")]) == [None]
    assert len(set(statements)) == 1


def test_the_ids_are_the_rows_of_their_sources_behind_rows_deleted_and_triggers(
        engine: Engine) -> None:
    """Each id a batch answers is the row written for that /log: after rows deleted (the
    largest too: SQLite then reuses its rowid), and with the activity_revisions trigger
    (migration 0025) writing rows of its own in the same statement."""
    first = log_inserts.insert_once_many(engine, [_values(ENTRIES[i % 3], f"r{i}")
                                                  for i in range(5)])
    assert _sources(engine, first) == [f"r{i}" for i in range(5)]
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DELETE FROM activities WHERE id IN ({first[1]}, "
                                   f"{first[4]})")
    again = log_inserts.insert_once_many(engine, [_values(ENTRIES[i % 3], f"s{i}", f"U{i}")
                                                  for i in range(4)])
    assert _sources(engine, again) == [f"s{i}" for i in range(4)]
    mixed = log_inserts.insert_once_many(engine, [_values(ENTRIES[0], source) for source
                                                  in ("s1", "u1", "r0", "u2", "u1")])
    assert [i is None for i in mixed] == [True, False, True, False, True]
    assert _sources(engine, [mixed[1], mixed[3]]) == ["u1", "u2"]


def _sources(engine: Engine, ids: list[int | None]) -> list[str]:
    """The source of each id's row, in the order of `ids`."""
    table = Activity.__table__
    with engine.connect() as connection:
        found = dict(connection.execute(select(table.c.id, table.c.source)
                                        .where(table.c.id.in_(ids))).all())
    return [found.get(i) for i in ids]


def test_a_dead_writer_connection_is_replaced_and_the_log_written(engine: Engine) -> None:
    """PostgreSQL: each /log writes alone on a connection of db.log_writers's pool, which
    does not ping: one the server closed (a restart) fails once, is dropped, and the
    statement goes again on a new one. The pool goes with the engine."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's /logs are written together (bot/services/log_writes.py)")
    first = log_inserts.insert_once_alone(engine, _values(ENTRIES[0], "d1"))
    writers = db.log_writers(engine)
    assert writers.pool.checkedin() == 1 and writers.pool.checkedout() == 0
    with engine.connect() as connection:  # the server closes the writer's connection
        connection.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    second = log_inserts.insert_once_alone(engine, _values(ENTRIES[1], "d2"))
    again = log_inserts.insert_once_alone(engine, _values(ENTRIES[1], "d2"))  # a retry
    assert isinstance(first, int) and isinstance(second, int) and again is None
    assert len(_rows(engine, "d")) == 2
    assert writers.pool.checkedin() == 1  # the dead one dropped, the new one kept
    engine.dispose()
    assert writers.pool.checkedin() == 0


def test_writes_queued_together_are_answered_each_and_an_error_is_its_own(
        engine: Engine) -> None:
    """Many threads at once (each a listener before its ack): each gets its own row's id,
    a retried source None, and the one bad row its error; all good rows are kept."""
    inserts = log_writes.GroupInserts()
    answers: dict[int, object] = {}
    start = threading.Barrier(12)

    def one(i: int) -> None:
        row = _values(ENTRIES[i % 3], f"g{i % 10}", user_id=f"U{i}")
        if i == 5:
            row["kind"] = None  # NOT NULL: this request alone fails
        start.wait()
        try:
            answers[i] = inserts.insert(engine, row)
        except Exception as error:  # noqa: BLE001 - what the request would raise
            answers[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert isinstance(answers.pop(5), Exception)
    ids = {i: a for i, a in answers.items() if a is not None}
    # g0 and g1 were sent twice (i = 0/10, 1/11): one of each pair is the retry
    assert sorted(i % 10 for i in ids) == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert len(set(ids.values())) == 9 and all(isinstance(v, int) for v in ids.values())
    assert len(_rows(engine, "g")) == 9
    assert inserts._queue == [] and not inserts._writing


def test_a_write_stopped_by_more_than_an_error_is_no_answer_of_recorded_already(
        monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """A leader stopped mid-write (not by a row's error) leaves none of its batch to read as
    'recorded already' (None: no confirmation, the log silently unconfirmed): each raises."""
    class Stop(BaseException):
        pass

    def stopped(engine: Engine, rows: list) -> list:
        raise Stop

    monkeypatch.setattr(log_inserts, "insert_once_many", stopped)
    inserts = log_writes.GroupInserts()
    with pytest.raises(Stop):
        inserts.insert(db.make_engine(database_url), _values(ENTRIES[0], "z1"))
    assert inserts._queue == [] and not inserts._writing
