"""The way to /log's ack: one signature check, Pacer's middleware in one step, and /log run
on the request's own thread (bot/app.py, bot/slack/request.py, handlers/registry.py)."""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import pytest
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk.signature import SignatureVerifier

from bot import app as bot_app
from bot.slack.signing import command_body, sign
from tests.conftest import CHANNEL, SECRET, WORKSPACE, Bot


def _counting_signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    checked: list[str] = []
    is_valid = SignatureVerifier.is_valid

    def counted(self: SignatureVerifier, body: str | bytes, timestamp: str,
                signature: str) -> bool:
        checked.append(signature)
        return is_valid(self, body, timestamp, signature)

    monkeypatch.setattr(SignatureVerifier, "is_valid", counted)
    return checked


def test_the_signature_is_checked_once_and_a_bad_one_is_still_refused(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _counting_signature_checks(monkeypatch)
    assert not any(isinstance(m, RequestVerification) for m in bot.app._middleware_list)
    body = command_body("/log", "visit Acme", user_id="U0ALICE", team_id=WORKSPACE,
                        channel_id=CHANNEL, response_url=bot.fake.response_url("sig"))
    assert bot.post(body, sign(SECRET, body)).status == 200
    assert len(checked) == 1  # Bolt's own check (the same HMAC again) is off
    assert bot.post(body, sign("wrong-secret", body)).status == 401
    assert bot.post(body.replace("Acme", "Evil"), sign(SECRET, body)).status == 401
    assert len(checked) == 3


def test_without_a_signing_secret_every_request_is_refused(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    body = command_body("/log", "visit Acme", user_id="U0ALICE", team_id=WORKSPACE,
                        channel_id=CHANNEL, response_url=bot.fake.response_url("none"))
    monkeypatch.setattr(bot.app, "_signing_secret", "")
    assert bot.post(body, sign("", body)).status == 401


class _Submitted(Executor):
    def __init__(self) -> None:
        self.names: list[str] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: ANN001
        self.names.append(threading.current_thread().name)
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_log_runs_on_the_request_thread_and_other_commands_on_the_pool(bot: Bot) -> None:
    submitted = bot.listeners.submit
    pooled: list[str] = []

    def counting(fn, /, *args, **kwargs) -> Future:  # noqa: ANN001
        pooled.append(getattr(fn, "__qualname__", ""))
        return submitted(fn, *args, **kwargs)

    bot.listeners.submit = counting  # type: ignore[method-assign]
    assert "✅" in bot.command("visit Acme").text
    assert "visit" in bot.command("vist Acme").text  # answered in the ack, corrected
    assert pooled == []
    bot.command("help", command="/pacer")
    bot.settle()
    assert len(pooled) == 1  # the others as Bolt runs them: after their ack, on the pool


def test_a_marked_listener_runs_at_once_and_keeps_its_error_in_the_future() -> None:
    pool = _Submitted()
    executor = bot_app.ListenerExecutor(pool)
    ran: list[str] = []

    def listener() -> str:
        ran.append(threading.current_thread().name)
        return "acked"

    assert executor.submit(listener).result() == "acked" and pool.names == [
        threading.current_thread().name]  # not marked: the pool's
    bot_app._HERE.set(True)  # as bot_app.RUN_HERE sets it before Bolt hands the listener on
    assert executor.submit(listener).result() == "acked"
    assert len(pool.names) == 1 and len(ran) == 2  # run here, not handed to the pool
    assert executor.submit(listener).result() == "acked" and len(pool.names) == 2  # once

    def failing() -> None:
        raise RuntimeError("boom")

    bot_app._HERE.set(True)
    future = executor.submit(failing)
    assert isinstance(future.exception(), RuntimeError)
    assert bot_app._HERE.get() is False


def test_shutting_the_listener_executor_down_shuts_its_pool_down() -> None:
    """A graceful stop (bot/slack/server.py) waits for the listeners on the pool."""
    pool = ThreadPoolExecutor(max_workers=1)
    executor = bot_app.ListenerExecutor(pool)
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "done"

    future = executor.submit(slow)
    started.wait(5)
    threading.Timer(0.05, release.set).start()
    executor.shutdown(wait=True)
    assert future.done() and future.result() == "done"
    with pytest.raises(RuntimeError):  # the pool takes no new work
        executor.submit(slow)
