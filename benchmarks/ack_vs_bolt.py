"""`/log` acknowledgement latency of the real bot beside a bare Bolt app, in one run.

Both servers run as their own processes on the same production server (waitress, 16
threads): `pacer run` itself (migrations, the scheduler ticking, every handler) and
benchmarks/bare_bolt.py (a Bolt app whose /log only acks). This process plays Slack: a
loopback fake Web API and CLIENTS threads sending signed form-encoded `/log` commands (English
and Chinese, some invalid), each firing its next request as soon as the last is answered.
The servers take turns (bare, Pacer, bare, Pacer) so both see the same machine. It prints
p50/p95/p99, throughput, the Pacer/bare ratio and the bot's memory (RSS now and at peak).

Run: .venv/bin/python benchmarks/ack_vs_bolt.py [REQUESTS] [CLIENTS] [ROUNDS]
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.slack.emulator import SlackEmulator  # noqa: E402
from bot.slack.signing import command_body, sign  # noqa: E402

SECRET = "bench-secret"
TEXTS = ["visit Acme Corp", "3 calls yesterday", "deal Acme 120k new", "拜访 阿里巴巴 昨天",
         "电话 3 前天", "签约 腾讯 12万 新客户", "demo Globex on monday", "vist Acme"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not come up")


def memory(pid: int) -> tuple[int, int]:
    """(RSS now, peak RSS) in MiB, from /proc."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) // 1024
    return found.get("VmRSS", 0), found.get("VmHWM", 0)


def load(port: int, fake: SlackEmulator, requests: int, clients: int) -> tuple[list, float, int]:
    endpoint = f"http://127.0.0.1:{port}/slack/events"
    failures = []

    def one(i: int) -> float:
        body = command_body("/log", TEXTS[i % len(TEXTS)], user_id=f"U{i % clients:04d}",
                            team_id="T0BENCH", channel_id="C1",
                            response_url=fake.response_url("b"))
        request = urllib.request.Request(endpoint, data=body.encode(), headers=sign(SECRET, body))
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as exc:  # Bolt answers 404 when no ack came in 3 s
            failures.append(exc.code)
        return (time.perf_counter() - start) * 1000

    for i in range(clients):  # warm up: every user's profile cached, as in a running bot
        one(i)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = sorted(pool.map(one, range(requests)))
    return latencies, time.perf_counter() - started, len(failures)


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    users = {f"U{i:04d}": {"tz": "Asia/Shanghai" if i % 2 else "America/New_York",
                           "locale": "zh-CN" if i % 2 else "en-US"} for i in range(clients)}
    fake = SlackEmulator(users=users, team_id="T0BENCH").start()
    workdir = tempfile.mkdtemp()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PACER_"))},
           "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.api_url, "LOG_LEVEL": "WARNING",
           "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{workdir}/bench.db"}
    pacer = [sys.executable, "-m", "bot"]
    subprocess.run([*pacer, "team", "create", "Bench", "--channel", "C1", "--manager",
                    "U9999", "--members", ",".join(users), "--tz", "Asia/Shanghai",
                    "--workspace", "T0BENCH"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    ports = {"bare": free_port(), "pacer": free_port()}
    logs = {name: open(f"{workdir}/{name}.log", "w") for name in ports}  # noqa: SIM115
    procs = {
        "bare": subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "bare_bolt.py")],
                                 env={**env, "PORT": str(ports["bare"])}, cwd=ROOT,
                                 stdout=logs["bare"], stderr=subprocess.STDOUT),
        "pacer": subprocess.Popen([*pacer, "run"], env={**env, "PORT": str(ports["pacer"])},
                                  cwd=ROOT, stdout=logs["pacer"], stderr=subprocess.STDOUT),
    }
    print(f"servers' logs: {workdir}/bare.log, {workdir}/pacer.log")
    results: dict[str, list] = {"bare": [], "pacer": []}
    elapsed = {"bare": 0.0, "pacer": 0.0}
    failed = {"bare": 0, "pacer": 0}
    try:
        wait_ready(ports["bare"], "/healthz")
        wait_ready(ports["pacer"], "/readyz")
        for _ in range(rounds):
            for name in ("bare", "pacer"):
                latencies, seconds, failures = load(ports[name], fake, requests, clients)
                results[name] += latencies
                elapsed[name] += seconds
                failed[name] += failures
        rss, peak = memory(procs["pacer"].pid)
        bare_rss, bare_peak = memory(procs["bare"].pid)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=30)
        fake.stop()
    database = "PostgreSQL" if "postgres" in env["DATABASE_URL"] else "SQLite"
    print(f"/log acknowledgement, {rounds} x {requests} requests from {clients} concurrent "
          f"clients, waitress 16 threads, {database}:")
    quantiles = {}
    for name, label in (("bare", "bare Bolt (ack only)"), ("pacer", "Pacer (pacer run)")):
        found = sorted(results[name])
        q = statistics.quantiles(found, n=100)
        quantiles[name] = q
        print(f"  {label:22} p50 {q[49]:7.1f} ms   p95 {q[94]:7.1f} ms   p99 {q[98]:7.1f} ms   "
              f"max {found[-1]:7.1f} ms   {len(found) / elapsed[name]:5.0f} req/s   "
              f"not acknowledged: {failed[name]}")
    ratio = {p: quantiles["pacer"][i] / quantiles["bare"][i] for p, i in (("p50", 49),
                                                                         ("p99", 98))}
    print(f"  ratio Pacer / bare: p50 {ratio['p50']:.1f}x   p99 {ratio['p99']:.1f}x")
    print(f"  memory: pacer run {rss} MiB now, {peak} MiB peak; bare Bolt {bare_rss} MiB now, "
          f"{bare_peak} MiB peak")


if __name__ == "__main__":
    main()
