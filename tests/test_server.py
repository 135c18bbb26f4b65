"""`pacer run` as deployed: HTTP server, health and readiness, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import text

from bot.emulator import SlackEmulator
from store import db

ROOT = Path(__file__).resolve().parents[1]


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
