"""Slack's front door: one module per command family, each with its `handle_*` listeners and
a LISTENERS table; shared helpers in forms.py (modals), access.py (who may see what) and
registry.py (binding). Handlers may import bot/ and store/, and no other handler module
except those helpers."""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.middleware import Middleware

from bot.deps import Deps
from handlers import (
    actions,
    brief,
    calibrate,
    calibrate_forms,
    checkin,
    home,
    lead,
    log,
    pacer,
    rate,
    registry,
    review,
    review_plans,
    review_talk,
    score,
    stale,
    target,
    workspace,
)

# The order Bolt tries them in: the stale-button fallback matches anything, so it is last.
MODULES = (log, checkin, brief, lead, pacer, rate, score, target, calibrate, calibrate_forms,
           actions, review, review_talk, review_plans, workspace, home, stale)


def register_all(app: App, deps: Deps, on_error: registry.ErrorHandler | None = None,
                 here: Middleware | None = None) -> None:
    """Every module's listeners, in MODULES' order; `on_error` answers what fails after an
    ack, `here` runs a listener on the request's thread (handlers/registry.py)."""
    for module in MODULES:
        registry.register(app, deps, module.LISTENERS, on_error, here)


def commands() -> set[str]:
    """Every slash command a handler answers (the manifest test compares against it)."""
    return set().union(*(registry.keys(module.LISTENERS, "command") for module in MODULES))


def events() -> set[str]:
    """Every Events API event a handler answers (the manifest must subscribe to them)."""
    return set().union(*(registry.keys(module.LISTENERS, "event") for module in MODULES))
