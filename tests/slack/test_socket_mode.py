"""Socket Mode end to end: `pacer run` with SLACK_APP_TOKEN against a local Socket Mode
endpoint, as slack_sdk's own tests mock Slack's (apps.connections.open answers a loopback
WebSocket URL; a WebSocket server says hello and sends envelopes): a slash command is
acknowledged with its reply and recorded, a button press is handled, Slack's "disconnect"
makes the bot reconnect on a new URL and serve on, and SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from store import db, teams
from store.models import Activity
from tests.conftest import NOW, USERS
from tests.fakes import FakeSlack
from tests.slack.test_server import ROOT, free_port

APP_TOKEN = "xapp-1-A0PACER-1-test"
HELLO = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0PACER"}}


class SocketModeSlack(FakeSlack):
    """The Web API, with apps.connections.open handing out the local WebSocket endpoint."""

    def __init__(self, ws_url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.ws_url = ws_url

    def answer(self, method: str, args: dict, token: str = "") -> dict:
        if method == "apps.connections.open":
            return {"ok": token == APP_TOKEN, "url": f"{self.ws_url}?ticket={len(self.calls)}"}
        return super().answer(method, args, token)


class Endpoint:
    """Slack's side of the WebSocket: hello on connect, envelopes sent on demand, every
    acknowledgement kept by envelope id."""

    def __init__(self) -> None:
        self.connections: queue.Queue[ServerConnection] = queue.Queue()
        self.acks: dict[str, dict] = {}
        self.gone: set[int] = set()  # connections the bot closed
        self.acked = threading.Condition()
        self.server = serve(self._handle, "127.0.0.1", free_port())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(json.dumps(HELLO))
        self.connections.put(connection)
        try:
            for message in connection:
                data = json.loads(message)
                with self.acked:
                    self.acks[data["envelope_id"]] = data
                    self.acked.notify_all()
        except ConnectionClosed:
            pass
        with self.acked:
            self.gone.add(id(connection))
            self.acked.notify_all()

    def closed(self, connection: ServerConnection, timeout: float = 10) -> bool:
        with self.acked:
            return self.acked.wait_for(lambda: id(connection) in self.gone, timeout)

    def connected(self, timeout: float = 60) -> ServerConnection:
        return self.connections.get(timeout=timeout)

    def send(self, connection: ServerConnection, envelope_id: str, kind: str, payload: dict,
             timeout: float = 10) -> dict:
        """An envelope; its acknowledgement (the bot has 3 seconds, as with Slack)."""
        sent = time.monotonic()
        connection.send(json.dumps({"envelope_id": envelope_id, "type": kind,
                                    "payload": payload, "accepts_response_payload": True}))
        with self.acked:
            assert self.acked.wait_for(lambda: envelope_id in self.acks, timeout), envelope_id
        assert time.monotonic() - sent < 3
        return self.acks[envelope_id]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    running = Endpoint()
    yield running
    running.close()


def command(text: str, fake: FakeSlack, n: int) -> dict:
    return {"token": "deprecated", "team_id": "T0ACME", "team_domain": "acme",
            "channel_id": "C0SALES", "channel_name": "sales", "user_id": "U0BO",
            "user_name": "bo", "command": "/log", "text": text, "api_app_id": "A0PACER",
            "response_url": fake.response_url(f"sm{n}"), "trigger_id": f"{n}.sm.trigger"}


def logs(url: str) -> list[tuple[str | None, bool]]:
    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        rows = session.exec(select(Activity).order_by(Activity.id)).all()
        found = [(row.customer, row.deleted_at is not None) for row in rows]
    engine.dispose()
    return found


def test_pacer_run_over_socket_mode(tmp_path: Path, endpoint: Endpoint) -> None:
    fake = SocketModeSlack(endpoint.url, users=USERS, team_id="T0ACME").start()
    url = f"sqlite:///{tmp_path / 'socket.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        teams.create_team(session, workspace_id="T0ACME", name="East", channel_id="C0SALES",
                          managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=NOW)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PACER_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN=APP_TOKEN,
               SLACK_API_URL=fake.api_url, DATABASE_URL=url, PORT=str(free_port()))
    bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        connection = endpoint.connected()
        # A slash command: acknowledged (recorded), its private confirmation by response_url.
        ack = endpoint.send(connection, "env-1", "slash_commands",
                            command("拜访 腾讯 昨天", fake, 1))
        assert not ack.get("payload")
        reply = fake.wait_for("response_url", 1, timeout=10)[0].args
        assert reply["response_type"] == "ephemeral" and "腾讯" in reply["text"]
        assert logs(url) == [("腾讯", False)]
        # A button in that reply, pressed: an interactive envelope, handled after its ack.
        undo = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"])
        press = {"type": "block_actions", "team": {"id": "T0ACME", "domain": "acme"},
                 "user": {"id": "U0BO", "team_id": "T0ACME"}, "api_app_id": "A0PACER",
                 "container": {"type": "message", "is_ephemeral": True},
                 "channel": {"id": "C0SALES"}, "trigger_id": "2.sm.trigger",
                 "response_url": fake.response_url("sm-undo"),
                 "actions": [{**undo, "block_id": "b", "action_ts": "1"}]}
        endpoint.send(connection, "env-2", "interactive", press)
        fake.wait_for("response_url", 2, timeout=10)
        assert logs(url) == [("腾讯", True)]
        # Slack asks for a reconnect: a new URL, a new connection, and it serves on.
        connection.send(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))
        again = endpoint.connected()
        assert endpoint.closed(connection)  # the bot let the old connection go
        assert len(fake.find("apps.connections.open")) >= 2
        ack = endpoint.send(again, "env-3", "slash_commands", command("电话 阿里巴巴", fake, 3))
        assert not ack.get("payload")
        assert "阿里巴巴" in fake.wait_for("response_url", 3, timeout=10)[2].args["text"]
        assert [c for c, _ in logs(url)] == ["腾讯", "阿里巴巴"]
        assert {c.token for c in fake.find("apps.connections.open")} == {APP_TOKEN}
        bot.send_signal(signal.SIGTERM)
        output, _ = bot.communicate(timeout=30)
        assert bot.returncode == 0, output
        assert "connecting over Socket Mode" in output and "stopped: everything" in output
    finally:
        if bot.poll() is None:
            bot.kill()
        fake.stop()
