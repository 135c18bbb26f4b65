"""Time export, forget and the retention sweep on a large database (benchmarks/seed.py's year
of 1,000 reps, every log given a note), on SQLite and, with DATABASE_URL, PostgreSQL.

    .venv/bin/python benchmarks/privacy.py [--reps N] [--days D]

While each step runs, a probe writes one audit row per transaction every 20 ms, as /log
would, and the longest of those writes is printed: on SQLite (one writer) that is how long a
/log could stall behind forget or the retention sweep.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import String, cast, create_engine, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.seed import WORKSPACE, seed, user_id  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.privacy import blank_old_text, export_member, forget_member  # noqa: E402
from store import audit, db  # noqa: E402
from store import privacy as store  # noqa: E402
from store.models import Activity  # noqa: E402

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class Probe:
    """Another writer: one small transaction every 20 ms; the slowest one is the stall."""

    def __init__(self, deps: Deps) -> None:
        self.deps, self.worst, self._stop = deps, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            started = time.perf_counter()
            with self.deps.sessions() as session:
                audit.record(session, workspace_id=WORKSPACE, actor_user_id="UPROBE",
                             action="probe", outcome="done", now=NOW)
            self.worst = max(self.worst, time.perf_counter() - started)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(deps: Deps, label: str, fn: Callable[[], object],
          describe: Callable[[object], str]) -> None:
    with Probe(deps) as probe:
        started = time.perf_counter()
        result = fn()
        took = time.perf_counter() - started
    print(f"  {label:<44} {took * 1000:7.0f} ms, longest other write {probe.worst * 1000:5.0f}"
          f" ms  {describe(result)}", flush=True)


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        run(f"sqlite:///{path}", f"SQLite {path}", args.reps, args.days)
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql")):
        admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
        name = f"pacer_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(db.normalise_url(base)).set(database=name)
            run(url.render_as_string(hide_password=False), f"PostgreSQL {name}", args.reps,
                args.days)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
