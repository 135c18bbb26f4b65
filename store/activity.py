"""Activities: the rows behind /log, and the sums the replies and exports need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from weakref import WeakKeyDictionary

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    bindparam,
    case,
    func,
    update,
)
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.grammar.kinds import LogEntry
from store import db, homes
from store.db import money
from store.models import Activity

IMPORT_PREFIX = "import:"  # the source of rows that came from `pacer import`


@dataclass(frozen=True)
class Saved:
    activity: Activity
    created: bool  # False when the same request was already recorded (a retry, a double click)


@dataclass(frozen=True)
class KindTotal:
    count: int
    amount: Decimal | None


NO_TOTAL = KindTotal(0, None)


def add(session: Session, *, workspace_id: str, user_id: str, team_id: int | None,
        entry: LogEntry, text: str, source: str, now: datetime) -> Saved:
    """Record one log once: a second request with the same source returns the first row."""
    existing = by_source(session, workspace_id=workspace_id, source=source)
    if existing is not None:
        return Saved(existing, created=False)
    row = Activity(
        workspace_id=workspace_id, user_id=user_id, team_id=team_id, kind=entry.kind,
        count=entry.count, customer=entry.customer, amount=entry.amount,
        currency=entry.currency, new_customer=entry.new_customer,
        no_objections=entry.no_objections,
        amount_due=entry.amount_due, due_on=entry.due_on,
        occurred_on=entry.day, note=entry.note,
        text=text[:1000], source=source[:128], recorded_at=now,
    )
    try:
        with session.begin_nested():  # a concurrent twin may win the unique key
            session.add(row)
    except IntegrityError:
        existing = by_source(session, workspace_id=workspace_id, source=source)
        if existing is None:
            raise
        return Saved(existing, created=False)
    return Saved(row, created=True)


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
    On SQLite the rows go in one multi-row statement (`_insert_together`); on PostgreSQL,
    whose /logs write alone (`insert_once_alone`), one by one.
    Each row's id in order, or None where its source was recorded already (before, or by an
    earlier row of the same batch). Raises as `insert_once` would; nothing of the rows is
    then kept."""
    sql, keys, processors, positional = _raw_insert(engine.dialect)
    raw = engine.raw_connection()
    try:
        with db.writing(engine):  # the writer queue SQLAlchemy's events keep for the rest
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


def _insert_together(cursor, dialect: Dialect,  # noqa: ANN001 - the driver's cursor
                     rows: list[dict[str, object]]) -> list[int | None]:
    """SQLite: `rows` inserted by one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING
    (id, workspace, source) per BATCH_ROWS, and each row's id found by its key. Row by row,
    every execute and fetch gave the GIL away and waited for it back (up to the 5 ms switch
    interval each while other threads run): under a burst the leader of a batch of twenty
    held every queued ack for 100 ms and more, the stalls behind /log's p99 on SQLite
    (benchmarks/ack_vs_bolt.py, README Performance: the sixteenth round). SQLite inserts
    a statement's rows in order, so of two rows with one key the first is written."""
    keys, processors = _raw_insert(dialect)[1:3]
    written: dict[tuple[object, object], int] = {}
    for start in range(0, len(rows), BATCH_ROWS):
        chunk = rows[start:start + BATCH_ROWS]
        params: list[object] = []
        for row in chunk:
            params += _driver_values(row, keys, processors)
        cursor.execute(_together_sql(dialect, len(chunk)), params)
        written.update(((workspace, source), found) for found, workspace, source
                       in cursor.fetchall())
    ids: list[int | None] = []
    for row in rows:  # the id goes to the first row of its key; a repeat is None
        ids.append(written.pop((row["workspace_id"], row["source"]), None))
    return ids


BATCH_ROWS = 500  # rows per statement: 18 parameters each, under SQLite's 32,766
_TOGETHER: dict[tuple[str, int], str] = {}


