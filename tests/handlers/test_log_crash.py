"""/log loses nothing to a kill -9 right after its ack, with real processes: `pacer run` acks
a log (committed), is killed before the log's follow-up (customer link, App Home marks) ran,
and the restarted process's `log-followups` job settles it.

Determinism without touching internals: one person's follow-ups run one at a time
(handlers/log.py), so the test's Slack holds the confirmation of Bo's first log unanswered;
his second log is acked while its follow-up waits its turn, and the process dies there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.jobs.log_followups import GRACE
from bot.slack.signing import command_body, sign
from store import db, teams
from store.models import Activity, Customer, HomeView
from tests.conftest import NOW
from tests.fakes import FakeSlack
from tests.handlers.test_log_followups import HoldingSlack as HeldResponses
from tests.slack.test_server import ROOT, free_port

SHANGHAI = {"tz": "Asia/Shanghai", "locale": "zh-CN"}
SECRET = "s"


class HoldingSlack(HeldResponses):
    """Slack that takes its time answering one response_url: /response/hold (the real
    process is killed meanwhile, so it may wait longer)."""

    HOLD = 60


def start(fake: FakeSlack, url: str, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PACER_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, PORT=str(port),
               SLACK_API_URL=fake.api_url, DATABASE_URL=url)
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ready(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"pacer run did not come up: {proc.poll()}")


def log(port: int, text: str, response_url: str) -> tuple[int, bytes]:
    body = command_body("/log", text, user_id="U0BO", team_id="T0ACME", channel_id="C0SALES",
                        response_url=response_url)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events",
                                     data=body.encode(), headers=sign(SECRET, body))
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def rows(url: str) -> list[tuple[Activity, str | None, bool]]:
    """Each log, the name of the customer it is linked to, and whether Bo's Home is stale."""
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            stale = bool(session.exec(select(HomeView.stale)).first())
            return [(row, session.get(Customer, row.customer_id).name
                     if row.customer_id else None, stale)
                    for row in session.exec(select(Activity).order_by(Activity.id))]
    finally:
        engine.dispose()


def unmark(url: str) -> None:
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            for home in session.exec(select(HomeView)):
                home.stale = False
                session.add(home)
    finally:
        engine.dispose()


def test_a_log_acked_just_before_a_kill_is_kept_and_its_customer_linked_after_restart(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        teams.create_team(session, workspace_id="T0ACME", name="East", channel_id="C0SALES",
                          managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=NOW)
        # Bo opened his Home; its last publish is in the future, so the `home` job leaves the
        # stale mark for the test to see.
        session.add(HomeView(workspace_id="T0ACME", user_id="U0BO", opened_at=NOW,
                             published_at=datetime.now(UTC) + timedelta(days=1)))
    engine.dispose()
    fake = HoldingSlack(users={"U0BO": SHANGHAI, "U0MEI": SHANGHAI}, team_id="T0ACME").start()
    port = free_port()
    first = start(fake, url, port)
    try:
        ready(port, first)
        assert log(port, "拜访 阿里巴巴", fake.response_url("hold")) == (200, b"")
        assert fake.holding.wait(30)  # the first log is settled; its confirmation is held
        status, ack = log(port, "电话 腾讯", fake.response_url("second"))
        first.kill()  # SIGKILL, right after the second ack
        output, _ = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
        fake.release.set()
    try:
        assert (status, ack) == (200, b""), output
        (visit, visited, _), (call, called, stale) = rows(url)
        assert (visit.kind, visited, visit.settle_pending) == ("visit", "阿里巴巴", False)
        # The second log survived the kill: committed before its ack, its follow-up owed.
        assert (call.kind, call.customer, called, call.settle_pending) == (
            "call", "腾讯", None, True)
        assert not [c for c in fake.find("response_url") if c.path == "/response/second"]

        unmark(url)  # the first log marked Bo's Home; whether the repair does is the question
        time.sleep(max(0.0, GRACE.total_seconds() - 1))  # older than a live follow-up
        second = start(fake, url, port := free_port())
        try:
            ready(port, second)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and rows(url)[1][0].settle_pending:
                time.sleep(0.2)
            second.send_signal(signal.SIGTERM)
            output, _ = second.communicate(timeout=60)
        finally:
            if second.poll() is None:
                second.kill()
        (_, _, _), (call, called, stale) = rows(url)
        assert (called, call.settle_pending) == ("腾讯", False), output  # linked: a new lead
        assert "settled 1 log(s)" in output
        assert stale  # Bo's Home marked stale (the job republishes it)
        log_calls = [json.dumps(c.args, ensure_ascii=False) for c in fake.find("response_url")]
        assert len(log_calls) == 1 and "阿里巴巴" in log_calls[0]  # nothing sent twice
    finally:
        fake.stop()
