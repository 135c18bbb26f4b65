"""How many times, in this process, each kind of data /log reads from memory has changed: a
team's roster (teams, their settings and days off, memberships) and customers' names.
bot/services/log_cache.py keeps what it read with the count it saw first, and reads again
once the count moved.

Counted on commit (the rows a flush wrote, collected as store/homes.py collects them), so a
reader that saw the old count can't keep data from before a commit it raced with. Writes by
other processes, or by Core statements the ORM does not see, are caught by the cache's short
lifetime instead; and /log's follow-up reads the team afresh anyway (bot/services/activity.py).
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, inspect
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from store.models import Customer, Team, TeamHoliday, TeamMember

ROSTER, CUSTOMERS = "roster", "customers"
# What the cache keeps of customers (their names, by team): a customer added, removed or
# renamed moves the count; a touch or a stage move, which every /log with a customer makes,
# does not (it emptied the cache of names before every next /log's ack).
CUSTOMER_NAMING = ("name", "key", "team_id")
_KEY = "pacer.changed_kinds"
_counts: WeakKeyDictionary[Engine, dict[str, int]] = WeakKeyDictionary()
_lock = threading.Lock()


def count(engine: Engine, kind: str) -> int:
    with _lock:
        return _counts.get(engine, {}).get(kind, 0)


def _kind(row: object, session: Session) -> str | None:
    if isinstance(row, Team | TeamMember | TeamHoliday):
        return ROSTER
    if isinstance(row, Customer) and (row not in session.dirty or any(
            inspect(row).attrs[name].history.has_changes() for name in CUSTOMER_NAMING)):
        return CUSTOMERS
    return None


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: object) -> None:
    rows = (*session.new, *session.dirty, *session.deleted)
    kinds = {_kind(row, session) for row in rows} - {None}
    if kinds:
        session.info.setdefault(_KEY, set()).update(kinds)


@event.listens_for(Session, "after_commit")
def _count(session: Session) -> None:
    kinds = session.info.pop(_KEY, None)
    bind = session.get_bind() if kinds else None
    engine = getattr(bind, "engine", bind)
    if not kinds or engine is None:
        return
    with _lock:
        counts = _counts.setdefault(engine, {})
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + 1


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (counted already) or rolled back
        session.info.pop(_KEY, None)
