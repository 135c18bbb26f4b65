"""What one scheduler tick costs as the number of teams grows (issue 15).

Seeds N teams of 20 reps and a manager (benchmarks/seed.py: a month of logs, bulk inserts)
into a fresh SQLite file or a PostgreSQL database of its own, every profile known (no
users.info). The ledger is then filled as a running bot's earlier ticks left it: every job is
run at the moments its messages fell due, and what each would have sent (or given up) is
written to the ledger in bulk, no message built (the ledger, not the text, is what a later
tick reads). Then it
times a whole tick — every job of bot/jobs/registry.py once, as the scheduler runs them — at
two moments:

  idle      Tuesday 2026-11-17 15:17 Shanghai (07:17 UTC): nothing new is due (outside the
            alerts' windows too); every job still asks what is owed
  friday    Friday 2026-11-20 17:30 Shanghai (09:30 UTC): the brief (15:00) and the Friday
            report (17:00) are within their catch-up window, so every rep's keys are checked

and prints CPU (this process) and wall time of each, the number of SQL statements, beside a
floor measured in the same run: the bare queries that build every team's information (teams,
members with their zones, days off: three joined reads) and a read of the ledger's sent keys.
A tick is run in a fresh process's state ("cold": a new Deps, as after a restart: no delivery
key and no profile in memory) and again ("warm": the process remembers final delivery keys and
profiles, as `pacer run` does between ticks). As `pacer run`, the process freezes what is
alive out of the cycle collector's reach when it has started and after its first tick
(bot/jobs/scheduler.py FirstTick).

Memory (benchmarks/memory.py): the RSS of a fresh process step by step through what `pacer
run` does: its modules imported; started (migrations checked, the Bolt app and its server
built: idle); after an idle tick over the benchmark's teams; after a chart was drawn
(matplotlib and numpy loaded). Then that of `pacer run` itself over these teams, idle once its
first tick is done.

    .venv/bin/python benchmarks/tick.py --teams 50
    .venv/bin/python benchmarks/tick.py --teams 2000 --db pg   # PACER_TEST_POSTGRES_URL's server

PostgreSQL: a database `bench15_<N>` is created on the server of PACER_TEST_POSTGRES_URL (or
DATABASE_URL) and dropped afterwards (--keep keeps it, and a later run with --keep reuses it);
--name PREFIX names it `PREFIX_<N>` instead (runs on one server that must not share one).

Several processes (--processes N, PostgreSQL; its database is `bench15_<N>_procs`): for 1, 2
... N real processes, each a fresh process that claims its share of the minute as `pacer run`'s
scheduler does (bot/services/tick_claims.py), all told to tick at the same moment once every
one is counted. Each has first ticked at a moment before the teams existed (nothing due,
nothing written), as a process that has been running a while has imported and cached what a
tick needs; --fresh times each fresh process's very first tick instead. Printed: each
process's CPU and wall of its tick, its teams, its claim step's cost, the wall until all were
done, and the total CPU against the one-process run. Before
each run the ledger is set back to what the warm-up left (the tick's sends deleted) and the
claims are emptied, so every run does the same work, cold.

    .venv/bin/python benchmarks/tick.py --teams 500 --db pg --processes 3
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, event, func, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.memory import process_idle, step_figures  # noqa: E402
from benchmarks.seed import REPS_PER_TEAM, seed  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.jobs import outbox  # noqa: E402
from bot.jobs.scheduler import FirstTick, tick_all  # noqa: E402
from bot.services.teams import SharedTick  # noqa: E402
from bot.services.tick_claims import TickClaims  # noqa: E402
from store import db  # noqa: E402
from store.models import Delivery, Member, Team, TeamHoliday, TeamMember, TickClaim  # noqa: E402

END = datetime(2026, 11, 20, tzinfo=UTC).date()  # a month of logs up to Friday 20 November
IDLE = datetime(2026, 11, 17, 7, 17, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
# The moments the ledger is filled at (what earlier ticks sent): the month's first working
# mornings, each working day's check-in, the hour before each timed moment, Friday's brief
# and report.
WARM_UP = (datetime(2026, 11, 2, 1, 0, tzinfo=UTC), datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
           datetime(2026, 11, 16, 2, 0, tzinfo=UTC),
           datetime(2026, 11, 17, 2, 0, tzinfo=UTC), datetime(2026, 11, 17, 7, 0, tzinfo=UTC),
           datetime(2026, 11, 18, 2, 0, tzinfo=UTC),
           datetime(2026, 11, 20, 2, 0, tzinfo=UTC), datetime(2026, 11, 20, 7, 5, tzinfo=UTC),
           datetime(2026, 11, 20, 9, 5, tzinfo=UTC))


class StubSlack:
    """Slack as far as a tick needs it, in process: every call succeeds at once."""

    token = "xoxb-bench"

    def __init__(self) -> None:
        self.calls = 0
        self._ts = 0

    def conversations_open(self, *, users: str, **_: object) -> dict:
        self.calls += 1
        return {"ok": True, "channel": {"id": "D" + users}}

    def chat_postMessage(self, *, channel: str, **_: object) -> dict:  # noqa: N802
        self.calls += 1
        self._ts += 1
        return {"ok": True, "channel": channel, "ts": f"1763000000.{self._ts:06d}"}

    def __getattr__(self, name: str):  # noqa: ANN204 - anything else: ok
        def call(*_: object, **__: object) -> dict:
            self.calls += 1
            return {"ok": True, "user": {"tz": "Asia/Shanghai", "locale": "en-US"},
                    "bot_id": "B0BENCH", "messages": [], "has_more": False}
        return call


class Recorder:
    """outbox.deliver for the warm-up: what a tick would have claimed and sent (or given up)
    is recorded as such, in bulk, without building a message or a transaction per message:
    the ledger, not the text, is what a later tick reads."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def __call__(self, deps: Deps, client: object, due: outbox.Due, *, now: datetime,
                 answered: bool, message: object, result: outbox.RunResult,
                 catch_up: timedelta = outbox.CATCH_UP) -> None:
        if answered or due.key in self.rows:
            return
        late = now - due.due_at > catch_up
        if late and due.due_at < due.team.created_at:
            return
        row = due.ledger()
        row.update(status="gave_up" if late else "sent", attempts=0 if late else 1,
                   claimed_by="bench", claimed_at=now, due_at=due.due_at.astimezone(UTC),
                   sent_at=None if late else now,
                   channel=None if late else (due.channel or "D" + due.user_id),
                   ts=None if late else "1763000000.000001", last_error="")
        self.rows[due.key] = row
        result.sent += 0 if late else 1

    def flush(self, engine: Engine) -> int:
        known = set()
        with engine.connect() as conn:
            known = set(conn.execute(select(Delivery.key)).scalars())
        fresh = [row for key, row in self.rows.items() if key not in known]
        with engine.begin() as conn:
            for i in range(0, len(fresh), 5_000):
                conn.execute(Delivery.__table__.insert(), fresh[i:i + 5_000])
        self.rows.clear()
        return len(fresh)


