"""Fixtures: a fake Slack on loopback, a fresh SQLite per test, the real app over real HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from waitress import wasyncore
from waitress.server import create_server

from bot.app import create_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.deps import Deps
from bot.followups import FOLLOW_UPS
from bot.slack.server import wsgi_app
from bot.slack.signing import action_body, command_body, sign
from store import db, teams
from tests.fakes import FakeSlack, message_problems

# Property tests (tests/*/test_fuzz_*.py) see the same examples on every run, and keep no
# example database on disk: `HYPOTHESIS_PROFILE=deep` searches longer, at random, locally.
settings.register_profile("pacer", max_examples=100, derandomize=True, database=None,
                          deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", parent=settings.get_profile("pacer"), derandomize=False,
                          max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pacer"))

SECRET = "test-signing-secret"
WORKSPACE = "T0ACME"
CHANNEL = "C0SALES"
# Wednesday 18 Nov 2026, 10:00 in Shanghai, 21:00 the evening before in New York.
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
USERS = {
    "U0ALICE": {"tz": "America/New_York", "locale": "en-US"},
    "U0BO": {"tz": "Asia/Shanghai", "locale": "zh-CN"},
    "U0MEI": {"tz": "Asia/Shanghai", "locale": "zh-CN"},
    "U0STRAY": {"tz": "Europe/London", "locale": "en-GB"},
}


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(users=USERS, team_id=WORKSPACE).start()
    yield fake
    fake.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pacer.db'}"


@dataclass
class Reply:
    status: int
    body: dict | str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Everything a person would read in the reply, blocks included."""
        if not isinstance(self.body, dict):
            return str(self.body)
        return json.dumps(self.body, ensure_ascii=False)


def _print_threads() -> None:
    """Every thread's stack, each distinct one once with how many threads share it."""
    names = {t.ident: t.name for t in threading.enumerate()}
    stacks: dict[str, list[str]] = {}
    for ident, frame in sys._current_frames().items():
        stacks.setdefault("".join(traceback.format_stack(frame)), []).append(
            names.get(ident, str(ident)))
    for stack, threads in stacks.items():
        print(f"--- {len(threads)} thread(s): {', '.join(threads[:5])}\n{stack}",
              file=sys.stderr)


class _Listeners(ThreadPoolExecutor):
    """Bolt's listener pool, remembering what is still running so a test can wait for it."""

    def __init__(self) -> None:
        super().__init__(max_workers=16, thread_name_prefix="listener")
        self.running: set[Future] = set()

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: ANN001
        future = super().submit(fn, *args, **kwargs)
        self.running.add(future)
        future.add_done_callback(self.running.discard)
        return future


