"""Time export, forget and the retention sweep on a large database (benchmarks/seed.py's year
of 1,000 reps, every log given a note), on SQLite and, with DATABASE_URL, PostgreSQL.

    .venv/bin/python benchmarks/privacy.py [--reps N] [--days D]

While each step runs, a probe writes one audit row per transaction every 20 ms, as /log
would, and the longest of those writes is printed: on SQLite (one writer) that is how long a
/log could stall behind forget or the retention sweep.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path

from sqlalchemy import String, cast, text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.seed import WORKSPACE, on_each_database, seed, user_id  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.services.privacy import blank_old_text, export_member, forget_member  # noqa: E402
from store import audit, db  # noqa: E402
from store import personal_data as store  # noqa: E402
from store.models import Activity  # noqa: E402

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _probe(url: str, stop: Event, worst: Synchronized) -> None:
    deps = Deps.build(Settings(database_url=url), clock=FixedClock(NOW))
    while not stop.wait(0.02):
        started = time.perf_counter()
        with deps.sessions() as session:
            audit.record(session, workspace_id=WORKSPACE, actor_user_id="UPROBE",
                         action="probe", outcome="done", now=NOW)
        worst.value = max(worst.value, time.perf_counter() - started)


class Probe:
    """Another writer, in its own process (so this one's GIL cannot slow it): one small
    transaction every 20 ms; the slowest is how long a /log could have waited."""

    def __init__(self, url: str) -> None:
        self._stop, self.worst = multiprocessing.Event(), multiprocessing.Value("d", 0.0)
        self._process = multiprocessing.Process(target=_probe,
                                                args=(url, self._stop, self.worst))

    def __enter__(self) -> Probe:
        self._process.start()
        time.sleep(1.0)  # connected and writing before the step starts
        self.worst.value = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join()


def timed(deps: Deps, label: str, fn: Callable[[], object],
          describe: Callable[[object], str]) -> None:
    with Probe(deps.settings.database_url) as probe:
        started = time.perf_counter()
        result = fn()
        took = time.perf_counter() - started
    worst = probe.worst.value * 1000
    print(f"  {label:<44} {took * 1000:7.0f} ms, longest other write {worst:5.0f} ms  "
          f"{describe(result)}", flush=True)


def run(url: str, label: str, reps: int, days: int) -> None:
    print(f"\n== {label}: {reps} reps, {days} days", flush=True)
    engine = db.make_engine(url)
    db.upgrade(engine)
    counts = seed(engine, reps=reps, days=days, end=NOW.date())
    with engine.begin() as conn:  # every log gets a note, the worst case for the sweeps
        table = Activity.__table__
        conn.execute(update(table).values(note="note of log " + cast(table.c.id, String)))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    print(f"  seeded {counts.activities:,} logs with notes, {counts.customers:,} customers",
          flush=True)
    deps = Deps.build(Settings(database_url=url, secret_key="bench"), clock=FixedClock(NOW),
                      engine=engine)
    rep = user_id(1, 3)
    timed(deps, "export one rep (JSON-ready data)",
          lambda: export_member(deps, workspace_id=WORKSPACE, user_id=rep),
          lambda r: f"{sum(len(v) for v in r['tables'].values()):,} rows")
    timed(deps, "forget one rep: dry run (done, rolled back)",
          lambda: forget_member(deps, workspace_id=WORKSPACE, user_id=rep, apply=False),
          lambda r: f"{sum(r.done.rekeyed.values()):,} rows")
    timed(deps, "forget one rep",
          lambda: forget_member(deps, workspace_id=WORKSPACE, user_id=rep, apply=True),
          lambda r: f"{sum(r.done.rekeyed.values()):,} rows re-keyed")
    with deps.sessions() as session:
        store.set_retention(session, workspace_id=WORKSPACE, days=180)
        setting = store.retention(session, workspace_id=WORKSPACE)

    def sweep() -> int:
        return sum(blank_old_text(deps, setting, NOW).values())

    timed(deps, "retention 180 days, first run", sweep, lambda n: f"{n:,} blanked")
    timed(deps, "retention again, nothing left to blank", sweep, lambda n: f"{n:,} blanked")
    engine.dispose()


def main() -> None:
    on_each_database(run, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
