"""Tick claims: which process works which team in a scheduler minute (bot/services/
tick_claims.py decides what to ask for; this module only writes and reads the rows).

A unit (`team:<id>`, or `process:<owner>` for a process saying it ticks) is taken for a minute
by one INSERT of (minute, unit); the primary key lets only one process's row in, whatever
the race. The INSERT is set-based (ON CONFLICT DO NOTHING ... RETURNING, both PostgreSQL
and SQLite 3.35+): a process learns in one statement which of the units it asked for are its
own. Units go in sorted, so two processes asking for overlapping sets wait on each other in
the same order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from store.models import TickClaim

CHUNK = 5_000  # rows per INSERT: 4 parameters a row stays far below PostgreSQL's 65,535


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def take(session: Session, *, minute: datetime, units: Iterable[str], owner: str,
         now: datetime) -> set[str]:
    """Claim `units` for `minute` for `owner`; return those this call got (the others were
    claimed already, by anyone, this one included)."""
    minute, now = _utc(minute), _utc(now)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    wanted = sorted(set(units))
    got: set[str] = set()
    for i in range(0, len(wanted), CHUNK):
        rows = [{"minute": minute, "unit": unit, "owner": owner[:64], "claimed_at": now}
                for unit in wanted[i:i + CHUNK]]
        statement = (insert(TickClaim).values(rows)
                     .on_conflict_do_nothing(index_elements=["minute", "unit"])
                     .returning(TickClaim.unit))
        got.update(session.execute(statement).scalars())
    return got


def owners_between(session: Session, *, first: datetime, last: datetime) -> list[str]:
    """The processes with a claim of any unit in the minutes `first` to `last`, sorted."""
    return sorted(session.execute(
        select(TickClaim.owner).where(TickClaim.minute >= _utc(first),
                                      TickClaim.minute <= _utc(last)).distinct()).scalars())


def claimed(session: Session, *, minute: datetime) -> dict[str, str]:
    """Every unit of `minute` and its owner (tests, benchmarks, looking into a tick)."""
    found = session.execute(select(TickClaim.unit, TickClaim.owner)
                            .where(TickClaim.minute == _utc(minute)))
    return {unit: owner for unit, owner in found}


def prune(session: Session, *, before: datetime) -> int:
    """Forget the claims of minutes before `before` (a range of the primary key)."""
    return session.execute(delete(TickClaim).where(TickClaim.minute < _utc(before))).rowcount