@dataclass
class Figure:
    cpu: float
    wall: float
    statements: int
    sent: dict[str, int] | None = None  # messages a tick sent, by job


def count_statements(engine: Engine) -> list[int]:
    counter = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        counter[0] += 1
    return counter


def run_tick(deps: Deps, now: datetime, counter: list[int], first: FirstTick) -> Figure:
    """Every job once at `now`, sharing the teams' information as the scheduler does, and
    counted as `pacer run` counts its first tick (after it, long-lived objects are frozen)."""
    deps.clock = FixedClock(now)
    before, cpu, wall = counter[0], time.process_time(), time.perf_counter()
    results = tick_all(deps, first_tick=first)
    figure = Figure(time.process_time() - cpu, time.perf_counter() - wall, counter[0] - before)
    figure.sent = {name: r.sent for name, r in results.items() if r and r.sent}
    return figure


def floor(engine: Engine, counter: list[int]) -> Figure:
    """The bare reads a tick cannot do without: every team, its people with their stored
    zones, its days off, and the ledger's sent keys of the week."""
    before, cpu, wall = counter[0], time.process_time(), time.perf_counter()
    with engine.connect() as conn:
        conn.execute(select(Team.__table__)).all()
        conn.execute(select(TeamMember.team_id, TeamMember.is_manager, Member.user_id,
                            Member.tz, Member.tz_override)
                     .join(Member, Member.id == TeamMember.member_id)).all()
        conn.execute(select(TeamHoliday.__table__)).all()
        conn.execute(select(Delivery.key).where(
            Delivery.status == "sent", Delivery.due_at >= FRIDAY - timedelta(days=7))).all()
    return Figure(time.process_time() - cpu, time.perf_counter() - wall, counter[0] - before)


def prepare(url: str, n_teams: int) -> float:
    started = time.perf_counter()
    engine = db.make_engine(url)
    db.upgrade(engine)
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(Team)).scalar():
            engine.dispose()
            return 0.0  # a kept database, seeded before
    seed(engine, reps=n_teams * REPS_PER_TEAM, days=30, end=END)
    with engine.begin() as conn:
        conn.execute(update(Team).values(tz="Asia/Shanghai", holiday_country=None))
        conn.execute(update(Member).values(tz="Asia/Shanghai", locale="en-US",
                                           profile_checked_at=FRIDAY))
    engine.dispose()
    return time.perf_counter() - started


