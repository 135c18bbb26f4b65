"""What `pacer run` holds in memory (issue 15): its RSS idle and after load, SQLite or PostgreSQL.

Two views, each a fresh process:

  steps    a process going step by step through what `pacer run` does, its RSS read after each:
           its modules imported; started (migrations checked, the Bolt app and its waitress
           server built: idle); after one idle tick over the database's teams (the clock at
           Tuesday 2026-11-17 07:17 UTC, nothing due); after a chart is drawn (matplotlib and
           numpy, loaded only then). Whether it imported Alembic (a migration ran) is said.
  process  `pacer run` itself (Slack emulated, PACER_NOW at that idle moment): idle once it
           has started and its scheduler's first tick is done; then after REQUESTS `/log`
           commands from CLIENTS concurrent clients (English and Chinese, as
           benchmarks/ack_vs_bolt.py sends them) and their follow-ups.

    .venv/bin/python benchmarks/memory.py                 # a fresh SQLite file, a team of 50
    .venv/bin/python benchmarks/memory.py --db pg         # a database of its own on the server
                                                          # of PACER_TEST_POSTGRES_URL, dropped
    .venv/bin/python benchmarks/memory.py --requests 2000 --clients 50

benchmarks/tick.py prints the steps (and the process idle) over its seeded teams.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IDLE_AT = "2026-11-17T07:17:00+00:00"  # benchmarks/tick.py's IDLE: nothing is due

STEPS_CODE = """
import logging, sys
from datetime import datetime


def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024


logging.disable(logging.WARNING)
import bot.cli, bot.app, bot.jobs.scheduler, bot.slack.server, bot.jobs.registry  # noqa
imported = rss()
from bot.app import create_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.deps import Deps
from bot.jobs.scheduler import FirstTick, tick_all
from bot.slack.emulator import SlackEmulator
from bot.slack.server import HttpServer
from store import db

slack = SlackEmulator(team_id="T0BENCH").start()  # auth.test, as the app starts
settings = Settings(database_url=sys.argv[1], bot_token="xoxb-bench", signing_secret="x",
                    slack_api_url=slack.api_url)
deps = Deps.build(settings, clock=FixedClock(datetime.fromisoformat(sys.argv[2])))
db.upgrade(deps.engine)  # as cmd_run: migrations checked, the app and its server built
server = HttpServer(create_app(settings, deps), port=0, host="127.0.0.1",
                    ready=lambda: db.readiness(deps.engine))
started = rss()
migrated = "alembic" in sys.modules
from benchmarks.tick import StubSlack  # in process: a tick's thousands of calls cost nothing

deps._clients.update({"T0BENCH": StubSlack()})
tick_all(deps, first_tick=FirstTick().start())  # as `pacer run`: frozen at start and after
ticked = rss()
from bot.render.charts import score_trend_png

