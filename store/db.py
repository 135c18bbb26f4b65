"""Engine, sessions and migrations. SQLite gets WAL and a busy timeout; PostgreSQL as is."""

from __future__ import annotations

import ast
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Numeric, event, inspect, text
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SessionFactory = Callable[[], "contextmanager[Session]"]
MONEY = Numeric(18, 2)  # the amount columns' type: what a sum of them is read back as
CENT = Decimal("0.01")


def normalise_url(url: str) -> str:
    """Accept the common postgres:// and postgresql:// spellings; we ship psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # WAL lets the HTTP threads read while the scheduler writes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        _WRITERS[engine] = _queue_writers(engine)
        return engine
    # No JIT: the reports' statements (correlated subqueries per lead) are estimated dear
    # enough to be compiled, which took 0.7 s of a 0.78 s statement; a month of scorecards
    # for 300 reps took 3.2-3.3 s without it, 4.4-9 s with it. Set at connection start
    # (libpq's options), so no statement and no rollback can undo it.
    # Prepared statements (psycopg prepares a statement run 5 times) stay, with PostgreSQL's
    # generic plans: plan_cache_mode=force_custom_plan (or prepare_threshold=None) made the
    # reports' reads slower, not faster (1,000 reps, one team at a time: a week's 4.3 -> 4.9 s
    # of statements, a quarter's 5.3 -> 6.6 s); only the idle-lead read (store/idle.py) is
    # faster planned for its parameters (a week's 40 -> 29 ms a team), a matter for that read.
    return create_engine(url, pool_pre_ping=True, connect_args={"options": "-c jit=off"})


LOG_WRITERS = 10  # connections a process keeps for /log's writes (PostgreSQL)
_LOG_WRITERS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_LOG_WRITERS_LOCK = threading.Lock()


def log_writers(engine: Engine) -> Engine:
    """PostgreSQL: the pool /log's write before its ack takes its connection from
    (store/log_inserts.py: insert_once_alone), made once per engine and disposed with it.
    Its own, because it differs from the engine's: each statement commits itself
    (autocommit), so nothing is reset on return; and no ping at checkout (a round trip, and
    a wait for the GIL after it, before every /log): a connection found dead is replaced
    and the statement sent again. At most LOG_WRITERS connections: more /logs at once wait
    for one, so three processes hold at most 75 with the engine's own (15 each), under
    PostgreSQL's default 100."""
    with _LOG_WRITERS_LOCK:
        found = _LOG_WRITERS.get(engine)
        if found is not None:
            return found
        found = create_engine(engine.url, pool_size=LOG_WRITERS, max_overflow=0,
                              pool_pre_ping=False, pool_reset_on_return=None,
                              isolation_level="AUTOCOMMIT",
                              connect_args={"options": "-c jit=off"})
        _LOG_WRITERS[engine] = found
    event.listen(engine, "engine_disposed", lambda _engine: found.dispose())
    return found


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_WRITERS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()


def writing(engine: Engine) -> AbstractContextManager[object]:
    """The writer queue of `_queue_writers`, held around a write made on a raw DBAPI
    connection, which SQLAlchemy's events do not see (store/log_inserts.py: insert_once_many).
    Nothing on PostgreSQL."""
    lock = _WRITERS.get(engine)
    return lock if lock is not None else nullcontext()


def _queue_writers(engine: Engine) -> threading.RLock:
    """SQLite lets one writer in at a time; the others sleep and retry with a growing back-off
    (its busy timeout), so under a burst of /logs one can lose the race again and again, for
    seconds. Within a process, writers queue on one lock instead, from their first write to
    their commit or rollback. (Other processes still meet the busy timeout: run several on
    PostgreSQL.) Own code: neither SQLite nor SQLAlchemy offers a fair writer queue."""
    lock = threading.RLock()

    @event.listens_for(engine, "before_cursor_execute")
    def _first_write(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        head = statement.lstrip()[:9].upper()
        if head.startswith("SAVEPOINT"):
            raw = conn.connection.dbapi_connection
            if not raw.in_transaction:
                # pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so a
                # SAVEPOINT (session.begin_nested) after mere reads would open one of its
                # own, and its RELEASE would commit for good what the session may yet roll
                # back. Begin the session's transaction first, so the savepoint nests.
                _acquire(conn)
                raw.execute("BEGIN")
        elif head.startswith(_WRITES):
            _acquire(conn)

    def _acquire(conn) -> None:  # noqa: ANN001
        if not conn.info.get("writer"):
            lock.acquire()
            conn.info["writer"] = True

    def _done(info: dict) -> None:
        if info.pop("writer", False):
            lock.release()

    event.listen(engine, "commit", lambda conn: _done(conn.info))
    event.listen(engine, "rollback", lambda conn: _done(conn.info))
    # A connection handed back to the pool without either (it never should be) frees it too.
    event.listen(engine.pool, "checkin", lambda dbapi_conn, record: _done(record.info))
    return lock


def session_factory(engine: Engine) -> Callable[[], Iterator[Session]]:
    """One session per unit of work: commits on success, rolls back on error."""
    import store.homes  # noqa: F401 - its session events mark App Homes stale on commit

    @contextmanager
    def sessions() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    return sessions


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent). Alembic is imported only when
    there is something to apply: it and what it loads (Mako, every SQL dialect) would
    otherwise stay in every `pacer` process's memory for a check at start (issue 15)."""
    if is_current(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


# `revision = "0022"` and `down_revision = "0021"` (or a tuple, or None) in a migration file.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


@cache
def head_revision() -> str:
    """The newest migration's id, read from the migration files without importing Alembic.
    tests/store/test_migration_check.py holds it to Alembic's own answer."""
    heads = heads_of(MIGRATIONS / "versions")
    if len(heads) != 1:  # branches to merge: Alembic itself says what is wrong
        from alembic.script import ScriptDirectory

        return ScriptDirectory(str(MIGRATIONS)).get_current_head()
    return heads.pop()


def heads_of(versions: Path) -> set[str]:
    """The revisions no other revision names as its down_revision, as Alembic reads them."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            continue
        revisions.add(ast.literal_eval(found["revision"]))
        down = ast.literal_eval(found.get("down_revision", "None"))
        parents.update((down,) if isinstance(down, str) else down or ())
    return revisions - parents


def current_revisions(engine: Engine) -> list[str]:
    """The revision(s) the database is at, from Alembic's alembic_version table (one row, as
    one line of migrations leaves it); none when it has never been migrated."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return []
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def is_current(engine: Engine) -> bool:
    return current_revisions(engine) == [head_revision()]


def readiness(engine: Engine) -> str | None:
    """None when the database answers and is at the newest migration; else what is wrong."""
    try:
        return None if is_current(engine) else "database is not at the newest migration"
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the answer
        return f"database unreachable: {type(exc).__name__}"


def money(value: object, default: Decimal | None = None) -> Decimal | None:
    """A sum of money as the driver hands it back (SQLite: a float, PostgreSQL: a Decimal),
    exact to the cent; `default` when there was nothing to sum (SQL's NULL)."""
    return default if value is None else Decimal(str(value)).quantize(CENT)