class Bot:
    """The real app served by waitress on a free port, driven by signed Slack requests."""

    def __init__(self, settings: Settings, deps: Deps, fake: FakeSlack) -> None:
        self.settings, self.deps, self.fake = settings, deps, fake
        # Our own pool, so close() can wait for work the handlers do after their ack.
        self.listeners = _Listeners()
        self.app = create_app(settings, deps, listener_executor=self.listeners)
        self.server = create_server(wsgi_app(self.app), host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.counter = 0
        self.confirmations: set[str] = set()  # the response_urls /log confirmations went to

    def _serve(self) -> None:
        # waitress has no stop(): close() pulls the socket from under its loop, which may
        # then report EBADF. That is the end of the server, not a failure.
        with contextlib.suppress(OSError, ValueError):
            self.server.run()

    def post(self, body: str, headers: dict[str, str]) -> Reply:
        request = urllib.request.Request(self.url + "/slack/events", data=body.encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read().decode()
                received = dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, raw, received = exc.code, exc.read().decode(), dict(exc.headers)
        except TimeoutError:
            # A request that hangs is a bug to find: show where every thread of the app was.
            _print_threads()
            raise
        try:
            parsed: dict | str = json.loads(raw) if raw else {}
        except ValueError:
            parsed = raw
        if status == 200 and isinstance(parsed, dict) and parsed and (
                "response_action" not in parsed):  # a form's answer is no message
            assert message_problems(parsed) == [], parsed
        return Reply(status, parsed, received)

    def command(self, text: str, *, user: str = "U0ALICE", command: str = "/log",
                trigger_id: str | None = None, team: str = WORKSPACE) -> Reply:
        self.counter += 1
        response_url = self.fake.response_url(str(self.counter))
        body = command_body(command, text, user_id=user, team_id=team, channel_id=CHANNEL,
                            response_url=response_url, trigger_id=trigger_id)
        reply = self.post(body, sign(SECRET, body))
        if command == "/log" and reply.status == 200 and reply.body == {}:
            return self.followed_up(reply, response_url)
        return reply

    def followed_up(self, ack: Reply, response_url: str) -> Reply:
        """/log acks a saved log with nothing and confirms it by response_url after the ack:
        that confirmation is the reply a person sees (the ack itself if none came). A loaded
        machine (xdist beside other work) may take seconds: it is waited for, not assumed."""
        self.settle(timeout=60.0)
        path = urllib.parse.urlparse(response_url).path
        sent = [c for c in self.fake.find("response_url") if c.path == path]
        self.confirmations.add(path)
        return Reply(200, sent[-1].args, ack.headers) if sent else ack

    def click(self, action_id: str, value: str, *, user: str = "U0ALICE") -> Reply:
        self.counter += 1
        body = action_body(user_id=user, team_id=WORKSPACE, channel_id=CHANNEL,
                           action_id=action_id, value=value,
                           response_url=self.fake.response_url(str(self.counter)))
        return self.post(body, sign(SECRET, body))

    def responses(self, count: int = 1, timeout: float = 30.0) -> list:
        """The replies by response_url other than /log's confirmations, once `count` came."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.fake.find("response_url")
                     if c.path not in self.confirmations]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"expected {count} response_url replies: {found}"
                return found
            time.sleep(0.01)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every listener has finished, including work done after its ack (and
        /log's follow-ups, on their own pool: handlers/log.py)."""
        deadline = time.monotonic() + timeout
        while (running := self.listeners.running.copy()) and time.monotonic() < deadline:
            wait(running, timeout=deadline - time.monotonic())
        FOLLOW_UPS.wait(max(0.0, deadline - time.monotonic()))
        # wait() waits for the runners it saw; a log queued meanwhile may be taken by a
        # runner started after its look (the one holding its person's logs): until none is
        # left queued or running.
        while FOLLOW_UPS.settling() and time.monotonic() < deadline:
            time.sleep(0.005)
            FOLLOW_UPS.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        self.listeners.shutdown(wait=True)
        self.server.close()
        # waitress's close() leaves its worker threads waiting for work, and its loop polling
        # whatever connections are left in its map: once their file descriptors are closed
        # and reused by a later test's sockets, that stale loop could read a later test's
        # request (which then hung). Close them all, so the loop ends, and wait for it.
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(self.server._map)
        self.thread.join(timeout=5)


def make_deps(database_url: str, fake: FakeSlack, clock: FixedClock) -> tuple[Settings, Deps]:
    settings = Settings(database_url=database_url, bot_token="xoxb-test",
                        signing_secret=SECRET, slack_api_url=fake.api_url)
    deps = Deps.build(settings, clock=clock)
    db.upgrade(deps.engine)
    return settings, deps


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@contextlib.contextmanager
def east_bot(database_url: str, fake: FakeSlack, clock: FixedClock,
             members: tuple[str, ...] = ("U0ALICE", "U0BO")) -> Iterator[Bot]:
    """The app on `database_url` with one team, East (Shanghai, CNY): Mei manages `members`."""
    settings, deps = make_deps(database_url, fake, clock)
    with deps.sessions() as session:
        teams.create_team(session, workspace_id=WORKSPACE, name="East", channel_id=CHANNEL,
                          managers=["U0MEI"], members=list(members), tz="Asia/Shanghai",
                          currency="CNY", now=clock.now())
    running = Bot(settings, deps, fake)
    try:
        yield running
    finally:
        running.close()
        deps.engine.dispose()


@pytest.fixture
def bot(database_url: str, fake_slack: FakeSlack, clock: FixedClock) -> Iterator[Bot]:
    with east_bot(database_url, fake_slack, clock) as running:
        yield running
    assert fake_slack.problems == [], fake_slack.problems


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_on_each_database(request: pytest.FixtureRequest, database_url: str,
                         fake_slack: FakeSlack, clock: FixedClock) -> Iterator[Bot]:
    """`bot`, once on SQLite and once on PostgreSQL (skipped, saying why, without one)."""
    url = database_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with east_bot(url, fake_slack, clock) as running:
        yield running
    assert fake_slack.problems == [], fake_slack.problems


POSTGRES_URL = os.environ.get("PACER_TEST_POSTGRES_URL", "")


def migrated_engine(request: pytest.FixtureRequest, tmp_path: Path, dialect: str) -> Engine:
    """A migrated database on `dialect`: "sqlite" (a file in `tmp_path`), or a scratch
    PostgreSQL one (skipped, saying why, without a server)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'migrated.db'}" if dialect == "sqlite"
                            else request.getfixturevalue("pg_url"))
    db.upgrade(engine)
    return engine


def seeded_engine(request: pytest.FixtureRequest, tmp_path: Path, dialect: str,
                  **seed_args: object) -> Engine:
    """`migrated_engine`, seeded by benchmarks/seed.py with `seed_args`."""
    from benchmarks.seed import seed

    engine = migrated_engine(request, tmp_path, dialect)
    seed(engine, **seed_args)
    return engine


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A scratch database on PACER_TEST_POSTGRES_URL's server, dropped after the test;
    the test is skipped, saying why, when there is none."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests skipped: PACER_TEST_POSTGRES_URL is not set")
    admin = create_engine(db.normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    name = f"pacer_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means skip
        pytest.skip(f"PostgreSQL tests skipped: no server reachable at {POSTGRES_URL} ({exc})")
    url = make_url(db.normalise_url(POSTGRES_URL)).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
