"""`/log` acknowledgement latency and CPU of the real bot beside two baselines, in one run.

Three servers run as their own processes on the same production server (waitress, 16
threads): benchmarks/bare_bolt.py (a Bolt app whose /log only acks), benchmarks/floor_app.py
(the same plus one durable INSERT committed before the ack: the least a /log that loses
nothing can do) and `pacer run` itself (migrations, the scheduler ticking, every handler).
This process plays Slack: a loopback fake Web API (it also takes Pacer's confirmations by
response_url) and CLIENTS threads sending signed form-encoded `/log` commands (English and
Chinese, some invalid), each firing its next request as soon as the last is answered. The
servers take turns (bare, floor, Pacer, ...) so all see the same machine. It prints
p50/p95/p99, throughput, each server's CPU per /log (its process CPU time over the load,
work after the ack included, divided by the requests), the ratios Pacer/floor, Pacer/bare
and floor/bare of each, and memory.

Run: .venv/bin/python benchmarks/ack_vs_bolt.py [REQUESTS] [CLIENTS] [ROUNDS]
(1,000 requests, 50 clients, 6 rounds unless given: a p99 is its slowest 1 %, and over two
rounds those were 20 requests, a single stall's worth: the same code gave 0.9-1.8x the floor
from run to run; over six, 1.1-1.5x)
(with DATABASE_URL=postgresql://…, on a new database on that server, dropped at the end)
"""

from __future__ import annotations

import gc
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
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.seed import scratch_postgres  # noqa: E402
from bot.slack.emulator import SlackEmulator  # noqa: E402
from bot.slack.signing import command_body, sign  # noqa: E402

SECRET = "bench-secret"
TEXTS = ["visit Acme Corp", "3 calls yesterday", "deal Acme 120k new", "拜访 阿里巴巴 昨天",
         "电话 3 前天", "签约 腾讯 12万 新客户", "demo Globex on monday", "vist Acme"]
INVALID = {"vist Acme"}  # answered in the ack, with a corrected example: no confirmation


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


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quiet_cpu(pid: int, settle: float = 0.5, timeout: float = 30.0) -> float:
    """The CPU time once the process has gone quiet: the work after the ack counts too."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(settle)
        now = cpu_seconds(pid)
        if now - last < 0.02:  # idle (a scheduler tick aside)
            return now
        last = now
    return last


def memory(pid: int) -> tuple[int, int]:
    """(RSS now, peak RSS) in MiB, from /proc."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) // 1024
    return found.get("VmRSS", 0), found.get("VmHWM", 0)


def load(port: int, pid: int, fake: SlackEmulator, requests: int, clients: int,
         sends_confirmations: bool) -> tuple[list, float, int, float]:
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
    cpu = quiet_cpu(pid)
    answered = confirmations(fake)
    # This process's own cycle collector is held off while it times a burst: its full
    # collections (the emulator's record of every call grows by a round's confirmations) took
    # 30-50 ms, during which no answer was read, in whichever server's round was running.
    # (Measured: the ratios stayed within their noise; a pause of the client is no server's.)
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            latencies = sorted(pool.map(one, range(requests)))
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    # The follow-ups too: every confirmation in (the baselines send none) before the CPU is
    # read. Waiting on the fake Slack, a process looks quiet while confirmations are owed.
    owed = sum(1 for i in range(requests) if TEXTS[i % len(TEXTS)] not in INVALID)
    deadline = time.monotonic() + 120
    while (sends_confirmations and confirmations(fake) - answered < owed
           and time.monotonic() < deadline):
        time.sleep(0.1)
    return latencies, elapsed, len(failures), quiet_cpu(pid) - cpu


def confirmations(fake: SlackEmulator) -> int:
    return sum(1 for call in list(fake.calls) if call.method == "response_url")


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    url = os.environ.get("DATABASE_URL", "")
    with ExitStack() as stack:
        if url.startswith(("postgres://", "postgresql")):  # a new database each run
            url = stack.enter_context(scratch_postgres(url))[0]
        bench(requests, clients, rounds, url)


