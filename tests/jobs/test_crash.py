"""Exactly once across a crash, with real processes: `pacer run` is killed (SIGKILL) at the
worst moment, after Slack accepted a scheduled message and before the ledger recorded it;
the restarted process finds the message in the conversation (its metadata names the ledger
key) and records it instead of sending it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.slack.emulator import Call
from store import db, deliveries, teams
from tests.conftest import NOW
from tests.fakes import FakeSlack
from tests.slack.test_server import ROOT, free_port

SHANGHAI = {"tz": "Asia/Shanghai", "locale": "zh-CN"}
REPS = ("U0BO", "U0LI", "U0WU")
KEY = "checkin-reminder:T0ACME:{}:2026-11-18"


class KillingSlack(FakeSlack):
    """Slack that accepts one chosen post, then kills the process that sent it before the
    reply leaves: the message is in the conversation, the bot never heard so."""

    def __init__(self, key: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.key, self.victim = key, 0
        self.killed = threading.Event()

    def handle(self, path: str, args: dict, token: str) -> tuple[int, dict, dict]:
        # Killed once the call is recorded (answered and checked), before the reply is sent:
        # killing inside `answer` raced the test, which could look before the record was made.
        reply = super().handle(path, args, token)
        meta = args.get("metadata") or {}
        if (path.endswith("/chat.postMessage") and self.victim and not self.killed.is_set()
                and (meta.get("event_payload") or {}).get("key") == self.key):
            os.kill(self.victim, signal.SIGKILL)
            self.killed.set()
        return reply


def posts_of(fake: FakeSlack, key: str) -> list[Call]:
    return [c for c in fake.find("chat.postMessage")
            if ((c.args.get("metadata") or {}).get("event_payload") or {}).get("key") == key]


def start(fake: FakeSlack, url: str, at: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PACER_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s", PORT=str(free_port()),
               SLACK_API_URL=fake.api_url, DATABASE_URL=url, PACER_NOW=at)
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ledger(url: str) -> dict[str, tuple[str, int, str | None]]:
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            return {rep: (row.status, row.attempts, row.ts) for rep in REPS
                    if (row := deliveries.get(session, key=KEY.format(rep))) is not None}
    finally:
        engine.dispose()


def test_a_process_killed_after_slack_accepted_a_message_does_not_send_it_twice(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        teams.create_team(session, workspace_id="T0ACME", name="East", channel_id="C0SALES",
                          managers=["U0MEI"], members=list(REPS), tz="Asia/Shanghai",
                          currency="CNY", now=NOW)
    engine.dispose()
    fake = KillingSlack(KEY.format("U0LI"), users=dict.fromkeys((*REPS, "U0MEI"), SHANGHAI),
                        team_id="T0ACME").start()
    try:
        first = start(fake, url, "2026-11-18T09:31:00+08:00")  # Wednesday, reminders due
        fake.victim = first.pid
        output, _ = first.communicate(timeout=90)
        assert first.returncode == -signal.SIGKILL, output
        assert len(posts_of(fake, KEY.format("U0LI"))) == 1  # Slack has it ...
        assert ledger(url)["U0LI"][0] == "claimed"  # ... the ledger does not know

        # Back six minutes later: the dead process's lease (5 minutes) is over.
        second = start(fake, url, "2026-11-18T09:37:00+08:00")
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not (
                    len(rows := ledger(url)) == len(REPS)
                    and all(status == "sent" for status, _, _ in rows.values())):
                time.sleep(0.3)
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=60)
        finally:
            if second.poll() is None:
                second.kill()
        rows = ledger(url)
        assert all(status == "sent" for status, _, _ in rows.values()), (rows, output)
        for rep in REPS:
            assert len(posts_of(fake, KEY.format(rep))) == 1, (rep, output)  # no doubles, no loss
        [accepted] = posts_of(fake, KEY.format("U0LI"))
        assert rows["U0LI"][1:] == (2, fake.history["DU0LI"][0]["ts"])  # recorded, as posted
        assert "Slack had it already" in output
        assert fake.find("conversations.history")  # it looked, in U0LI's DM only
        assert {c.args["channel"] for c in fake.find("conversations.history")} == {"DU0LI"}
    finally:
        fake.stop()
