"""How fast /log is acknowledged under concurrent load, on the production HTTP server.

Starts the real app on waitress against a loopback fake Slack and a fresh SQLite (or, with
DATABASE_URL, a new database on its PostgreSQL server, dropped at the end), then sends signed
`/log` commands from CLIENTS threads and prints latency percentiles.
Run: .venv/bin/python benchmarks/log_ack.py [REQUESTS] [CLIENTS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from waitress.server import create_server  # noqa: E402

from benchmarks.seed import scratch_postgres  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.followups import FOLLOW_UPS  # noqa: E402
from bot.slack.emulator import SlackEmulator  # noqa: E402
from bot.slack.server import wsgi_app  # noqa: E402
from bot.slack.signing import command_body, sign  # noqa: E402
from store import db, teams  # noqa: E402

TEXTS = ["visit Acme Corp", "3 calls yesterday", "deal Acme 120k new", "拜访 阿里巴巴 昨天",
         "电话 3 前天", "签约 腾讯 12万 新客户", "demo Globex on monday", "vist Acme"]


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    with ExitStack() as stack:
        if url.startswith(("postgres://", "postgresql")):  # a new database each run
            url = stack.enter_context(scratch_postgres(url))[0]
        bench(requests, clients, url)


def bench(requests: int, clients: int, url: str) -> None:
    users = {f"U{i:04d}": {"tz": "Asia/Shanghai" if i % 2 else "America/New_York",
                           "locale": "zh-CN" if i % 2 else "en-US"} for i in range(clients)}
    fake = SlackEmulator(users=users, team_id="T0BENCH").start()
    settings = Settings(database_url=url, bot_token="xoxb-bench", signing_secret="s",
                        slack_api_url=fake.api_url)
    deps = Deps.build(settings)
    db.upgrade(deps.engine)
    with deps.sessions() as session:
        teams.create_team(session, workspace_id="T0BENCH", name="Bench", channel_id="C1",
                          managers=["U9999"], members=list(users), tz="Asia/Shanghai",
                          currency="CNY", now=deps.clock.now())
    server = create_server(wsgi_app(create_app(settings, deps)), host="127.0.0.1", port=0,
                           threads=16)
    threading.Thread(target=server.run, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.effective_port}/slack/events"

    failures: list[int] = []

    def one(i: int) -> float:
        user = f"U{i % clients:04d}"
        body = command_body("/log", TEXTS[i % len(TEXTS)], user_id=user, team_id="T0BENCH",
                            channel_id="C1", response_url=fake.response_url("b"))
        request = urllib.request.Request(endpoint, data=body.encode(), headers=sign("s", body))
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as exc:  # e.g. Bolt's 404 when no ack came in 3 s
            failures.append(exc.code)
        return (time.perf_counter() - start) * 1000

    for i in range(clients):  # warm the profile cache, as a running bot has it warm
        one(i)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = sorted(pool.map(one, range(requests)))
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    print(f"/log ack latency, {requests} requests from {clients} concurrent clients, "
          f"{'PostgreSQL' if 'postgres' in url else 'SQLite'}:")
    print(f"  p50 {q[49]:.1f} ms   p95 {q[94]:.1f} ms   p99 {q[98]:.1f} ms   "
          f"max {latencies[-1]:.1f} ms   throughput {requests / elapsed:.0f} req/s   "
          f"not acknowledged: {len(failures)}")
    FOLLOW_UPS.wait(timeout=120)  # the confirmations, before their Slack and database go
    server.close()
    fake.stop()


if __name__ == "__main__":
    main()
