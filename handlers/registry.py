"""Listeners registered from tables: each handler module lists its `handle_*` functions as
`LISTENERS = [(kind, key, listener), ...]`, and `register` gives each the app's dependencies
(`deps`, keyword-only) and the one error handler.

Bolt injects a listener's arguments by the names of its positional parameters (ack, body,
client, ...; slack_bolt/kwargs_injection/utils.py), and passes None for any name it does not
know. So the function Bolt sees takes Bolt's `args` (every argument it has) and calls the
listener with the names it asks for plus `deps`; a listener whose `deps` Bolt could see is
refused at registration.

An exception after the ack does not go back to Bolt: its thread runner would then set the
ack's response to None, and a request it had already answered with a 200 could end, by a
race, as a 404 and "didn't call ack()". The error handler answers it instead, as Bolt would
have called it (no HTTP response left to fill: `response` is None).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.kwargs_injection import Args
from slack_bolt.middleware import Middleware

from bot.deps import Deps

KINDS = ("command", "action", "view", "event")
Listener = tuple[str, str | re.Pattern, Callable[..., Any]]
# What a listener may ask Bolt for (the attributes of Bolt's Args).
BOLT_ARGUMENTS = frozenset({
    "logger", "client", "req", "request", "resp", "response", "context", "body", "payload",
    "options", "shortcut", "action", "view", "command", "event", "message", "ack", "say",
    "respond", "complete", "fail"})
ErrorHandler = Callable[..., BoltResponse | None]


def bolt_arguments(listener: Callable[..., Any]) -> list[str]:
    """The arguments `listener` takes from Bolt (its positional parameters); its `deps` must
    be keyword-only, where Bolt's injection cannot reach."""
    parameters = inspect.signature(listener).parameters
    deps = parameters.get("deps")
    if deps is None or deps.kind is not inspect.Parameter.KEYWORD_ONLY:
        raise TypeError(f"{listener!r} must take `*, deps` (keyword-only): Bolt would "
                        "pass None for any other parameter it does not know")
    names = [name for name, p in parameters.items()
             if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    unknown = [name for name in names if name not in BOLT_ARGUMENTS]
    if unknown:
        raise TypeError(f"{listener!r} asks Bolt for {unknown}, which it does not give")
    return names


def bind(listener: Callable[..., Any], deps: Deps,
         on_error: ErrorHandler | None = None) -> Callable[[Args], Any]:
    """The function Bolt calls for `listener`: its arguments by name, `deps`, and an error
    after the ack handed to `on_error` (see the module's docstring)."""
    names = bolt_arguments(listener)

    def handle(args: Args) -> Any:
        try:
            return listener(**{name: getattr(args, name) for name in names}, deps=deps)
        except Exception as error:
            if on_error is None or args.ack.response is None:
                raise  # not acknowledged: Bolt's error handler answers in the HTTP response
            on_error(error=error, body=args.body, client=args.client, response=None,
                     respond=args.respond, deps=deps)
            return None

    target = getattr(listener, "func", listener)  # a partial: its function's name
    handle.__name__ = handle.__qualname__ = getattr(target, "__name__", "listener")
    handle.__doc__ = target.__doc__
    return handle


def on_request_thread(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a listener that returns right after its ack (nothing slow left to do): Bolt
    runs it on the request's own thread rather than handing it to its listener pool and
    polling for the ack (bot/app.py: ListenerExecutor). Its HTTP response goes out when it
    returns, so work after its ack must be handed on (a /log's follow-up is queued)."""
    listener.on_request_thread = True  # type: ignore[attr-defined]
    return listener


def register(app: App, deps: Deps, listeners: Iterable[Listener],
             on_error: ErrorHandler | None = None, here: Middleware | None = None) -> None:
    """`here`: the listener middleware that runs a listener marked `on_request_thread` on
    the request's thread (bot/app.py: RUN_HERE); without it, every listener runs as Bolt
    runs it."""
    for kind, key, listener in listeners:
        if kind not in KINDS:
            raise ValueError(f"unknown listener kind {kind!r} for {key!r}")
        extra = {"middleware": [here]} if here is not None and getattr(
            listener, "on_request_thread", False) else {}
        getattr(app, kind)(key, **extra)(bind(listener, deps, on_error))


def keys(listeners: Iterable[Listener], kind: str) -> set[str]:
    """The literal keys of one kind in a table (the commands, the events)."""
    return {key for k, key, _ in listeners if k == kind and isinstance(key, str)}