def bench(requests: int, clients: int, rounds: int, url: str) -> None:
    users = {f"U{i:04d}": {"tz": "Asia/Shanghai" if i % 2 else "America/New_York",
                           "locale": "zh-CN" if i % 2 else "en-US"} for i in range(clients)}
    fake = SlackEmulator(users=users, team_id="T0BENCH").start()
    workdir = tempfile.mkdtemp()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PACER_"))},
           "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.api_url, "LOG_LEVEL": "WARNING",
           "DATABASE_URL": url or f"sqlite:///{workdir}/bench.db"}
    pacer = [sys.executable, "-m", "bot"]
    subprocess.run([*pacer, "team", "create", "Bench", "--channel", "C1", "--manager",
                    "U9999", "--members", ",".join(users), "--tz", "Asia/Shanghai",
                    "--workspace", "T0BENCH"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    names = ("bare", "floor", "pacer")
    ports = {name: free_port() for name in names}
    logs = {name: open(f"{workdir}/{name}.log", "w") for name in names}  # noqa: SIM115
    here = ROOT / "benchmarks"
    commands = {"bare": [sys.executable, str(here / "bare_bolt.py")],
                "floor": [sys.executable, str(here / "floor_app.py")],
                "pacer": [*pacer, "run"]}
    procs = {name: subprocess.Popen(commands[name], env={
        **env, "PORT": str(ports[name]), "FLOOR_DB": f"{workdir}/floor.db"}, cwd=ROOT,
        stdout=logs[name], stderr=subprocess.STDOUT) for name in names}
    print(f"servers' logs: {workdir}/{{bare,floor,pacer}}.log")
    results: dict[str, list] = {name: [] for name in names}
    elapsed = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    failed = dict.fromkeys(names, 0)
    try:
        for name in names:
            wait_ready(ports[name], "/readyz" if name == "pacer" else "/healthz")
        for _ in range(rounds):
            for name in names:
                latencies, seconds, failures, used = load(ports[name], procs[name].pid, fake,
                                                          requests, clients, name == "pacer")
                results[name] += latencies
                elapsed[name] += seconds
                failed[name] += failures
                cpu[name] += used
        rss = {name: memory(procs[name].pid) for name in names}
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=30)
        fake.stop()
    database = "PostgreSQL" if "postgres" in env["DATABASE_URL"] else "SQLite"
    print(f"/log acknowledgement, {rounds} x {requests} requests from {clients} concurrent "
          f"clients, waitress 16 threads, {database}:")
    quantiles = {}
    per_log = {}  # CPU ms per /log
    labels = {"bare": "bare Bolt (ack only)", "floor": "floor (Bolt + 1 INSERT)",
              "pacer": "Pacer (pacer run)"}
    for name in names:
        found = sorted(results[name])
        q = statistics.quantiles(found, n=100)
        quantiles[name] = q
        per_log[name] = 1000 * cpu[name] / len(found)
        print(f"  {labels[name]:24} p50 {q[49]:6.1f} ms  p95 {q[94]:6.1f} ms  p99 {q[98]:6.1f} "
              f"ms  max {found[-1]:6.1f} ms  {len(found) / elapsed[name]:5.0f} req/s  "
              f"CPU/log {per_log[name]:5.2f} ms  not acknowledged: {failed[name]}")
    for top, bottom in (("pacer", "floor"), ("pacer", "bare"), ("floor", "bare")):
        ratio = {p: quantiles[top][i] / quantiles[bottom][i]
                 for p, i in (("p50", 49), ("p95", 94), ("p99", 98))}
        print(f"  ratio {top} / {bottom}: " + "   ".join(f"{p} {r:.2f}x"
                                                       for p, r in ratio.items())
              + f"   CPU/log {per_log[top] / per_log[bottom]:.2f}x")
    print("  memory (RSS now / peak): " + "; ".join(
        f"{name} {now} / {peak} MiB" for name, (now, peak) in rss.items()))


if __name__ == "__main__":
    main()
