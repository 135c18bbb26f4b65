"""The reps' 12-month history (the rolling forecast's input, store/scoring.py `members`) of
many teams at once, remembered between reports until a team's logs change.

The history of a quarter's forecast is closed months, but closed months change: back-dated
logs, undo, imports and edits write into them. So what is remembered is keyed by the team's
activity revision (table activity_revisions), which the database's own triggers bump on every
change to a team's logs (migration 0025), whoever writes. The revision is read before the
history: a write racing the read leaves a newer revision behind, and the next report reads
again. The team's reps and when they joined are read afresh each time (cheap).
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, case, literal, select
from sqlmodel import Session

from bot.scoring.facts import ZERO, Member
from store.db import money
from store.models import ActivityRevision, Team
from store.scoring import (
    HISTORY_METRICS,
    TOUCH_KINDS,
    A,
    _add_months,
    _as_utc,
    _live,
    _new_customers,
    _reps_many,
    _sum_if,
    _sum_money,
)

History = dict[str, dict[str, tuple[Decimal, ...]]]  # user -> metric -> months, oldest first
# Team-quarters remembered per database. Kept packed (`_pack`): about 13 kB for 20 reps, where
# the Decimals themselves took 145 kB (tracemalloc, benchmarks/scoring.py's seed).
KEPT = 4_000
_MONEY = {m: m.startswith(("sales", "collected")) for m in HISTORY_METRICS}
_NOTHING = -(2**63)  # a month with no row: ZERO, not a sum of 0.00

_kept: WeakKeyDictionary[Engine, OrderedDict[tuple, tuple[int, dict[str, array]]]] = (
    WeakKeyDictionary())
_lock = threading.Lock()


def revisions(session: Session, team_ids: Collection[int]) -> dict[int, int]:
    """Each team's activity revision (0: its logs never changed)."""
    R = ActivityRevision.__table__
    found = dict(session.exec(select(R.c.team_id, R.c.revision)
                              .where(R.c.team_id.in_(sorted(team_ids)))).all())
    return {team: found.get(team, 0) for team in team_ids}


def members(session: Session, *, team_id: int, history_end: date,
            months: int = 12) -> list[Member]:
    """The team's reps (not its managers), when each joined (Member.joined_at as a team-local
    date), and their actuals per calendar month for the `months` whole months before
    history_end's month (oldest first, zero-filled): pass a quarter's first day to get the
    trailing twelve months before it. Remembered like `members_many`'s (one team of it), so
    the App Home, /scorecard and the scheduled reports read a team's year once per change."""
    return members_many(session, team_ids=[team_id], history_end=history_end,
                        months=months)[team_id]


def members_many(session: Session, *, team_ids: Collection[int], history_end: date,
                 months: int = 12) -> dict[int, list[Member]]:
    """`members` of many teams, by team id: one query for the teams whose logs changed since
    their history was last read (or never read), none for the others."""
    T = Team.__table__
    zones = dict(session.exec(select(T.c.id, T.c.tz).where(T.c.id.in_(sorted(team_ids)))).all())
    if set(team_ids) - set(zones):
        raise LookupError(f"no team with id {min(set(team_ids) - set(zones))}")
    revision = revisions(session, team_ids)  # before the history: see the module's docstring
    reps = _reps_many(session, team_ids)
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with _lock:
        kept = _kept.setdefault(engine, OrderedDict())
    histories: dict[int, History] = {}
    missing: dict[int, list[str]] = {}
    for team in team_ids:
        key = (team, history_end, months, tuple(reps[team]))
        with _lock:
            found = kept.get(key)
        if found is not None and found[0] == revision[team]:
            histories[team] = _unpack(found[1], months)
        else:
            missing[team] = list(reps[team])
    if missing:
        fresh = history_of(session, missing, history_end, months)
        histories.update(fresh)
        with _lock:
            for team, history in fresh.items():
                key = (team, history_end, months, tuple(reps[team]))
                packed = _pack(history, months)
                if packed is None:
                    kept.pop(key, None)
                    continue
                kept[key] = (revision[team], packed)
                kept.move_to_end(key)
            while len(kept) > KEPT:
                kept.popitem(last=False)
    return {team: [Member(user_id=user,
                          joined_at=_as_utc(joined).astimezone(ZoneInfo(zones[team])).date(),
                          history=histories[team][user])
                   for user, joined in reps[team].items()] for team in team_ids}


