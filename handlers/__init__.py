"""One module per command family; each exposes register(app, deps)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import (
    actions,
    brief,
    calibrate,
    checkin,
    home,
    lead,
    log,
    pacer,
    rate,
    review,
    score,
    target,
    workspace,
)

MODULES = (log, checkin, brief, lead, pacer, rate, score, target, calibrate, actions, review,
           workspace, home)


def register_all(app: App, deps: Deps) -> None:
    for module in MODULES:
        module.register(app, deps)


def commands() -> set[str]:
    """Every slash command a handler answers (the manifest test compares against it)."""
    return {command for module in MODULES for command in getattr(module, "COMMANDS", ())}


def events() -> set[str]:
    """Every Events API event a handler answers (the manifest must subscribe to them)."""
    return {event for module in MODULES for event in getattr(module, "EVENTS", ())}
