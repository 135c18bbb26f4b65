"""Listeners bound from tables: Bolt injects its arguments, `deps` comes from the binding."""

from __future__ import annotations

import functools
import json
import logging

import pytest
from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult

import handlers
from bot.slack.signing import command_body
from handlers import registry

DEPS = object()  # any object: the registry passes it through untouched


def _seen(deps: object) -> str:
    return "ok" if deps is DEPS else repr(deps)


def handle_echo(ack: Ack, command: dict, *, deps: object) -> None:
    ack(text=f"{command['text']} deps={_seen(deps)}")


def handle_with(ack: Ack, *, deps: object, word: str) -> None:
    ack(text=f"{word} deps={_seen(deps)}")


def _authorize(**_: object) -> AuthorizeResult:  # no Slack to ask in a unit test
    return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-test",
                           bot_user_id="UBOT", bot_id="BBOT")


def _app() -> App:
    return App(signing_secret="secret", authorize=_authorize,
               request_verification_enabled=False, process_before_response=True)


def _command(app: App, name: str, text: str) -> dict | str:
    body = command_body(name, text, user_id="U1", team_id="T1", channel_id="C1",
                        response_url="http://127.0.0.1:9/none")
    response = app.dispatch(BoltRequest(body=body, headers={
        "content-type": ["application/x-www-form-urlencoded"]}))
    assert response.status == 200, response.body
    return json.loads(response.body) if response.body.startswith("{") else response.body


def test_bolt_injects_its_arguments_and_never_touches_deps(
        caplog: pytest.LogCaptureFixture) -> None:
    app = _app()
    registry.register(app, DEPS, [  # type: ignore[arg-type]
        ("command", "/echo", handle_echo),
        ("command", "/with", functools.partial(handle_with, word="hello"))])
    with caplog.at_level(logging.DEBUG):
        assert _command(app, "/echo", "hi") == "hi deps=ok"
        assert _command(app, "/with", "") == "hello deps=ok"
    # Bolt warns "... is not a valid argument" (and passes None) for a name it does not know.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_listener_whose_deps_bolt_could_see_is_refused() -> None:
    def handle_bad(ack: Ack, deps: object) -> None:  # Bolt would call it with deps=None
        ack()

    def handle_odd(ack: Ack, session: object, *, deps: object) -> None:  # Bolt has no session
        ack()

    with pytest.raises(TypeError, match="keyword-only"):
        registry.bind(handle_bad, DEPS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keyword-only"):
        registry.bind(lambda ack: ack(), DEPS)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="session"):
        registry.bind(handle_odd, DEPS)  # type: ignore[arg-type]


def test_the_bound_listener_keeps_its_name() -> None:
    assert registry.bind(handle_echo, DEPS).__name__ == "handle_echo"  # type: ignore[arg-type]
    bound = registry.bind(functools.partial(handle_with, word="x"), DEPS)  # type: ignore[arg-type]
    assert bound.__name__ == "handle_with"


def handle_late_failure(ack: Ack, command: dict, *, deps: object) -> None:
    ack(text="on it")
    raise ValueError(command["text"])


def handle_early_failure(ack: Ack, command: dict, *, deps: object) -> None:
    raise ValueError(command["text"])


def test_an_error_after_the_ack_goes_to_the_error_handler_and_the_ack_stands() -> None:
    """Bolt would clear the ack's response if the error reached it (thread_runner.py sets
    ack.response to the error's response, None once acknowledged)."""
    seen: list[tuple] = []

    def on_error(*, error: Exception, body: dict, client: object, response: object,
                 respond: object, deps: object) -> None:
        seen.append((str(error), body["command"], response, deps is DEPS))

    def handle_error(error: Exception, response: BoltResponse) -> BoltResponse:
        return BoltResponse(status=200, body=f"sorry: {error}")

    app = _app()
    app.error(handle_error)
    registry.register(app, DEPS, [  # type: ignore[arg-type]
        ("command", "/late", handle_late_failure), ("command", "/early", handle_early_failure)],
        on_error=on_error)
    assert _command(app, "/late", "boom") == "on it"
    assert seen == [("boom", "/late", None, True)]
    # Before the ack, Bolt's own error handler fills the HTTP response, as Bolt intends.
    assert _command(app, "/early", "bang") == "sorry: bang"
    assert len(seen) == 1


def test_every_handler_module_lists_named_module_level_listeners() -> None:
    for module in handlers.MODULES:
        assert module.LISTENERS, module.__name__
        for kind, key, listener in module.LISTENERS:
            assert kind in registry.KINDS, (module.__name__, key)
            function = listener.func if isinstance(listener, functools.partial) else listener
            assert function.__name__.startswith("handle_"), (module.__name__, key)
            assert "<locals>" not in function.__qualname__, (module.__name__, key)
