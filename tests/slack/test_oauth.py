"""Installing into any workspace through OAuth: the real endpoints, tokens sealed at rest,
uninstalls and revocations, and Events API retries handled once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import select

from bot.cli import main
from bot.clock import FixedClock
from bot.config import Settings
from bot.deps import Deps
from bot.jobs import registry as jobs
from bot.slack.install import BOT_SCOPES
from store import db, teams, workspaces
from store.installations import SealedInstallationStore, TokenKeyError
from store.models import Activity, AuditEntry, Member, SeenEvent, Workspace
from tests.conftest import CHANNEL, NOW, Bot
from tests.fakes import FakeSlack
from tests.installs import (
    CLIENT_ID,
    deliver_event,
    finish_install,
    install,
    oauth_bot,
    oauth_settings,
    start_install,
)
from tests.slack.test_server import ROOT, free_port, get


@pytest.fixture
def app(database_url: str, fake_slack: FakeSlack, clock: FixedClock) -> Iterator[Bot]:
    running = oauth_bot(database_url, fake_slack, clock)
    yield running
    running.close()
    assert fake_slack.problems == [], fake_slack.problems


def east(bot: Bot, workspace_id: str) -> None:
    with bot.deps.sessions() as session:
        teams.create_team(session, workspace_id=workspace_id, name="East", channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0ALICE", "U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=bot.deps.clock.now())


def tokens_sent(fake: FakeSlack, method: str) -> set[str]:
    return {c.token for c in fake.find(method)}


def test_install_through_the_real_endpoints(app: Bot) -> None:
    query, cookie = start_install(app)
    assert query["client_id"] == CLIENT_ID and query["scope"].split(",") == list(BOT_SCOPES)
    app.fake.grant("code-1", "T0GLOBEX", "Globex Sales", installer="U0ADMIN")
    status, page = finish_install(app, "code-1", query["state"], cookie)
    assert status == 200 and "Thank you" in page
    token = app.fake.tokens_of("T0GLOBEX")[0]
    exchange = app.fake.find("oauth.v2.access")[0]
    assert exchange.args["code"] == "code-1" and exchange.token.startswith("Basic ")
    assert app.deps.client_for("T0GLOBEX").token == token
    with app.deps.sessions() as session:
        workspace = session.get(Workspace, "T0GLOBEX")
        trail = session.exec(select(AuditEntry.action, AuditEntry.actor_user_id)).all()
    assert workspace.name == "Globex Sales" and workspace.installed_at is not None
    assert workspace.uninstalled_at is None
    assert trail == [("workspace.install", "U0ADMIN"), ("admin.grant", "U0ADMIN")]  # the installer

    # The state is single-use, and only good in the browser that started the install.
    assert finish_install(app, "code-1", query["state"], cookie)[0] == 401
    query, cookie = start_install(app)
    assert finish_install(app, "code-2", query["state"], None)[0] == 400

    # A command from the new workspace is served with that workspace's own token.
    east(app, "T0GLOBEX")
    reply = app.command("visit Acme", team="T0GLOBEX")
    assert reply.status == 200 and "Acme" in reply.text
    assert tokens_sent(app.fake, "users.info") == {token}


def test_an_unknown_workspace_is_told_to_install(app: Bot) -> None:
    reply = app.command("visit Acme", team="T0NOBODY")
    said = json.dumps(app.fake.wait_for("response_url")[0].args, ensure_ascii=False)
    assert reply.status == 200 and "install it again" in said and "重新安装" in said
    with app.deps.sessions() as session:
        assert session.exec(select(Activity)).all() == []


def test_no_token_is_stored_in_clear(app: Bot, database_url: str, tmp_path: Path) -> None:
    token = install(app, "T0GLOBEX", "Globex")
    with app.deps.engine.connect() as conn:
        rows = [tuple(r) for table in ("slack_bots", "slack_installations")
                for r in conn.execute(text(f"SELECT * FROM {table}"))]
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert len(rows) == 2
    assert not any(token in str(value) for row in rows for value in row)
    assert not any(str(value).startswith("xox") for row in rows for value in row)
    # Not in any page of the database file, its write-ahead log included.
    files = list(tmp_path.glob("pacer.db*"))
    assert files and not any(token.encode() in f.read_bytes() for f in files)
    # Readable with the key; a different key fails loudly, naming the variable.
    assert app.deps.installations.bot_for("T0GLOBEX").bot_token == token
    other = SealedInstallationStore(client_id=CLIENT_ID, engine=app.deps.engine,
                                    keys=Settings(token_key=Fernet.generate_key().decode())
                                    .token_keys())
    with pytest.raises(TokenKeyError, match="PACER_TOKEN_KEY"):
        other.bot_for("T0GLOBEX")
    # Rotating: the new key first, the old one after it, reads what the old one sealed.
    rotated = Settings(token_key=f"{Fernet.generate_key().decode()},{app.settings.token_key}")
    store = SealedInstallationStore(client_id=CLIENT_ID, engine=app.deps.engine,
                                    keys=rotated.token_keys())
    assert store.bot_for("T0GLOBEX").bot_token == token


@pytest.mark.parametrize(("key", "named"), [("", "PACER_TOKEN_KEY (it encrypts"),
                                            ("not-a-key", "PACER_TOKEN_KEY must be Fernet")])
def test_run_with_oauth_and_no_usable_key_fails_fast(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, database_url: str,
        key: str, named: str) -> None:
    for name, value in {"DATABASE_URL": database_url, "SLACK_CLIENT_ID": CLIENT_ID,
                        "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "s",
                        "PACER_TOKEN_KEY": key, "SLACK_BOT_TOKEN": "",
                        "SLACK_APP_TOKEN": ""}.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    assert named in capsys.readouterr().err


def uninstall(bot: Bot, workspace_id: str, event_id: str, retry: int = 0,
              at: float | None = None, event: dict | None = None) -> None:
    reply = deliver_event(bot, event or {"type": "app_uninstalled"}, team_id=workspace_id,
                          event_id=event_id, retry=retry,
                          event_time=int(at or bot.deps.clock.now().timestamp()))
    assert reply.status == 200


def uninstalled_at(bot: Bot, workspace_id: str) -> datetime | None:
    with bot.deps.sessions() as session:
        return session.get(Workspace, workspace_id).uninstalled_at


def settled(bot: Bot, check, timeout: float = 10) -> None:  # noqa: ANN001
    """Events are handled after the ack: wait until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the event was not handled in time"
        time.sleep(0.02)


