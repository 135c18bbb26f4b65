"""Several `pacer run` processes on one database share each scheduler minute's teams instead
of each working all of them (issue 15). The database is the only coordinator.

Each minute, at its first job, a process
  1. says it ticks: it claims the unit `process:<owner>` of the minute (its own row);
  2. counts the processes that ticked this minute or the one before (the owners of any claim
     of those two minutes), and takes its place among them, sorted by name;
  3. claims, for the minute, the teams at its positions (team i of the sorted ids when
     i mod count == place) with one INSERT ... ON CONFLICT DO NOTHING RETURNING, and works
     only those it got.
The split is stable from minute to minute (a team stays with its process, whose memory of
the team's delivered keys keeps serving it), and even whatever second of the minute each
process ticks at. The claim rows make it exact: a team is worked by one process a minute
even when two processes count differently (one starting, one stopping) — then one of them
works more that minute, or a team waits for the next.

A process that dies keeps its place until its last claim is a minute old: its teams wait
that minute and the next (two at most), then the survivors count without it. Nothing is
lost: every job asks the ledger what is still owed (bot/jobs/outbox.py, a catch-up window
of hours), so the next minute that works a team sends what fell due meanwhile, once.

Only the scheduler claims (bot/jobs/scheduler.py); `pacer jobs run`, the console's `:run`
and tests calling run_job work every team.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.deps import Deps
from store import claims as store

log = logging.getLogger(__name__)

OWNER = f"{socket.gethostname()}:{os.getpid()}"[:64]  # as the delivery ledger names it
MINUTE = timedelta(minutes=1)
KEEP = timedelta(hours=1)  # claims only matter within their minute; an hour to look into


@dataclass(frozen=True)
class ClaimStats:
    """What one minute's claim found and cost (benchmarks/tick.py prints it)."""

    minute: datetime
    processes: int  # the processes counted as sharing the minute, this one included
    asked: int  # teams at this process's positions
    got: int  # of those, claimed by this process
    cpu: float  # seconds of this thread's CPU
    wall: float


class TickClaims:
    """One process's share of each minute's teams."""

    def __init__(self, owner: str = OWNER) -> None:
        self.owner = owner[:64]
        self.last: ClaimStats | None = None
        self._pruned: datetime | None = None

    def join(self, deps: Deps) -> None:
        """Be counted from now on (at start: the others leave this process its share from
        their next minute on, before its first tick has claimed anything)."""
        now = deps.clock.now()
        with deps.sessions() as session:
            store.take(session, minute=_minute(now), units=[self._me], owner=self.owner,
                       now=now)

    def share(self, deps: Deps, minute: datetime, team_ids: Sequence[int]) -> set[int]:
        """The teams of `team_ids` this process works in `minute`."""
        cpu, wall, now = time.thread_time(), time.perf_counter(), deps.clock.now()
        with deps.sessions() as session:  # committed first: the others must see it to count
            store.take(session, minute=minute, units=[self._me], owner=self.owner, now=now)
        with deps.sessions() as session:
            owners = store.owners_between(session, first=minute - MINUTE, last=minute)
            if self.owner not in owners:  # pruned meanwhile by a clock far ahead: still here
                owners = sorted([*owners, self.owner])
            place, count = owners.index(self.owner), len(owners)
            asked = [team for i, team in enumerate(sorted(team_ids)) if i % count == place]
            got = store.take(session, minute=minute, units=[f"team:{t}" for t in asked],
                             owner=self.owner, now=now)
        if self._pruned is None or minute - self._pruned >= KEEP:
            with deps.sessions() as session:
                store.prune(session, before=minute - KEEP)
            self._pruned = minute
        mine = {int(unit.removeprefix("team:")) for unit in got}
        self.last = ClaimStats(minute, count, len(asked), len(mine),
                               time.thread_time() - cpu, time.perf_counter() - wall)
        log.debug("tick %s: %d process(es); %d of %d team(s) are this one's", minute, count,
                  len(mine), len(team_ids))
        return mine

    @property
    def _me(self) -> str:
        return f"process:{self.owner}"


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)
