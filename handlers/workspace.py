"""Pacer uninstalled from a workspace, or its bot token revoked: the tokens go, the data stays.

Every Events API listener goes through `first_time`, so a delivery Slack retries
(X-Slack-Retry-Num), or one that reaches two processes, is handled once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners
from sqlmodel import Session

from bot.deps import Deps
from store import audit, events, workspaces

log = logging.getLogger(__name__)


def first_time(deps: Deps, session: Session, body: dict, workspace_id: str) -> bool:
    """Whether this Events API delivery is new. Call it in the session that does the event's
    work, so the event counts as handled only once that work commits."""
    return events.first_delivery(session, event_id=body["event_id"], workspace_id=workspace_id,
                                 kind=(body.get("event") or {}).get("type", ""),
                                 now=deps.clock.now())


def handle_app_uninstalled(body: dict, context: BoltContext, *, deps: Deps) -> None:
    _gone(deps, body, context, bot_gone=True,
          revoke=lambda tokens: tokens.handle_app_uninstalled_events(context))


def handle_tokens_revoked(body: dict, event: dict, context: BoltContext, *, deps: Deps) -> None:
    _gone(deps, body, context, bot_gone=bool((event.get("tokens") or {}).get("bot")),
          revoke=lambda tokens: tokens.handle_tokens_revoked_events(event, context))


LISTENERS = [
    ("event", "app_uninstalled", handle_app_uninstalled),
    ("event", "tokens_revoked", handle_tokens_revoked),
]


def _gone(deps: Deps, body: dict, context: BoltContext, *, bot_gone: bool,
          revoke: Callable[[TokenRevocationListeners], None]) -> None:
    workspace_id = deps.workspace_id(context.team_id or body.get("team_id"))
    kind = body["event"]["type"]
    at = datetime.fromtimestamp(body["event_time"], UTC) if body.get("event_time") \
        else deps.clock.now()
    with deps.sessions() as session:
        if workspaces.installed_after(session, workspace_id=workspace_id, at=at):
            log.info("%s for %s ignored: installed again since", kind, workspace_id)
            return
    if deps.installations is not None:
        # Bolt's own handlers delete the tokens from the installation store. They run on
        # every delivery, before the dedupe below (deleting twice is harmless), so a failure
        # here leaves the event unseen and Slack's retry deletes them.
        revoke(TokenRevocationListeners(deps.installations))
    with deps.sessions() as session:
        if not first_time(deps, session, body, workspace_id):
            log.info("%s %s for %s seen before (a retry)", kind, body["event_id"], workspace_id)
            return
        if bot_gone:
            workspaces.uninstalled(session, workspace_id=workspace_id, at=at)
        audit.record(session, workspace_id=workspace_id, actor_user_id="slack",
                     action=f"workspace.{kind}", outcome="done", now=deps.clock.now(),
                     detail="bot token removed; data kept" if bot_gone else "user tokens")
    log.info("%s for %s: %s", kind, workspace_id,
             "tokens removed, scheduled jobs skip it" if bot_gone else "user tokens removed")
