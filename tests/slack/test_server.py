"""`pacer run` as deployed: HTTP server, health and readiness, a graceful stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bot.slack.emulator import SlackEmulator
from bot.slack.signing import command_body, sign
from store import db, teams
from tests.fakes import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def test_pacer_run_serves_health_and_readiness_and_stops_on_sigterm(tmp_path: Path) -> None:
    fake = SlackEmulator(team_id="T0ACME").start()
    port = free_port()
    database = tmp_path / "run.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s", PORT=str(port),
               SLACK_API_URL=fake.api_url, DATABASE_URL=f"sqlite:///{database}")
    bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while get(base + "/healthz")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert get(base + "/healthz") == (200, "ok")
        assert get(base + "/readyz") == (200, "ready")
        engine = db.make_engine(f"sqlite:///{database}")
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        status, body = get(base + "/readyz")
        assert status == 503 and "newest migration" in body
        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=30)
        assert bot.returncode == 0, output
        assert "stopping" in output and "scheduler stopped" in output
    finally:
        if bot.poll() is None:
            bot.kill()
        fake.stop()


class SlowSlack(FakeSlack):
    """Slack that takes its time over some calls (path -> seconds), and says when one came."""

    def __init__(self, delays: dict[str, float], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.delays = delays
        self.arrived: dict[str, threading.Event] = {p: threading.Event() for p in delays}

    def handle(self, path: str, args: dict, token: str) -> tuple[int, dict, dict]:
        for prefix, seconds in self.delays.items():
            if path.startswith(prefix):
                self.arrived[prefix].set()
                time.sleep(seconds)
        return super().handle(path, args, token)


SECRET = "shutdown-test-secret"


def start_pacer(tmp_path: Path, fake: FakeSlack, **extra: str) -> tuple[subprocess.Popen, str]:
    """`pacer run` as a real process, with a team (East: U0ALICE) already in its database."""
    url = f"sqlite:///{tmp_path / 'run.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        teams.create_team(session, workspace_id="T0ACME", name="East", channel_id="C0SALES",
                          managers=["U0MEI"], members=["U0ALICE"], tz="Asia/Shanghai",
                          currency="CNY", now=datetime.now(UTC))
    engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LOG_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, PORT=str(port),
               SLACK_API_URL=fake.api_url, DATABASE_URL=url, **extra)
    bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while get(base + "/healthz")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return bot, base


def start_scorecard(base: str, fake: FakeSlack) -> tuple[socket.socket, bytes]:
    """/scorecard from U0ALICE, headers only, asking to continue: once the server answers
    100 Continue it has the request in hand. Returns the socket and the body still to send."""
    body = command_body("/scorecard", "", user_id="U0ALICE", team_id="T0ACME",
                        channel_id="C0SALES", response_url=fake.response_url("card")).encode()
    headers = {**sign(SECRET, body.decode()), "Host": "pacer", "Content-Length": str(len(body)),
               "Expect": "100-continue", "Connection": "close"}
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(("POST /slack/events HTTP/1.1\r\n"
                  + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
    assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
    return sock, body


def finish(sock: socket.socket, body: bytes) -> str:
    """Send the rest of the request; the whole reply, status line first."""
    with sock:
        sock.sendall(body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply.decode()


def test_sigterm_lets_requests_and_work_after_the_ack_finish_then_exits_0(
        tmp_path: Path) -> None:
    # The chart follows the response_url reply, which Slack is slow to take: when the
    # chart arrives, the whole of the work after the ack has run.
    fake = SlowSlack({"/response/": 1.0}, team_id="T0ACME",
                     users={"U0ALICE": {"tz": "Asia/Shanghai", "locale": "en-US"}}).start()
    bot, base = start_pacer(tmp_path, fake)
    try:
        request, body = start_scorecard(base, fake)  # in flight when the signal comes
        bot.send_signal(signal.SIGTERM)
        time.sleep(0.6)
        assert get(base + "/healthz")[0] == 0  # no new connections while it drains
        reply = finish(request, body)
        output, _ = bot.communicate(timeout=30)
        assert reply.startswith("HTTP/1.1 200 OK"), (reply, output)
        assert "X-Request-Id: " in reply
        assert bot.returncode == 0, output
        assert len(fake.find("response_url")) == 1
        assert fake.find("files.completeUploadExternal"), [c.method for c in fake.calls]
        assert "stopped: everything in hand finished" in output
        assert fake.problems == []
    finally:
        if bot.poll() is None:
            bot.kill()
        fake.stop()


def test_work_outlasting_the_grace_period_is_cut_short_and_says_so(tmp_path: Path) -> None:
    fake = SlowSlack({"/response/": 20.0}, team_id="T0ACME").start()
    bot, base = start_pacer(tmp_path, fake, SHUTDOWN_GRACE_SECONDS="1")
    try:
        assert finish(*start_scorecard(base, fake)).startswith("HTTP/1.1 200 OK")
        assert fake.arrived["/response/"].wait(30)
        started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=30)
        assert time.monotonic() - started < 10
        assert bot.returncode == 1, output
        assert "grace period of 1 s over; cut short: listener work after the ack" in output
    finally:
        if bot.poll() is None:
            bot.kill()
        fake.stop()
