"""Logs as production writes them: JSON or text, a request or run id on every line, and
neither secrets nor what users typed at INFO."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot import logs
from bot.clock import FixedClock
from bot.config import ConfigError, Settings
from bot.jobs.scheduler import Scheduler
from bot.slack.signing import command_body, sign
from store import teams
from tests.conftest import CHANNEL, SECRET, WORKSPACE, Bot, make_deps
from tests.fakes import FakeSlack
from tests.handlers.test_checkin import open_form, submit


@pytest.fixture
def captured(bot: Bot) -> Iterator[io.StringIO]:
    """The log as `pacer run` with LOG_FORMAT=json writes it, at INFO."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure(level="INFO", fmt="json", secrets=bot.settings.secrets,
                             stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_log_has_request_ids_everywhere_and_no_secrets_or_typed_text(
        bot: Bot, fake_slack: FakeSlack, captured: io.StringIO) -> None:
    # A /log whose id the load balancer set.
    body = command_body("/log", "visit Zanzibar Trading", user_id="U0ALICE",
                        team_id=WORKSPACE, channel_id=CHANNEL,
                        response_url=fake_slack.response_url("lb"))
    reply = bot.post(body, {**sign(SECRET, body), "X-Request-Id": "lb-7f3a"})
    assert reply.status == 200 and reply.headers["X-Request-Id"] == "lb-7f3a"
    # /scorecard answers after its ack; its chart upload fails there, on the listener pool.
    fake_slack.scripted["files.getUploadURLExternal"] = [
        (200, {"ok": False, "error": "not_allowed_token_type"}, {})]
    card = bot.command("", command="/scorecard").headers["X-Request-Id"]
    fake_slack.wait_for("files.getUploadURLExternal")
    # A form typed into and sent.
    view = open_form(bot)
    assert submit(bot, view, {"plan": "Quixotic Holdings lunch", "visits": "3", "calls": "5",
                              "customers": "Quixotic", "yesterday": "signed Umbrage Ltd",
                              "blockers": "Vexillum pricing"})[0] == 200
    # A listener that fails after its ack: an ERROR with its traceback. (A second after it:
    # Bolt polls for the ack every 10 ms and forgets it when the listener fails sooner.)
    fake_slack.scripted["views.open"] = [
        (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
        (200, {"ok": False, "error": "expired_trigger_id"}, {})]
    reply = bot.command("", command="/checkin")
    assert reply.status == 200
    failed = reply.headers["X-Request-Id"]
    fake_slack.wait_for("response_url", 2)
    # A forged request: Bolt logs a bad signature with the whole body unless kept out.
    forged = command_body("/log", "visit Zanzibar Trading", user_id="U0ALICE",
                          team_id=WORKSPACE, channel_id=CHANNEL,
                          response_url=fake_slack.response_url("x"))
    assert bot.post(forged, sign("wrong-secret", forged)).status == 401
    bot.listeners.shutdown(wait=True)  # everything done after the acks is in the log

    records = lines(captured)
    assert records and all({"time", "level", "logger", "thread", "request_id", "message"}
                           <= set(r) for r in records)
    by_id = {r["request_id"] for r in records}
    assert {"lb-7f3a", card, failed} <= by_id
    assert any(r["request_id"] == "lb-7f3a" and r["message"].endswith("(command /log)")
               for r in records)
    chart = [r for r in records if "scorecard chart" in r["message"]]
    assert [(r["request_id"], r["level"]) for r in chart] == [(card, "WARNING")]
    assert chart[0]["thread"].startswith("listener")  # the id followed it onto the pool
    assert not [r for r in records if r["level"] == "WARNING" and r not in chart]
    error = [r for r in records if r["level"] == "ERROR"]
    assert [r["request_id"] for r in error] == [failed]
    assert error[0]["thread"].startswith("listener") and "SlackApiError" in error[0]["exception"]
    # The forged request is refused before Bolt reads it (bot/slack/request.py, issue 14).
    assert any(r["logger"] == "bot.slack.request" and "(401)" in r["message"] for r in records)
    text = captured.getvalue()
    for secret in ("xoxb-test", SECRET):
        assert secret not in text
    for typed in ("Zanzibar", "Quixotic", "Umbrage", "Vexillum"):
        assert typed not in text


def test_an_unsafe_incoming_request_id_is_replaced(bot: Bot, captured: io.StringIO) -> None:
    body = command_body("/log", "help", user_id="U0ALICE", team_id=WORKSPACE,
                        channel_id=CHANNEL, response_url=bot.fake.response_url("1"))
    reply = bot.post(body, {**sign(SECRET, body), "X-Request-Id": "x\" forged=1"})
    assert reply.status == 200
    fresh = reply.headers["X-Request-Id"]
    assert len(fresh) == 32 and fresh.isalnum()
    assert fresh in {r["request_id"] for r in lines(captured)}


def test_tokens_secrets_and_oauth_codes_are_redacted_wherever_they_appear() -> None:
    stream = io.StringIO()
    handler = logs.configure(fmt="json", secrets=["a-long-signing-secret", "short"],
                             stream=stream)
    log = logging.getLogger("pacer.test")
    try:
        with logs.request_context("r-1"):
            log.warning("token %s and %s", "xoxb-123-456-abcDEF", "xapp-1-A0-99-ff")
            try:
                raise RuntimeError("bad auth xoxe.xoxp-1-abc with a-long-signing-secret")
            except RuntimeError:
                log.exception("failed")
            # What Bolt's OAuth flow says when an install's code cannot be exchanged:
            log.warning("Failed to fetch oauth.v2.access result with code: 1234.5678.ab9f "
                        "- error: invalid_code")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second, third = lines(stream)
    assert third["message"].startswith("Failed to fetch oauth.v2.access result with code: "
                                       "[redacted] - error")
    assert first["message"] == "token xoxb-[redacted] and xapp-[redacted]"
    assert first["request_id"] == second["request_id"] == "r-1"
    assert "xoxe.xoxp-[redacted] with [redacted]" in second["exception"]
    assert "123-456" not in stream.getvalue() and "signing-secret" not in stream.getvalue()


def test_text_format_is_one_readable_line_with_the_id() -> None:
    stream = io.StringIO()
    handler = logs.configure(fmt="text", stream=stream)
    try:
        logging.getLogger("pacer.test").warning("outside a request")
        with logs.request_context("abc123"):
            logging.getLogger("pacer.test").warning("inside one")
    finally:
        logging.getLogger().removeHandler(handler)
    outside, inside = stream.getvalue().splitlines()
    assert outside.endswith("WARNING pacer.test [-] outside a request")
    assert inside.endswith("WARNING pacer.test [abc123] inside one")


def test_waitress_saying_its_queue_is_deep_is_written_at_most_once_a_second() -> None:
    """waitress warns for every request that finds its threads busy: a line per /log under a
    burst. One a second is kept; other loggers' lines are not held back."""
    stream = io.StringIO()
    handler = logs.configure(fmt="text", stream=stream)
    queue = logging.getLogger("waitress.queue")
    try:
        for depth in (3, 4, 5):
            queue.warning("Task queue depth is %d", depth)
        logging.getLogger("pacer.test").warning("one")
        logging.getLogger("pacer.test").warning("two")
        record = queue.makeRecord(queue.name, logging.WARNING, "f", 1, "Task queue depth is %d",
                                  (9,), None)
        record.created += 1.5  # a second and a half later
        queue.handle(record)
    finally:
        logging.getLogger().removeHandler(handler)
    found = stream.getvalue().splitlines()
    assert [line.split("] ", 1)[1] for line in found] == [
        "Task queue depth is 3", "one", "two", "Task queue depth is 9"]


def test_a_scheduled_run_writes_its_run_id_on_its_lines(
        database_url: str, fake_slack: FakeSlack) -> None:
    wed_0931_shanghai = datetime(2026, 11, 18, 1, 31, tzinfo=UTC)
    _, deps = make_deps(database_url, fake_slack, FixedClock(wed_0931_shanghai))
    with deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=wed_0931_shanghai - timedelta(hours=1))
    stream = io.StringIO()
    handler = logs.configure(fmt="json", stream=stream)
    try:
        assert Scheduler(deps).tick("checkin-reminder").sent
    finally:
        logging.getLogger().removeHandler(handler)
    summary = [r for r in lines(stream) if r["message"].startswith("checkin-reminder at")]
    assert len(summary) == 1 and summary[0]["request_id"].startswith("run-")
    deps.engine.dispose()


@pytest.mark.parametrize(("env", "problem"), [
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be text or json, got 'xml'"),
    ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ({"SHUTDOWN_GRACE_SECONDS": "soon"}, "SHUTDOWN_GRACE_SECONDS must be a number of seconds"),
    ({"SHUTDOWN_GRACE_SECONDS": "-1"}, "SHUTDOWN_GRACE_SECONDS must be a number of seconds"),
])
def test_bad_log_and_shutdown_settings_are_named(env: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        Settings.from_env(env)


def test_log_and_shutdown_settings_and_the_secrets_to_redact() -> None:
    settings = Settings.from_env({"LOG_FORMAT": "JSON", "LOG_LEVEL": "debug",
                                  "SHUTDOWN_GRACE_SECONDS": "7.5", "SLACK_BOT_TOKEN": "xoxb-1",
                                  "DATABASE_URL": "postgresql://pacer:hunter22@db/pacer"})
    assert (settings.log_format, settings.log_level, settings.shutdown_grace) == (
        "json", "DEBUG", 7.5)
    assert {"xoxb-1", "hunter22"} <= set(settings.secrets)
    assert Settings.from_env({}).shutdown_grace == 25