def fill_ledger(deps: Deps) -> tuple[float, int]:
    """Every job once at each warm-up moment: the ledger as earlier ticks left it."""
    started = time.perf_counter()
    original, recorder, patched, rows = outbox.deliver, Recorder(), [], 0
    for name, module in list(sys.modules.items()):
        if (name.startswith("bot.jobs.") and name != "bot.jobs.outbox"
                and getattr(module, "deliver", None) is original):
            patched.append(module)
            module.deliver = recorder
    try:
        for at in WARM_UP:
            deps.clock = FixedClock(at)
            tick_all(deps)
            rows += recorder.flush(deps.engine)
    finally:
        for module in patched:
            module.deliver = original
    deps.final_keys().clear()
    return time.perf_counter() - started, rows


def bench_deps(url: str, now: datetime) -> tuple[Deps, StubSlack]:
    settings = Settings(database_url=url, bot_token="xoxb-bench", signing_secret="x",
                        slack_api_url="http://127.0.0.1:9/api/")
    deps = Deps.build(settings, clock=FixedClock(now))
    slack = StubSlack()
    deps._clients.update({ws: slack for ws in ("T0BENCH",)})
    return deps, slack


# A moment before every team was created: a tick there runs every job's code over the
# process's teams and finds nothing due (nothing is written), as a process that has been
# ticking for a while has imported, compiled and cached what a tick needs.
SETTLE = datetime(2020, 1, 6, 1, 0, tzinfo=UTC)


def worker(url: str, at: str, fresh: str) -> None:
    """One of --processes' processes: (unless `fresh`) tick once before the teams existed,
    as a process that has run for a while; be counted, wait for the go, tick once claiming
    this process's share, print what it cost (one JSON line)."""
    import json
    deps, slack = bench_deps(url, SETTLE)
    settle, first = time.process_time(), FirstTick().start()  # as `pacer run` starts
    if fresh != "fresh":
        tick_all(deps, first_tick=first)  # every team (unclaimed): every code path met
        deps.final_keys().clear()
    shared = SharedTick(TickClaims())
    settle = time.process_time() - settle
    deps.clock = FixedClock(datetime.fromisoformat(at))
    shared.claims.join(deps)
    print("ready", flush=True)
    sys.stdin.readline()
    cpu, wall = time.process_time(), time.perf_counter()
    results = tick_all(deps, shared, first)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    claim = shared.claims.last
    print(json.dumps({"cpu": cpu, "wall": wall, "teams": len(shared.mine),
                      "sent": sum(r.sent for r in results.values() if r),
                      "failed": sum(1 if r is None else r.failed for r in results.values()),
                      "slack": slack.calls, "claim_cpu": claim.cpu, "claim_wall": claim.wall,
                      "counted": claim.processes, "settle": settle}), flush=True)
    deps.engine.dispose()


def run_processes(url: str, engine: Engine, at: datetime, n: int,
                  fresh: bool) -> tuple[float, list[dict]]:
    """n fresh processes tick at `at` together, on a ledger set back to the warm-up's."""
    import json
    with engine.begin() as conn:
        conn.execute(Delivery.__table__.delete().where(Delivery.claimed_by != "bench"))
        conn.execute(TickClaim.__table__.delete())
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", url, at.isoformat(),
                               "fresh" if fresh else "settled"],
                              cwd=ROOT, text=True, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE) for _ in range(n)]
    try:
        for proc in procs:  # every process counted before any claims
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit("a tick process did not start")
        started = time.perf_counter()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outs = [json.loads(proc.communicate()[0].splitlines()[-1]) for proc in procs]
        return time.perf_counter() - started, outs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def processes_figures(url: str, n: int, fresh: bool) -> None:
    engine = db.make_engine(url)
    state = "fresh processes" if fresh else "settled processes"
    try:
        for name, now in (("idle", IDLE), ("friday 17:30", FRIDAY)):
            single = None
            for k in range(1, n + 1):
                wall, outs = run_processes(url, engine, now, k, fresh)
                total = sum(o["cpu"] for o in outs)
                single = single if single is not None else total
                each = ", ".join(
                    f"CPU {o['cpu']:.2f} s wall {o['wall']:.2f} s {o['teams']} teams "
                    f"(claim {o['claim_cpu'] * 1000:.0f} ms CPU, {o['claim_wall'] * 1000:.0f} ms)"
                    for o in outs)
                print(f"  {name:<12} tick, {k} process(es) ({state}, cold ledger): wall "
                      f"until all done "
                      f"{wall:6.2f} s; total CPU {total:6.2f} s = {total / single:.2f}x the "
                      f"1-process run; sent {sum(o['sent'] for o in outs)}, failed "
                      f"{sum(o['failed'] for o in outs)}; each: {each}", flush=True)
    finally:
        engine.dispose()