def test_uninstall_removes_the_token_keeps_the_data_and_reinstall_revives(
        app: Bot, clock: FixedClock) -> None:
    install(app, "T0ACME", "Acme")
    install(app, "T0GLOBEX", "Globex")
    for ws in ("T0ACME", "T0GLOBEX"):
        east(app, ws)
        assert app.command("visit Initech", team=ws, user="U0BO").status == 200
    uninstall(app, "T0GLOBEX", "Ev0UNINSTALL1")
    settled(app, lambda: uninstalled_at(app, "T0GLOBEX") is not None)
    assert app.deps.installations.bot_for("T0GLOBEX") is None
    with app.deps.engine.connect() as conn:
        left = conn.execute(text("SELECT team_id FROM slack_bots UNION ALL "
                                 "SELECT team_id FROM slack_installations")).scalars().all()
    assert sorted(left) == ["T0ACME", "T0ACME"]
    with app.deps.sessions() as session:
        assert session.get(Workspace, "T0GLOBEX").uninstalled_at is not None
        assert session.get(Workspace, "T0ACME").uninstalled_at is None
        logged = session.exec(select(Activity.workspace_id)).all()
    assert sorted(logged) == ["T0ACME", "T0GLOBEX"]  # the uninstalled workspace's data stays

    # Bo's check-in reminder (10:00 in Shanghai) goes to Acme only, and nothing fails.
    app.fake.clear()
    result = jobs.run_job(app.deps, "checkin-reminder", now=clock.now())
    assert (result.sent, result.failed, result.gave_up) == (1, 0, 0)
    acme = set(app.fake.tokens_of("T0ACME"))
    assert tokens_sent(app.fake, "chat.postMessage") <= acme
    assert {c.token for c in app.fake.calls if c.token} <= acme

    # Installed again: active, and the job posts there again.
    token = install(app, "T0GLOBEX", "Globex")
    with app.deps.sessions() as session:
        assert session.get(Workspace, "T0GLOBEX").uninstalled_at is None
    app.fake.clear()
    result = jobs.run_job(app.deps, "checkin-reminder", now=clock.now())
    assert result.sent == 1 and tokens_sent(app.fake, "chat.postMessage") == {token}
    # Slack retrying the old uninstall now changes nothing: it predates the re-install.
    uninstall(app, "T0GLOBEX", "Ev0UNINSTALL1", retry=1, at=clock.now().timestamp() - 60)
    app.close()
    assert app.deps.installations.bot_for("T0GLOBEX").bot_token == token


