"""One module per command family; each exposes register(app, deps)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import brief, checkin, lead, log, pacer, rate, review, score, target

MODULES = (log, checkin, brief, lead, pacer, rate, score, target, review)


def register_all(app: App, deps: Deps) -> None:
    for module in MODULES:
        module.register(app, deps)


def commands() -> set[str]:
    """Every slash command a handler answers (the manifest test compares against it)."""
    return {command for module in MODULES for command in getattr(module, "COMMANDS", ())}
