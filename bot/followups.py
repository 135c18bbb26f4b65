"""/log's follow-ups after the ack (handlers/log.py: confirm) run on a small pool of their
own; here so the console and the tests can wait for it as they wait for Bolt's listener pool."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for

from bot.logs import with_context

log = logging.getLogger(__name__)


class FollowUps:
    """/log's follow-ups: a small pool of their own, not Bolt's listener pool. Why:
    - the acks come first. Under a burst, the follow-ups would otherwise take a good share of
      the CPU and the GIL from the threads answering Slack within its 3 seconds; on THREADS
      threads they queue instead, and the confirmations trail the burst by as much (their
      response_url stays good 30 minutes);
    - a slow Slack answering response_url holds these threads only, never a listener thread
      an ack needs.
    The follow-ups queued together run together (one transaction for them all: cheaper per
    log than one each), and while acks keep coming they wait (at most DEFER), so a burst's
    acks do not share the CPU and SQLite's one writer with its follow-ups; a slow Slack
    answering one confirmation holds the others taken with it (each runner sends in order).
    Bounded threads, unbounded queue: each item is a few ids, and the database, not this
    queue, is what keeps a log (a process that dies with items queued leaves rows the
    `log-followups` job settles). At a normal exit the queue is worked off first
    (concurrent.futures joins its threads); `wait` lets tests and the console see it done."""

    THREADS = 2
    # The most follow-ups one runner takes at once. A batch's statements are mostly the
    # same whatever its size, so each log's share falls as it grows: about 0.75 ms of CPU a
    # log in batches of 16, 0.5 ms in batches of 64 (after a burst of 3,000 /logs).
    BATCH = 64
    BURST_BATCH = 16  # ... while acks keep coming: SQLite's one writer is not held long
    # Seconds: two acks within it are a burst; none for as long, and the burst is over. Not
    # shorter: a pause of some tens of ms within a burst (a group commit that slow, say:
    # bot/services/log_writes.py) let runners take whole batches while acks came, and
    # /log's p99 rose by half.
    QUIET = 0.1
    # Seconds: under a burst, the longest a follow-up waits for it to end. Below the repair's
    # grace (bot/jobs/log_followups.py: GRACE), so that another process's repair does not
    # take a log queued here, whose confirmation needs what settling it finds.
    DEFER = 4.0

    def __init__(self) -> None:
        self._pool: Executor | None = None
        self._pending: set[Future] = set()
        self._queue: deque[tuple[object, Callable[..., None], tuple, object, float]] = deque()
        self._busy: set[object] = set()  # the people whose follow-ups a runner has in hand
        self._runners = 0
        self._settling: set[object] = set()  # the logs queued follow-ups will settle
        self._lock = threading.Lock()
        self._last = 0.0  # when the latest follow-up was submitted (its ack just went out)
        self._previous = 0.0  # ... and the one before it

    def submit(self, key: object, fn: Callable[..., None], /, *args: object,
               settles: object = None) -> None:
        """Owe `fn` the follow-up `args`. A runner takes every follow-up queued (up to
        BATCH) of the people no other runner has in hand, and calls each `fn` once with the
        list of their `args`, in the order submitted: so the follow-ups queued together
        share one transaction (handlers/log.py: confirm), and one person's (`key`) still run
        one after the other, in order, on one thread. The acks come first: while they keep
        coming (a burst), a follow-up waits up to DEFER for a QUIET moment. `settles`: the
        log it will settle, which the `log-followups` repair then leaves to it (see
        `settling`)."""
        with self._lock:
            if settles is not None:
                self._settling.add(settles)
            self._previous, self._last = self._last, time.monotonic()
            self._queue.append((key, fn, args, settles, self._last))
            if self._runners >= self.THREADS:
                return  # a runner takes it when done with what it has
            self._runners += 1
            if self._pool is None:
                self._pool = with_context(ThreadPoolExecutor(
                    max_workers=self.THREADS, thread_name_prefix="log-follow-up"))
            future = self._pool.submit(self._run)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _take(self, queued_before: float | None
              ) -> tuple[list[tuple[object, Callable[..., None], tuple, object, float]], bool]:
        """Under the lock: the queued follow-ups of the people no other runner holds (those
        stay queued, in order, for the runner that holds them), a share of them: the other
        runners take the rest, and their confirmations go out beside this one's. With
        `queued_before`, only those queued before it. Also: whether any is left to take."""
        most = self.BATCH if queued_before is None else self.BURST_BATCH
        share = min(most, -(-len(self._queue) // self.THREADS))
        held, taken, left, waiting = set(self._busy), [], [], False
        queue = self._queue
        # The queue is in the order submitted, so the first item too young to take has only
        # younger ones behind it, and once the share is taken the rest stay: the scan stops
        # there. (Under a burst the queue holds seconds of acks, and each runner looks at it
        # every QUIET: going through all of it each time cost about 0.2 ms of CPU per /log.)
        while queue and len(taken) < share:
            item = queue.popleft()
            if item[0] in held:
                left.append(item)
            elif queued_before is not None and item[4] > queued_before:
                queue.appendleft(item)  # its person's later ones are younger still
                waiting = True
                break
            else:
                taken.append(item)
                self._busy.add(item[0])
        queue.extendleft(reversed(left))
        return taken, waiting

    def _next(self) -> list[tuple[object, Callable[..., None], tuple, object, float]]:
        """Under the lock: the next follow-ups to run (none: this runner is done). While
        acks keep coming, only those that waited DEFER; the rest once it is QUIET."""
        while True:
            now = time.monotonic()
            # The latest two acks within QUIET: a burst (a lone /log is confirmed at once).
            burst = now - self._previous < self.QUIET
            batch, waiting = self._take(now - self.DEFER if burst else None)
            if batch or not waiting:
                return batch
            self._lock.release()
            try:
                time.sleep(self.QUIET)
            finally:
                self._lock.acquire()

    def _run(self) -> None:
        while True:
            with self._lock:
                batch = self._next()
                if not batch:
                    self._runners -= 1
                    return
            try:
                calls: dict[Callable[..., None], list[tuple]] = {}
                for _, fn, args, _, _ in batch:
                    calls.setdefault(fn, []).append(args)
                for fn, items in calls.items():
                    try:
                        fn(items)
                    except Exception:  # noqa: BLE001 - the next follow-ups still run
                        log.exception("a /log follow-up failed")
            finally:
                with self._lock:
                    for key, _, _, settles, _ in batch:
                        self._busy.discard(key)
                        self._settling.discard(settles)

    def settling(self) -> frozenset[object]:
        """The logs whose follow-ups are queued or running in this process. Under a burst
        they trail the acks by more than the repair's grace: the repair settled them first,
        and their confirmations then lacked the customer note (it is the follow-up's)."""
        with self._lock:
            return frozenset(self._settling)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait(self, timeout: float = 10.0) -> None:
        """Until every follow-up submitted so far is done (or `timeout`)."""
        with self._lock:
            pending = list(self._pending)
        wait_for(pending, timeout=timeout)


FOLLOW_UPS = FollowUps()