def _pack(history: History, months: int) -> dict[str, array] | None:
    """A team's history as machine integers: cents of money, counts; None when one of them
    would not come back exactly (then it is not remembered)."""
    packed: dict[str, array] = {}
    try:
        for user, metrics in history.items():
            packed[user] = array("q", (
                _NOTHING if v is ZERO else int(v.scaleb(2)) if _MONEY[m] else int(v)
                for m in HISTORY_METRICS for v in metrics[m]))
    except OverflowError:
        return None
    back = _unpack(packed, months)
    if any(str(a) != str(b) for user, metrics in history.items()
           for m in HISTORY_METRICS for a, b in zip(metrics[m], back[user][m], strict=True)):
        return None
    return packed


def _unpack(packed: dict[str, array], months: int) -> History:
    return {user: {m: tuple(map(read, values[i * months:(i + 1) * months]))
                   for i, m, read in _READERS}
            for user, values in packed.items()}


class _Decimals(dict):
    """The Decimals of packed numbers, made once each (a Decimal is a value, shared safely):
    a month of reports unpacks 72,000 numbers, most of them ones seen before (zeros, small
    counts), and a hit is a lookup in C where making one was a call and a Decimal."""

    def __init__(self, make: Callable[[int], Decimal]) -> None:
        super().__init__({_NOTHING: ZERO})
        self.make = make

    def __missing__(self, n: int) -> Decimal:
        if len(self) >= _DECIMALS_KEPT:
            self.clear()
            self[_NOTHING] = ZERO
        found = self[n] = self.make(n)
        return found


_DECIMALS_KEPT = 200_000  # then forgotten all at once (a few MB)


def _cents(n: int) -> Decimal:
    return ZERO if n == _NOTHING else Decimal(n).scaleb(-2)


def _count(n: int) -> Decimal:
    return ZERO if n == _NOTHING else Decimal(n)


# Each metric's place in a packed history and how its numbers read back, chosen once (not
# per number: a month of reports unpacks 72,000 of them).
_READ_CENTS, _READ_COUNT = _Decimals(_cents).__getitem__, _Decimals(_count).__getitem__
_READERS = tuple((i, m, _READ_CENTS if _MONEY[m] else _READ_COUNT)
                 for i, m in enumerate(HISTORY_METRICS))


def history_of(session: Session, reps: Mapping[int, Sequence[str]], history_end: date,
               months: int) -> dict[int, dict[str, dict[str, tuple[Decimal, ...]]]]:
    """`members`' monthly actuals of each team's `reps` (team id -> user ids), in one query:
    team -> user -> metric -> one value per month, oldest first."""
    last = history_end.replace(day=1)
    bounds = [_add_months(last, -months + i) for i in range(months + 1)]
    month = (case(*[(A.c.occurred_on < bound, i) for i, bound in enumerate(bounds[1:-1])],
                  else_=months - 1) if months > 1 else literal(0))
    deal = A.c.kind == "deal"
    history = {team: {user: {m: [ZERO] * months for m in HISTORY_METRICS} for user in users}
               for team, users in reps.items()}
    everyone = sorted({user for users in reps.values() for user in users})
    query = (
        select(A.c.team_id, A.c.user_id, month.label("month"),
               _sum_money(deal, A.c.amount).label("sales"),
               _sum_money(and_(deal, A.c.new_customer.is_not(False)), A.c.amount)
               .label("sales_new"),
               _sum_money(and_(deal, A.c.new_customer.is_(False)), A.c.amount)
               .label("sales_repeat"),
               _new_customers().label("new_customers"),
               _sum_if(A.c.kind.in_(TOUCH_KINDS), A.c.count).label("touches"),
               _sum_money(A.c.kind == "payment", A.c.amount).label("collected"))
        .where(A.c.team_id.in_(sorted(reps)), _live(A), A.c.user_id.in_(everyone),
               A.c.occurred_on >= bounds[0], A.c.occurred_on < bounds[-1])
        .group_by(A.c.team_id, A.c.user_id, month)
    )
    for row in session.exec(query) if everyone else ():
        mine = history[row.team_id].get(row.user_id)
        if mine is None:
            continue  # a rep of another team, not of this one
        for metric in HISTORY_METRICS:
            value = getattr(row, metric)
            mine[metric][row.month] = (
                money(value, ZERO) if metric.startswith(("sales", "collected"))
                else Decimal(int(value or 0)))
    return {team: {user: {m: tuple(v) for m, v in metrics.items()}
                   for user, metrics in users.items()} for team, users in history.items()}


