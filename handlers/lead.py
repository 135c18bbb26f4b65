"""/lead: placeholder while it is being built (registers nothing yet)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps

COMMANDS: tuple[str, ...] = ()


def register(app: App, deps: Deps) -> None:
    pass
