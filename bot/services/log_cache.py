"""What /log reads before its ack, kept in memory: the team a person logs for (its id and
currency) and the names of a team's customers (which anchor the parse). Reading both from the
database cost about a millisecond of CPU per /log (benchmarks/ack_vs_bolt.py).

An entry is used while nothing it depends on has changed in this process (store/changes.py
counts commits) and for at most TTL seconds, for changes made by another process (a CLI
`pacer team ...`, another replica). A /log acked with a team that was stale that long is
corrected by its follow-up, which reads the team afresh (bot/services/activity.py).
Own code: a dict with a lock; cachetools' TTLCache has no notion of a change count.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from bot.deps import Deps, Who
from bot.scoring.rules import Rules
from store import alerts, changes, customers, teams

TTL = 30.0  # seconds
MAX_ENTRIES = 50_000  # people and teams; past it the cache starts over (forgetting costs a read)


@dataclass(frozen=True)
class LogTeam:
    id: int
    currency: str


@dataclass(frozen=True)
class _Entry:
    value: object
    count: int
    until: float


_caches: WeakKeyDictionary[Engine, dict[tuple, _Entry]] = WeakKeyDictionary()  # per database
_lock = threading.Lock()


def team_of(deps: Deps, who: Who) -> LogTeam | None:
    """The team `who` logs for (store/teams.py: team_for_user), or None."""
    def load() -> LogTeam | None:
        with deps.sessions() as session:
            team = teams.team_for_user(session, workspace_id=who.workspace_id,
                                       user_id=who.user_id)
            return LogTeam(team.id, team.currency) if team else None
    return _cached(deps, ("team", who.workspace_id, who.user_id), changes.ROSTER, load)


@dataclass(frozen=True)
class TeamCalendar:
    """What a /log confirmation needs of its team besides the row: its scoring rules (the
    defaults with its overrides), its own days off and when each rep joined
    (bot/services/activity.py)."""

    rules: Rules  # built here once: Rules.from_mapping cost ~1 ms of CPU per confirmation
    days_off: frozenset[date]
    joined: dict[str, datetime]


def calendar_of(deps: Deps, team_id: int) -> TeamCalendar:
    def load() -> TeamCalendar:
        with deps.sessions() as session:
            return TeamCalendar(Rules.from_mapping(teams.rule_overrides(session,
                                                                        team_id=team_id)),
                                frozenset(d.day for d in teams.days_off(session,
                                                                        team_id=team_id)),
                                alerts.joined(session, team_id=team_id))
    return _cached(deps, ("calendar", team_id), changes.ROSTER, load)


def customer_names_in(deps: Deps, team_id: int, text: str) -> list[str]:
    """The team's customer names that `text` contains, longest first (as
    store/customers.py: names_in, over the cached names)."""
    def load() -> tuple[tuple[str, str], ...]:
        with deps.sessions() as session:
            return tuple(customers.names_and_keys(session, team_id=team_id))
    known = _cached(deps, ("customers", team_id), changes.CUSTOMERS, load)
    key = customers.name_key(text)
    return sorted((name for name, k in known if k and k in key), key=len, reverse=True)


def _cached(deps: Deps, key: tuple, kind: str, load):  # type: ignore[no-untyped-def]
    seen = changes.count(deps.engine, kind)  # before the read: a change during it misses
    now = time.monotonic()
    with _lock:
        cache = _caches.setdefault(deps.engine, {})
        hit = cache.get(key)
    if hit is not None and hit.count == seen and hit.until > now:
        return hit.value
    value = load()
    with _lock:
        if len(cache) > MAX_ENTRIES:
            cache.clear()
        cache[key] = _Entry(value, seen, now + TTL)
    return value
