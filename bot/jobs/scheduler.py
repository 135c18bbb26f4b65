"""When things run: APScheduler 3.x only ticks each job of bot/jobs/registry.py; the job
decides what is due.

Every runnable job gets its own interval job, so a slow one (Slack rate-limiting its posts)
never holds the others up. A tick that fires late or piles up collapses into one run
(coalesce, max_instances=1); nothing is lost that way, because each run asks the ledger what
is still owed rather than remembering what it did. The jobs of one minute share the teams'
information (bot/services/teams.py: SharedTick), built by the first of them.

Several `pacer run` processes on one database split each minute's teams: the first job of a
minute claims this process's share (bot/services/tick_claims.py), and every job of the minute
works only those teams. Only the scheduler claims; `tick_all` and `run_job` work every team
unless given a claiming SharedTick.

Once every job has run once (`FirstTick`: `pacer run`'s scheduler, and benchmarks/tick.py
through `tick_all`), what the process holds then is frozen out of the cycle collector's reach.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import logs
from bot.deps import Deps
from bot.jobs import registry as jobs
from bot.services.teams import SharedTick, shared_tick
from bot.services.tick_claims import TickClaims

log = logging.getLogger(__name__)

TICK = timedelta(minutes=1)


YOUNG_COLLECTION = 10_000  # allocations between young collections, once started


class FirstTick:
    """What is alive once the process has started (imported modules, the app, SQLAlchemy's
    caches), and again once every job has run once (the remembered final delivery keys and
    profiles, hundreds of thousands of entries at 2,000 teams), is long-lived: `gc.freeze()`
    moves it out of reach of the cycle collector, whose full collections otherwise walked all
    of it about once a warm tick (0.1 s of a 0.8 s idle tick at 500 teams, benchmarks/tick.py)
    and six times in the first (0.65 s of 2.9 s). A collection first, so no garbage is frozen.
    Frozen objects are still freed when their last reference goes (a profile or team
    information replaced later); only a reference cycle among them is never collected, which
    long-lived objects rarely are. Young objects are collected every YOUNG_COLLECTION
    allocations, not 700: a tick's short-lived rows and results made 120 collections of them
    at 500 teams (0.03 s of a 0.6 s tick), 5 so; what waits for a collection stays small."""

    def __init__(self, names: Iterable[str] | None = None) -> None:
        self._left = set(names if names is not None else (job.name for job in jobs.runnable()))
        self._lock = threading.Lock()

    @property
    def over(self) -> bool:
        return not self._left

    def start(self) -> FirstTick:
        """The process has started, before its first tick (Scheduler.start)."""
        _freeze("started")
        return self

    def ran(self, name: str) -> None:
        """Job `name` has run (done or failed); after the last of the first tick's, freeze."""
        with self._lock:
            if not self._left:
                return
            self._left.discard(name)
            if self._left:
                return
        _freeze("first tick over")


def _freeze(when: str) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])
    log.info("%s: %d long-lived objects kept from the cycle collector", when,
             gc.get_freeze_count())


class Scheduler:
    def __init__(self, deps: Deps, *, tick: timedelta = TICK,
                 claims: TickClaims | None = None, first_tick: FirstTick | None = None) -> None:
        """`first_tick`: freeze what is alive at the start and after the first tick (`pacer
        run`); tests leave it out."""
        self.deps = deps
        self.first_tick = first_tick
        self.tick_every = tick
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": max(1, int(tick.total_seconds()))})
        self.shared = SharedTick(claims or TickClaims())

    def tick(self, name: str) -> jobs.RunResult | None:
        """One job, once, at the injected clock's now. Never raises: a scheduler thread
        that dies would stop every later tick."""
        result = run_once(self.deps, name, self.shared)
        if self.first_tick is not None:
            self.first_tick.ran(name)
        return result

    def start(self) -> Scheduler:
        if self.first_tick is not None:
            self.first_tick.start()
        try:  # counted by the other processes from their next minute on
            self.shared.claims.join(self.deps)
        except Exception:  # noqa: BLE001 - the first tick claims (and says it) anyway
            log.exception("could not announce this process to the others sharing the ticks")
        for job in jobs.runnable():
            # First run right away: catching up on what was missed while down comes first.
            # (APScheduler fires on wall-clock time; the job itself reads deps.clock.)
            self._scheduler.add_job(
                self.tick, IntervalTrigger(seconds=self.tick_every.total_seconds()),
                args=[job.name], id=job.name, name=job.name,
                next_run_time=datetime.now(UTC), replace_existing=True)
        self._scheduler.start()
        log.info("scheduler started: %s every %s", ", ".join(j.name for j in jobs.runnable()),
                 self.tick_every)
        return self

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def job_ids(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()]

    def shutdown(self, wait: bool = True) -> None:
        """Stop ticking; with wait, let a run in progress finish its current deliveries."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
            log.info("scheduler stopped")


def run_once(deps: Deps, name: str, shared: SharedTick) -> jobs.RunResult | None:
    """One job of a tick at the clock's now, reading the tick's shared team information.
    Never raises (logged; the next tick tries again)."""
    with logs.request_context(logs.new_id("run-")):  # on every line the run writes
        try:
            with shared_tick(shared):
                return jobs.run_job(deps, name, now=deps.clock.now())
        except Exception:  # noqa: BLE001 - logged; the next tick tries again
            log.exception("scheduled job %s failed", name)
            return None


def tick_all(deps: Deps, shared: SharedTick | None = None,
             first_tick: FirstTick | None = None) -> dict[str, jobs.RunResult | None]:
    """Every job once, one after the other, as one tick at the clock's now, sharing the
    teams' information as the scheduler's threads do (benchmarks/tick.py, tests); with
    `first_tick`, counted as `pacer run`'s scheduler counts its jobs' runs."""
    shared = shared or SharedTick()
    results = {}
    for job in jobs.runnable():
        results[job.name] = run_once(deps, job.name, shared)
        if first_tick is not None:
            first_tick.ran(job.name)
    return results
