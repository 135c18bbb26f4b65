"""/log's row written before its ack: one INSERT ... ON CONFLICT DO NOTHING per /log
(`insert_once`), or several acked together on the driver's own connection
(`insert_once_many`, SQLite's group commit: bot/services/log_writes.py), or each alone on a
pool of its own (`insert_once_alone`, PostgreSQL). The rows and sums are store/activity.py's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Dialect, Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.grammar.kinds import LogEntry
from store import db
from store.models import Activity


def insert_once(session: Session | Connection, *, workspace_id: str, user_id: str,
                team_id: int | None, entry: LogEntry, text: str, source: str, now: datetime
                ) -> int | None:
    """/log's one statement before its ack: the row, unless a request with the same source
    (Slack's trigger_id: a retry) is recorded already (then None). One INSERT ... ON CONFLICT
    DO NOTHING RETURNING id, no read first and no savepoint; being Core, it is not seen by the
    App Home marks (store/homes.py), which `claim_settle` owes after the ack with the rest."""
    bind = session.get_bind() if isinstance(session, Session) else session
    statement = _INSERT_ONCE["postgresql" if bind.dialect.name == "postgresql" else "sqlite"]
    return session.execute(statement, once_values(
        workspace_id=workspace_id, user_id=user_id, team_id=team_id, entry=entry, text=text,
        source=source, now=now)).scalar()


# Built once: a statement made afresh per call cost /log ~0.5 ms of CPU in cache-key work.
_INSERT_ONCE = {name: dialect.insert(Activity.__table__)
                .on_conflict_do_nothing(index_elements=["workspace_id", "source"])
                .returning(Activity.__table__.c.id)
                for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}
_INSERT_KEYS = ("workspace_id", "user_id", "team_id", "kind", "count", "customer", "amount",
                "currency", "new_customer", "no_objections", "amount_due", "due_on",
                "occurred_on", "note", "text", "source", "recorded_at", "settle_pending")


def once_values(*, workspace_id: str, user_id: str, team_id: int | None, entry: LogEntry,
                text: str, source: str, now: datetime) -> dict[str, object]:
    """`insert_once`'s row as `insert_once_many` takes it."""
    return {"workspace_id": workspace_id, "user_id": user_id, "team_id": team_id,
            "kind": entry.kind, "count": entry.count, "customer": entry.customer,
            "amount": entry.amount, "currency": entry.currency,
            "new_customer": entry.new_customer, "no_objections": entry.no_objections,
            "amount_due": entry.amount_due, "due_on": entry.due_on, "occurred_on": entry.day,
            "note": entry.note, "text": text[:1000], "source": source[:128],
            "recorded_at": now, "settle_pending": True}


def insert_once_many(engine: Engine, rows: list[dict[str, object]]) -> list[int | None]:
    """`insert_once` for several /logs acked together (bot/services/log_writes.py), in ONE
    transaction and commit, on the driver's own connection: what SQLAlchemy's execution
    and commit added (about 0.4 ms of CPU a /log, more than SQLite's insert and commit
    themselves) is done once, here, for the statement SQLAlchemy compiled (`_raw_insert`).
    On SQLite up to BATCH_ROWS rows go in one statement that commits itself
    (`_insert_in_one_step`), more in several of one transaction (`_insert_together`); on
    PostgreSQL, whose /logs write alone (`insert_once_alone`), one by one.
    Each row's id in order, or None where its source was recorded already (before, or by an
    earlier row of the same batch). Raises as `insert_once` would; nothing of the rows is
    then kept."""
    sql, keys, processors, positional = _raw_insert(engine.dialect)
    raw = engine.raw_connection()
    try:
        with db.writing(engine):  # the writer queue SQLAlchemy's events keep for the rest
            if positional and len(rows) <= BATCH_ROWS:
                return _insert_in_one_step(raw.driver_connection, engine.dialect, rows)
            try:
                cursor = raw.cursor()
                if positional:
                    ids = _insert_together(cursor, engine.dialect, rows)
                else:
                    ids = []
                    for row in rows:
                        values = _driver_values(row, keys, processors)
                        cursor.execute(sql, dict(zip(keys, values, strict=True)))
                        found = cursor.fetchone()
                        ids.append(found[0] if found is not None else None)
                cursor.close()
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
        return ids
    finally:
        raw.close()


def _insert_in_one_step(connection, dialect: Dialect,  # noqa: ANN001 - sqlite3's
                        rows: list[dict[str, object]]) -> list[int | None]:
    """SQLite: `rows` (at most BATCH_ROWS) inserted by one multi-row INSERT ... ON CONFLICT
    DO NOTHING without RETURNING, in autocommit: SQLite's one step of the statement inserts
    and commits (a statement is atomic on its own). Why: each call into SQLite gives the GIL
    away, and under a burst getting it back waited up to the 5 ms switch interval while the
    listener threads ran, with every queued ack behind the writer. BEGIN, the INSERT, a
    step per RETURNING row and COMMIT were 3 + N such calls: a batch of 9 held the queue
    for 25-58 ms now and then (benchmarks/ack_vs_bolt.py's stalls, README Performance).
    Now one, whatever the batch (tests/store/test_log_writes.py holds that).
    The ids come from SQLite's count of rows the statement inserted and its last rowid: a
    statement's rows get consecutive rowids, each one more than the table's largest before
    it (SQLite's rowid rule, https://sqlite.org/autoinc.html; its one exception, a table
    holding rowid 2**63 - 1, needs an id written explicitly, which Pacer never writes).
    Where some rows were not inserted (their source recorded already, or twice in the
    batch), the inserted ones are read back by that range to find which.
    Own code: neither the driver nor SQLAlchemy returns a multi-row INSERT's ids in one
    call into SQLite."""
    level = connection.isolation_level
    connection.isolation_level = None  # autocommit: no BEGIN, no COMMIT
    try:
        cursor = connection.execute(_together_sql(dialect, len(rows), returning=False),
                                    _together_params(dialect, rows))
    finally:
        connection.isolation_level = level
    inserted, last = cursor.rowcount, cursor.lastrowid
    cursor.close()
    if inserted == len(rows):
        return list(range(last - inserted + 1, last + 1))
    if inserted == 0:  # (the last rowid is then an earlier statement's)
        return [None] * len(rows)
    return _first_of_each_key(rows, {
        (workspace, source): id_ for id_, workspace, source in connection.execute(
            "SELECT id, workspace_id, source FROM activities WHERE id BETWEEN ? AND ?",
            (last - inserted + 1, last)).fetchall()})


def _insert_together(cursor, dialect: Dialect,  # noqa: ANN001 - the driver's cursor
                     rows: list[dict[str, object]]) -> list[int | None]:
    """SQLite: `rows` inserted by one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING
    (id, workspace, source) per BATCH_ROWS, and each row's id found by its key. Row by row,
    every execute and fetch gave the GIL away and waited for it back (up to the 5 ms switch
    interval each while other threads run): under a burst the leader of a batch of twenty
    held every queued ack for 100 ms and more, the stalls behind /log's p99 on SQLite
    (benchmarks/ack_vs_bolt.py, README Performance: the sixteenth round)."""
    written: dict[tuple[object, object], int] = {}
    for start in range(0, len(rows), BATCH_ROWS):
        chunk = rows[start:start + BATCH_ROWS]
        cursor.execute(_together_sql(dialect, len(chunk)), _together_params(dialect, chunk))
        written.update(((workspace, source), found) for found, workspace, source
                       in cursor.fetchall())
    return _first_of_each_key(rows, written)


def _together_params(dialect: Dialect, rows: list[dict[str, object]]) -> list[object]:
    """The parameters of `_together_sql` for `rows`: each row's values in turn."""
    keys, processors = _raw_insert(dialect)[1:3]
    params: list[object] = []
    for row in rows:
        params += _driver_values(row, keys, processors)
    return params


def _first_of_each_key(rows: list[dict[str, object]],
                       written: dict[tuple[object, object], int]) -> list[int | None]:
    """Each row's id among those `written` by (workspace, source): SQLite inserts a
    statement's rows in order, so of two rows with one key the first was written and gets
    the id; the repeat, and a row not written (recorded already), get None."""
    return [written.pop((row["workspace_id"], row["source"]), None) for row in rows]


BATCH_ROWS = 500  # rows per statement: 18 parameters each, under SQLite's 32,766
_TOGETHER: dict[tuple[str, int, bool], str] = {}


def _together_sql(dialect: Dialect, n: int, *, returning: bool = True) -> str:
    """`_raw_insert`'s statement for `n` rows, returning each row's key with its id (or,
    `returning=False`, nothing)."""
    found = _TOGETHER.get((dialect.name, n, returning))
    if found is None:
        sql = _raw_insert(dialect)[0]
        head, _, rest = sql.partition(" VALUES ")
        one, _, tail = rest.partition(" ON CONFLICT ")
        assert tail.endswith(" RETURNING id"), sql  # as _INSERT_ONCE compiles
        tail = f"{tail}, workspace_id, source" if returning else tail.removesuffix(
            " RETURNING id")
        found = _TOGETHER[dialect.name, n, returning] = (
            f"{head} VALUES {', '.join([one] * n)} ON CONFLICT {tail}")
    return found


def insert_once_alone(engine: Engine, row: dict[str, object]) -> int | None:
    """PostgreSQL: `insert_once` for one /log before its ack, as one statement that commits
    itself, on a connection of db.log_writers's pool. Its id, or None where its source was
    recorded already. Each /log writes alone: PostgreSQL commits the /logs that come at once
    together itself (one flush of its log for the backends waiting on it). The group commit
    SQLite needs (bot/services/log_writes.py) made one thread write for all of them, which
    under a burst waited for its share of the GIL with every ack queued behind it (README,
    Performance: the thirteenth round). A connection found dead (the server restarted; the
    pool does not ping) is replaced and the statement sent once more: its conflict clause
    keeps a row the first sending wrote from being written twice (that log would then go
    unconfirmed, as a retry is; the `log-followups` job still settles it)."""
    from psycopg import OperationalError

    sql, keys, processors, _ = _raw_insert(engine.dialect)
    params = dict(zip(keys, _driver_values(row, keys, processors), strict=True))
    writers = db.log_writers(engine)
    try:
        return _send_alone(writers, sql, params)
    except OperationalError:  # on a connection found dead, closed now: once more
        return _send_alone(writers, sql, params)


def _send_alone(writers: Engine, sql: str, params: dict[str, object]) -> int | None:
    from psycopg import OperationalError

    raw = writers.raw_connection()
    try:
        found = raw.driver_connection.execute(sql, params).fetchone()
    except OperationalError:
        raw.invalidate()  # closed, not back to the pool
        raise
    finally:
        raw.close()
    return found[0] if found is not None else None


def _driver_values(row: dict[str, object], keys: tuple[str, ...],
                   processors: dict[str, Callable[[object], object]]) -> list[object]:
    """`row`'s values in `keys`' order, each converted as SQLAlchemy would (`_raw_insert`)."""
    return [processors[k](row[k]) if k in processors else row[k] for k in keys]


_RawInsert = tuple[str, tuple[str, ...], dict[str, Callable[[object], object]], bool]
_RAW_INSERTS: WeakKeyDictionary[Dialect, _RawInsert] = WeakKeyDictionary()


def _raw_insert(dialect: Dialect) -> _RawInsert:
    """`_INSERT_ONCE` as SQLAlchemy compiles it for `dialect` with /log's columns: its SQL,
    the parameters' order, each column type's conversion of a value (a datetime to SQLite's
    text, a Decimal to its float, a bool to 0/1) as SQLAlchemy applies them when it
    executes the statement, and whether the driver takes them by position (SQLite) or by
    name (psycopg).
    (`_bind_processors` is SQLAlchemy's own, not public API: tests/store/test_log_writes.py
    holds a row written here to the one SQLAlchemy's execution writes.)"""
    found = _RAW_INSERTS.get(dialect)
    if found is None:
        compiled = _INSERT_ONCE["postgresql" if dialect.name == "postgresql" else "sqlite"
                                ].compile(dialect=dialect, column_keys=list(_INSERT_KEYS))
        order = tuple(compiled.positiontup) if compiled.positional else _INSERT_KEYS
        found = (compiled.string, order, dict(compiled._bind_processors),
                 bool(compiled.positional))
        _RAW_INSERTS[dialect] = found
    return found