def _together_sql(dialect: Dialect, n: int) -> str:
    """`_raw_insert`'s statement for `n` rows, returning each row's key with its id."""
    found = _TOGETHER.get((dialect.name, n))
    if found is None:
        sql = _raw_insert(dialect)[0]
        head, _, rest = sql.partition(" VALUES ")
        one, _, tail = rest.partition(" ON CONFLICT ")
        assert tail.endswith(" RETURNING id"), sql  # as _INSERT_ONCE compiles
        found = _TOGETHER[dialect.name, n] = (
            f"{head} VALUES {', '.join([one] * n)} ON CONFLICT {tail}, workspace_id, source")
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
    (`_bind_processors` is SQLAlchemy's own, not public API: tests/store/test_activity.py
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


def claim_settle(session: Session, *, activity_id: int) -> Activity | None:
    """Take on a row's owed follow-up (None: already done, by this process or another). The
    conditional UPDATE is the claim, so a worker and the repair job never both do it; the
    commit then marks the row's App Homes stale (store/homes.py: mark)."""
    row = session.execute(_CLAIM, {"activity_id": activity_id},
                          execution_options={"populate_existing": True}).scalar()
    if row is None:
        return None
    homes.mark(session, row)  # the commit marks its App Homes stale (no UPDATE of it again)
    return row


# Core, built once (as _INSERT_ONCE): the ORM's bulk UPDATE and a statement built per call
# were most of the claim's cost. It returns the row it claimed, read into the session as an
# entity (from_statement): one statement where an UPDATE and then a SELECT by id were two.
_CLAIM = select(Activity).from_statement(
    update(Activity.__table__)
    .where(Activity.__table__.c.id == bindparam("activity_id"),
           Activity.__table__.c.settle_pending.is_(True))
    .values(settle_pending=False)
    .returning(*Activity.__table__.c))


def claim_settle_many(session: Session, *, activity_ids: list[int]) -> dict[int, Activity]:
    """`claim_settle` for the rows of the /log follow-ups queued together, in one UPDATE:
    the rows claimed, by id (those settled already are not among them)."""
    if len(activity_ids) == 1:
        row = claim_settle(session, activity_id=activity_ids[0])
        return {row.id: row} if row is not None else {}
    rows = session.execute(_CLAIM_MANY, {"activity_ids": list(activity_ids)},
                           execution_options={"populate_existing": True}).scalars().all()
    for row in rows:
        homes.mark(session, row)
    return {row.id: row for row in rows}


_CLAIM_MANY = select(Activity).from_statement(
    update(Activity.__table__)
    .where(Activity.__table__.c.id.in_(bindparam("activity_ids", expanding=True)),
           Activity.__table__.c.settle_pending.is_(True))
    .values(settle_pending=False)
    .returning(*Activity.__table__.c))


def settle_owed(session: Session, *, before: datetime, limit: int = 200) -> list[int]:
    """Rows whose follow-up is still owed and was recorded before `before`: left by a
    process that died after the ack (newer ones are most likely in a live worker's hands)."""
    return list(session.exec(
        select(Activity.id).where(Activity.settle_pending.is_(True),
                                  Activity.recorded_at < before)
        .order_by(Activity.id).limit(limit)).all())


def by_source(session: Session, *, workspace_id: str, source: str) -> Activity | None:
    return session.exec(
        select(Activity).where(Activity.workspace_id == workspace_id, Activity.source == source)
    ).first()


def get(session: Session, *, workspace_id: str, activity_id: int,
        fresh: bool = False) -> Activity | None:
    """A row of this workspace; `fresh` reads it again even if the session holds it."""
    row = session.get(Activity, activity_id, populate_existing=fresh)
    return row if row is not None and row.workspace_id == workspace_id else None


def last_live(session: Session, *, workspace_id: str, user_id: str) -> Activity | None:
    """The caller's most recently recorded log that is not undone (and came from Slack, not
    from a CRM import, which `/log undo` must not reach)."""
    return session.exec(
        select(Activity)
        .where(Activity.workspace_id == workspace_id, Activity.user_id == user_id,
               Activity.deleted_at.is_(None), ~Activity.source.startswith(IMPORT_PREFIX))
        .order_by(Activity.recorded_at.desc(), Activity.id.desc())
    ).first()


def soft_delete(session: Session, *, activity: Activity, now: datetime) -> bool:
    """Mark a log undone; False if it already was (undo is safe to click twice)."""
    if activity.deleted_at is not None:
        return False
    activity.deleted_at = now
    session.add(activity)
    session.flush()
    return True


def team_money():  # type: ignore[no-untyped-def]
    """An amount as the team's totals count it: nothing when it is in another currency."""
    return case((Activity.currency.is_(None), Activity.amount), else_=None)


def totals_by_kind(session: Session, *, workspace_id: str, user_id: str, start: date,
                   end: date) -> dict[str, KindTotal]:
    """Live counts and amounts per kind between two local dates, summed in SQL."""
    rows = session.exec(
        select(Activity.kind, func.sum(Activity.count), func.sum(team_money()))
        .where(Activity.workspace_id == workspace_id, Activity.user_id == user_id,
               Activity.deleted_at.is_(None), Activity.occurred_on >= start,
               Activity.occurred_on <= end)
        .group_by(Activity.kind)
        .order_by(Activity.kind)
    ).all()
    return {kind: KindTotal(int(count), money(amount)) for kind, count, amount in rows}


def day_and_week_totals(session: Session, *, workspace_id: str, user_id: str, day: date,
                        week_start: date, week_end: date,
                        ) -> tuple[dict[str, KindTotal], dict[str, KindTotal]]:
    """One query for what /log's confirmation shows: per kind, the day's and the week's."""
    rows = session.execute(_DAY_AND_WEEK, {
        "workspace_id": workspace_id, "user_id": user_id, "day": day,
        "week_start": week_start, "week_end": week_end}).all()
    days = {kind: KindTotal(int(d), money(da)) for kind, d, da, _, _ in rows if d}
    weeks = {kind: KindTotal(int(w), money(wa)) for kind, _, _, w, wa in rows}
    return days, weeks


# team_money() on the table's columns, not the model's: a Core statement skips the ORM's
# compile step (nothing in /log's confirmation reads is an entity).
_TEAM_MONEY = case((Activity.__table__.c.currency.is_(None), Activity.__table__.c.amount),
                   else_=None)


def _day_and_week():  # type: ignore[no-untyped-def]
    a = Activity.__table__.c
    on_day = a.occurred_on == bindparam("day")
    return (core_select(a.kind,
                        func.sum(case((on_day, a.count), else_=0)),
                        func.sum(case((on_day, _TEAM_MONEY), else_=None)),
                        func.sum(a.count), func.sum(_TEAM_MONEY))
            .where(a.workspace_id == bindparam("workspace_id"),
                   a.user_id == bindparam("user_id"), a.deleted_at.is_(None),
                   a.occurred_on >= bindparam("week_start"),
                   a.occurred_on <= bindparam("week_end"))
            .group_by(a.kind))


# Built once: every /log confirmation runs it, and building it was most of its cost.
_DAY_AND_WEEK = _day_and_week()


def day_and_week_totals_many(session: Session, *, workspace_id: str, user_ids: list[str],
                             week_start: date, week_end: date
                             ) -> dict[tuple[str, date], tuple[dict[str, KindTotal],
                                                              dict[str, KindTotal]]]:
    """`day_and_week_totals` for several people's logs in one week (the /log follow-ups
    queued together) in one read: by (person, day of the week), what `day_and_week_totals`
    gives for that person and day. The week's sums add up the days' (amounts are whole
    cents, /log's grammar reads no other: a day's sum read as a float, as SQLite gives it,
    is that many cents, as the week's summed in SQL is)."""
    by_day: dict[tuple[str, date], dict[str, KindTotal]] = {}
    counts: dict[tuple[str, str], int] = {}
    amounts: dict[tuple[str, str], Decimal] = {}
    # By kind, as SQLite's GROUP BY kind gives them, whatever the database's order.
    for user_id, kind, day, count, amount in sorted(session.execute(_DAY_AND_WEEK_MANY, {
            "workspace_id": workspace_id, "user_ids": sorted(set(user_ids)),
            "week_start": week_start, "week_end": week_end}).all(),
            key=lambda r: (r[0], r[1], r[2])):
        amount = money(amount)
        counts[user_id, kind] = counts.get((user_id, kind), 0) + int(count)
        if amount is not None:
            amounts[user_id, kind] = amounts.get((user_id, kind), 0) + amount
        if count:
            by_day.setdefault((user_id, day), {})[kind] = KindTotal(int(count), amount)
    weeks: dict[str, dict[str, KindTotal]] = {}
    for (user_id, kind), count in counts.items():
        weeks.setdefault(user_id, {})[kind] = KindTotal(count, amounts.get((user_id, kind)))
    days = [week_start + timedelta(days=i) for i in range((week_end - week_start).days + 1)]
    return {(user_id, day): (by_day.get((user_id, day), {}), weeks.get(user_id, {}))
            for user_id in set(user_ids) for day in days}


def _day_and_week_many():  # type: ignore[no-untyped-def]
    """Each person's sums per kind and day of the week (the rows _DAY_AND_WEEK sums for
    one)."""
    a = Activity.__table__.c
    return (core_select(a.user_id, a.kind, a.occurred_on, func.sum(a.count),
                        func.sum(_TEAM_MONEY))
            .where(a.workspace_id == bindparam("workspace_id"),
                   a.user_id.in_(bindparam("user_ids", expanding=True)),
                   a.deleted_at.is_(None), a.occurred_on >= bindparam("week_start"),
                   a.occurred_on <= bindparam("week_end"))
            .group_by(a.user_id, a.kind, a.occurred_on))


_DAY_AND_WEEK_MANY = _day_and_week_many()


def list_between(session: Session, *, workspace_id: str, user_id: str, start: date,
                 end: date, limit: int = 40) -> list[Activity]:
    return list(session.exec(
        select(Activity)
        .where(Activity.workspace_id == workspace_id, Activity.user_id == user_id,
               Activity.deleted_at.is_(None), Activity.occurred_on >= start,
               Activity.occurred_on <= end)
        .order_by(Activity.occurred_on.desc(), Activity.recorded_at.desc())
        .limit(limit)
    ).all())


def count_between(session: Session, *, workspace_id: str, user_id: str, start: date,
                  end: date) -> int:
    return session.exec(
        select(func.count()).select_from(Activity)
        .where(Activity.workspace_id == workspace_id, Activity.user_id == user_id,
               Activity.deleted_at.is_(None), Activity.occurred_on >= start,
               Activity.occurred_on <= end)
    ).one()