def test_a_revoked_bot_token_stops_the_jobs_there(app: Bot, clock: FixedClock) -> None:
    install(app, "T0GLOBEX", "Globex")
    east(app, "T0GLOBEX")
    uninstall(app, "T0GLOBEX", "Ev0REVOKED", event={
        "type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}})
    app.close()  # waits for the listeners
    with app.deps.sessions() as session:
        assert session.get(Workspace, "T0GLOBEX").uninstalled_at is not None
    app.fake.clear()
    result = jobs.run_job(app.deps, "checkin-reminder", now=clock.now())
    assert (result.sent, result.failed) == (0, 0) and app.fake.calls == []


def test_a_retried_event_is_handled_once_by_two_processes(
        database_url: str, fake_slack: FakeSlack, clock: FixedClock) -> None:
    first, second = (oauth_bot(database_url, fake_slack, clock) for _ in range(2))
    try:
        install(first, "T0GLOBEX", "Globex")
        uninstall(first, "T0GLOBEX", "Ev0ONCE")
        uninstall(second, "T0GLOBEX", "Ev0ONCE", retry=1)
        uninstall(second, "T0GLOBEX", "Ev0ONCE", retry=2)
    finally:
        first.close()
        second.close()
    # A third process (a restart) on the same database sees it as handled too.
    third = oauth_bot(database_url, fake_slack, clock)
    uninstall(third, "T0GLOBEX", "Ev0ONCE", retry=3)
    third.close()
    with third.deps.sessions() as session:
        handled = session.exec(select(AuditEntry.action)
                               .where(AuditEntry.action == "workspace.app_uninstalled")).all()
        seen = session.exec(select(SeenEvent.event_id, SeenEvent.type)).all()
    assert handled == ["workspace.app_uninstalled"]
    assert seen == [("Ev0ONCE", "app_uninstalled")]


def test_single_workspace_mode_marks_an_uninstall_too(bot: Bot, clock: FixedClock) -> None:
    uninstall(bot, "T0ACME", "Ev0SINGLE")
    bot.close()
    with bot.deps.sessions() as session:
        assert session.get(Workspace, "T0ACME").uninstalled_at is not None
    bot.fake.clear()
    result = jobs.run_job(bot.deps, "checkin-reminder", now=clock.now())
    assert (result.sent, result.failed) == (0, 0) and bot.fake.calls == []


def test_oauth_deps_need_the_key(database_url: str, fake_slack: FakeSlack) -> None:
    settings = oauth_settings(database_url, fake_slack, token_key=None)
    with pytest.raises(Exception, match="PACER_TOKEN_KEY"):
        Deps.build(settings)


@contextmanager
def pacer_run(env: dict[str, str]) -> Iterator[str]:
    """`pacer run` as deployed, in its own process; yields its base URL once healthy."""
    port = free_port()
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("SLACK_", "PACER_"))}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT,
                               env={**base_env, **env, "PORT": str(port)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while get(base + "/healthz")[0] != 200:
            assert process.poll() is None and time.monotonic() < deadline, \
                process.communicate()[0] if process.poll() is not None else "no answer"
            time.sleep(0.2)
        yield base
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
    finally:
        if process.poll() is None:
            process.kill()


def test_pacer_run_serves_the_install_and_a_working_token_revives_its_workspace(
        tmp_path: Path, fake_slack: FakeSlack) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        workspaces.uninstalled(session, workspace_id="T0ACME", at=NOW)
    common = {"DATABASE_URL": url, "SLACK_SIGNING_SECRET": "s",
              "SLACK_API_URL": fake_slack.api_url}
    # One bot token: it works, so its workspace (uninstalled before) is served again.
    with pacer_run({**common, "SLACK_BOT_TOKEN": "xoxb-replaced"}) as base:
        assert get(base + "/slack/install")[0] == 404
    with db.session_factory(engine)() as session:
        assert session.get(Workspace, "T0ACME").uninstalled_at is None
    # OAuth: the install page is served, its link carries the app's client id.
    with pacer_run({**common, "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "x",
                    "PACER_TOKEN_KEY": Fernet.generate_key().decode()}) as base:
        status, page = get(base + "/slack/install")
        assert status == 200 and f"client_id={CLIENT_ID}" in page
    engine.dispose()


def test_whoever_installs_pacer_is_its_admin_there_and_only_there(app: Bot) -> None:
    install(app, "T0GLOBEX", "Globex", installer="U0KIM")
    install(app, "T0INITECH", "Initech", installer="U0LEE")
    with app.deps.sessions() as session:
        admins_of = {(m.workspace_id, m.user_id): (m.role, m.admin_source, m.admin_by)
                     for m in session.exec(select(Member).where(Member.role == "admin"))}
        granted = session.exec(select(AuditEntry.workspace_id, AuditEntry.target).where(
            AuditEntry.action == "admin.grant")).all()
    assert admins_of == {("T0GLOBEX", "U0KIM"): ("admin", "installer", "U0KIM"),
                         ("T0INITECH", "U0LEE"): ("admin", "installer", "U0LEE")}
    assert sorted(granted) == [("T0GLOBEX", "U0KIM"), ("T0INITECH", "U0LEE")]
    reply = app.command("audit", command="/pacer", user="U0KIM", team="T0GLOBEX")
    assert "admin.grant" in json.dumps(reply.body)
    refused = app.command("audit", command="/pacer", user="U0KIM", team="T0INITECH")
    assert "Only a Pacer admin" in json.dumps(refused.body)
