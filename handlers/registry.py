"""Listeners registered from tables: each handler module lists its `handle_*` functions as
`LISTENERS = [(kind, key, listener), ...]`, and `register` binds the app's dependencies.

Bolt calls a listener with the arguments its signature names (ack, body, client, ...: see
slack_bolt/kwargs_injection/utils.py). It reads those names from the *positional* parameters
of the unwrapped function, and gives any name it does not know the value None. `deps` is
therefore keyword-only in every listener: Bolt never sees it, and the partial's value stands.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App

from bot.deps import Deps

KINDS = ("command", "action", "view", "event")
Listener = tuple[str, str | re.Pattern, Callable[..., Any]]


def bind(listener: Callable[..., Any], deps: Deps) -> Callable[..., Any]:
    """`listener` with `deps` given; Bolt still sees the listener's own name and arguments."""
    parameter = inspect.signature(listener).parameters.get("deps")
    if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
        raise TypeError(f"{listener!r} must take `*, deps` (keyword-only): Bolt would "
                        "pass None for any other parameter it does not know")
    bound = functools.partial(listener, deps=deps)
    # __wrapped__ and __name__: Bolt unwraps to read the arguments, and logs by name.
    return functools.update_wrapper(bound, listener)


def register(app: App, deps: Deps, listeners: Iterable[Listener]) -> None:
    for kind, key, listener in listeners:
        if kind not in KINDS:
            raise ValueError(f"unknown listener kind {kind!r} for {key!r}")
        getattr(app, kind)(key)(bind(listener, deps))


def keys(listeners: Iterable[Listener], kind: str) -> set[str]:
    """The literal keys of one kind in a table (the commands, the events)."""
    return {key for k, key, _ in listeners if k == kind and isinstance(key, str)}