score_trend_png(['a', 'b'], [[70, 80]])
print(imported, started, ticked, rss(), int(migrated))
"""


@dataclass
class Steps:
    imported: float  # MiB after importing what `pacer run` imports
    started: float  # ... and starting as it does (migrations checked, app and server built)
    ticked: float  # ... and one idle tick over the database's teams
    charted: float  # ... and a chart drawn (matplotlib and numpy loaded)
    migrated: bool  # Alembic was imported: the database was not at the newest migration

    def __str__(self) -> str:
        return (f"{self.imported:.0f} MiB with its modules imported, {self.started:.0f} MiB "
                f"started (idle; {'Alembic loaded' if self.migrated else 'Alembic not loaded'}), "
                f"{self.ticked:.0f} MiB after an idle tick, {self.charted:.0f} MiB after "
                f"drawing a chart")


def step_figures(url: str) -> Steps:
    """RSS (MiB) of a fresh process, step by step through what `pacer run` does."""
    out = subprocess.run([sys.executable, "-c", STEPS_CODE, url, IDLE_AT], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    *figures, migrated = out[-5:]
    return Steps(*(float(x) for x in figures), migrated=migrated == "1")


def rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PacerRun:
    """`pacer run` as a child process against `url`, Slack emulated, the clock at IDLE_AT."""

    def __init__(self, url: str, users: dict[str, dict]) -> None:
        from benchmarks.ack_vs_bolt import SECRET, free_port
        from bot.slack.emulator import SlackEmulator

        self.slack = SlackEmulator(users=users, team_id="T0BENCH").start()
        self.port = free_port()
        self.env = {**{k: v for k, v in os.environ.items()
                       if not k.startswith(("SLACK_", "PACER_"))},
                    "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": self.slack.api_url, "LOG_LEVEL": "WARNING",
                    "DATABASE_URL": url, "PACER_NOW": IDLE_AT, "PORT": str(self.port)}
        self.proc: subprocess.Popen | None = None

    def pacer(self, *argv: str) -> None:
        subprocess.run([sys.executable, "-m", "bot", *argv], env=self.env, cwd=ROOT,
                       check=True, capture_output=True)

    def start(self) -> float:
        """Started and its first tick done: the RSS (MiB) then."""
        from sqlalchemy import delete

        from benchmarks.ack_vs_bolt import quiet_cpu, wait_ready
        from store import db
        from store.models import TickClaim

        # The clock starts at IDLE_AT on every run: an earlier run's claims on that minute
        # would leave this process's first tick nothing to do.
        engine = db.make_engine(self.env["DATABASE_URL"])
        with engine.begin() as conn:
            conn.execute(delete(TickClaim))
        engine.dispose()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=self.env,
                                     cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_ready(self.port, "/readyz", timeout=300)
        time.sleep(1)  # the scheduler's first run starts at once
        quiet_cpu(self.proc.pid, settle=1.0, timeout=600)
        return rss(self.proc.pid)

    def load(self, requests: int, clients: int) -> float:
        """`requests` /log commands, `clients` at a time; the RSS (MiB) once it is quiet."""
        import urllib.request

        from benchmarks.ack_vs_bolt import SECRET, TEXTS, quiet_cpu
        from bot.slack.signing import command_body, sign

        def one(i: int) -> None:
            body = command_body("/log", TEXTS[i % len(TEXTS)], user_id=f"U{i % clients:04d}",
                                team_id="T0BENCH", channel_id="C1",
                                response_url=self.slack.response_url("m"))
            request = urllib.request.Request(f"http://127.0.0.1:{self.port}/slack/events",
                                             data=body.encode(), headers=sign(SECRET, body))
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()

        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(one, range(requests)))
        quiet_cpu(self.proc.pid, settle=1.0)
        return rss(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
        self.slack.stop()


def process_idle(url: str) -> float:
    """RSS (MiB) of `pacer run` over `url`'s teams, idle after its first tick."""
    run = PacerRun(url, {})
    try:
        return run.start()
    finally:
        run.stop()


def pg_database(name: str) -> tuple[str, object]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from store import db

    base = os.environ.get("PACER_TEST_POSTGRES_URL") or os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        raise SystemExit("--db pg needs PACER_TEST_POSTGRES_URL (or DATABASE_URL)")
    admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db.normalise_url(base)).set(database=name)
    return url.render_as_string(hide_password=False), admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument("--name", default="memory_bench", help="PostgreSQL: the database")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    admin = None
    if args.db == "pg":
        url, admin = pg_database(args.name)
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/memory.db"
    users = {f"U{i:04d}": {"tz": "Asia/Shanghai" if i % 2 else "America/New_York",
                           "locale": "zh-CN" if i % 2 else "en-US"}
             for i in range(args.clients)}
    run = PacerRun(url, users)
    try:
        load = os.getloadavg()
        print(f"{'PostgreSQL' if admin else 'SQLite'}, a team of {args.clients}; "
              f"{os.cpu_count()} CPUs, load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        run.pacer("team", "create", "Bench", "--channel", "C1", "--manager", "U9999",
                  "--members", ",".join(users), "--tz", "Asia/Shanghai",
                  "--workspace", "T0BENCH")  # the database migrated by this first command
        print(f"  steps of a fresh process: {step_figures(url)}", flush=True)
        idle = run.start()
        print(f"  `pacer run`: {idle:.0f} MiB idle (started, its first tick done)", flush=True)
        after = run.load(args.requests, args.clients)
        print(f"  `pacer run`: {after:.0f} MiB after {args.requests} /log from {args.clients} "
              "clients (quiet again)")
    finally:
        run.stop()
        if admin is not None:
            from sqlalchemy import text

            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