def database(kind: str, n_teams: int, keep: bool, suffix: str = "",
             prefix: str = "bench15") -> tuple[str, str, object]:
    if kind == "sqlite":
        path = Path(tempfile.gettempdir()) / f"pacer-tick-{n_teams}.db"
        if not keep and path.exists():
            path.unlink()
        return f"sqlite:///{path}", f"SQLite {path}", None
    base = os.environ.get("PACER_TEST_POSTGRES_URL") or os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        raise SystemExit("--db pg needs PACER_TEST_POSTGRES_URL (or DATABASE_URL)")
    admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{n_teams}{suffix}"
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).first()
        if exists and not keep:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or not keep:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db.normalise_url(base)).set(database=name)
    return url.render_as_string(hide_password=False), f"PostgreSQL {name}", admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--db", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--keep", action="store_true",
                        help="keep (and reuse) the seeded database")
    parser.add_argument("--processes", type=int, default=0,
                        help="also tick with 1..N real processes sharing the minute (pg)")
    parser.add_argument("--fresh", action="store_true",
                        help="with --processes: time each process's first tick (imports, "
                             "caches and all) instead of a settled process's")
    parser.add_argument("--processes-only", action="store_true",
                        help="with --processes: skip this process's own ticks and the memory "
                             "figures (a kept database, a second look)")
    parser.add_argument("--name", default="bench15",
                        help="PostgreSQL: the database is NAME_<teams>")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)  # url, moment, fresh
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the warm-up gives up on old alerts, loudly
    if args.worker:
        worker(*args.worker)
        return
    if args.processes and args.db != "pg":
        raise SystemExit("--processes needs --db pg: processes share a tick on PostgreSQL")
    suffix = "_procs" if args.processes else ""
    url, label, admin = database(args.db, args.teams, args.keep, suffix, args.name)
    try:
        seeded = prepare(url, args.teams)
        load = os.getloadavg()
        print(f"{label}: {args.teams} teams x {REPS_PER_TEAM} reps, a month of logs "
              f"(seeded in {seeded:.0f} s); {os.cpu_count()} CPUs, load "
              f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
        deps, slack = bench_deps(url, WARM_UP[0])
        with deps.engine.connect() as conn:
            kept = conn.execute(select(func.count()).select_from(Delivery)).scalar()
        if kept and args.keep:
            print(f"  ledger kept from a run before: {kept} deliveries", flush=True)
        else:
            took, rows = fill_ledger(deps)
            print(f"  ledger filled as earlier ticks left it: {rows} deliveries in {took:.0f} s",
                  flush=True)
        if args.processes and args.processes_only:
            deps.engine.dispose()
            processes_figures(url, args.processes, args.fresh)
            return
        counter = count_statements(deps.engine)
        base = floor(deps.engine, counter)
        print(f"  floor (team info reads + the week's sent keys): CPU {base.cpu:.2f} s, wall "
              f"{base.wall:.2f} s, {base.statements} statements", flush=True)
        for name, now in (("idle", IDLE), ("friday 17:30", FRIDAY)):
            for state in ("cold", "warm"):
                if state == "cold":  # a restarted process: no keys, no profiles in memory
                    deps.engine.dispose()
                    gc.unfreeze()  # nor anything frozen after a first tick
                    del deps
                    gc.collect()
                    deps, slack = bench_deps(url, now)
                    counter = count_statements(deps.engine)
                    first = FirstTick().start()  # as `pacer run` starts (not timed)
                calls = slack.calls
                fig = run_tick(deps, now, counter, first)
                print(f"  {name:<12} tick, {state}: CPU {fig.cpu:6.2f} s, wall {fig.wall:6.2f} s,"
                      f" {fig.statements:7d} statements, {slack.calls - calls} Slack calls; "
                      f"CPU {fig.cpu / max(base.cpu, 1e-3):.0f}x the floor"
                      + (f"; sent {fig.sent}" if fig.sent else "")
                      + f"; {len(deps.final_keys())} final keys remembered", flush=True)
        deps.engine.dispose()
        if args.processes:
            processes_figures(url, args.processes, args.fresh)
        print(f"  RSS of a fresh process going through what `pacer run` does over these teams "
              f"(benchmarks/memory.py): {step_figures(url)}", flush=True)
        print(f"  RSS of `pacer run` itself over these teams: {process_idle(url):.0f} MiB idle "
              f"(started, its first tick done); this benchmark's process peaked at "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        if admin is not None:
            if not args.keep:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{args.name}_{args.teams}{suffix}" '
                                      "WITH (FORCE)"))
            admin.dispose()


if __name__ == "__main__":
    main()
