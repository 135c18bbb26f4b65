"""Activities: the rows behind /log, and the sums the replies and exports need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    bindparam,
    case,
    func,
    update,
)
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.grammar.kinds import LogEntry
from store import homes
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
