"""The App Home: published when a person opens it (bot/services/home.py says what it shows), and its
"Log an activity" form, which takes one line of /log's grammar.

Opening the Home is an Events API delivery, handled once per event_id (store/events.py);
it republishes only when Slack shows no Home yet, the Home is stale, or its last publish is a
minute old (a person flicking between tabs costs nothing). Data changes are picked up by the
`home` job (bot/jobs/home.py), never on the request that made them.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from bot.grammar.log import LogParseError
from bot.i18n import t
from bot.jobs import home
from bot.render import home as render
from bot.render.log import log_error_blocks, log_saved_blocks
from bot.services import activity as logs
from handlers.forms import metadata, modal_value
from store import events, homes

log = logging.getLogger(__name__)


def handle_home_opened(body: dict, event: dict, client: WebClient, context: BoltContext, *,
                       deps: Deps) -> None:
    if event.get("tab") != "home":
        return  # the Messages tab
    workspace_id = deps.workspace_id(context.team_id or body.get("team_id"))
    user_id = event["user"]
    now = deps.clock.now()
    with deps.sessions() as session:
        if not events.first_delivery(session, event_id=body["event_id"],
                                     workspace_id=workspace_id, kind=event.get("type", ""),
                                     now=now):
            log.info("app_home_opened %s seen before (a retry)", body["event_id"])
            return
        row_id = homes.opened(session, workspace_id=workspace_id, user_id=user_id,
                              now=now, shown=bool(event.get("view")), gap=home.GAP)
    if row_id is not None:
        home.send(deps, client, row_id, workspace_id, user_id, now)


def handle_log_button(ack: Ack, body: dict, client: WebClient, *, deps: Deps) -> None:
    ack()
    who = deps.who(client, body)
    client.views_open(trigger_id=body["trigger_id"],
                      view=render.log_modal(who.lang, nonce=body["trigger_id"]))


def handle_log_submit(ack: Ack, body: dict, view: dict, client: WebClient, *,
                      deps: Deps) -> None:
    who = deps.who(client, body)
    text = modal_value((view.get("state") or {}).get("values") or {}, render.LOG_FIELD)
    try:
        parsed = logs.read(deps, who, text)
    except LogParseError as error:  # shown beside the field: the form stays open
        reply = log_error_blocks(who.lang, error)
        ack(response_action="errors", errors={render.LOG_FIELD: t(
            who.lang, "home.log_error", error=reply["text"].replace("*", ""),
            example=error.example)})
        return
    if parsed.action != "log":
        ack(response_action="errors", errors={render.LOG_FIELD: t(
            who.lang, "home.log_only", word=text.split()[0] if text.split() else "help")})
        return
    assert parsed.entry is not None
    # One form, one log: the nonce names the form, as a trigger_id names a /log. The
    # person is part of it, so a form carrying someone else's nonce can't fetch their log.
    source = f"home:{who.user_id}:{metadata(view).get('n') or body.get('trigger_id')}"
    reply = log_saved_blocks(who.lang, logs.save(deps, who, parsed.entry, text, source))
    ack(response_action="update", view=render.log_saved_view(who.lang, reply))
    if render.asks_customer(reply):  # its buttons need a message to answer in
        channel = client.conversations_open(users=who.user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=reply["text"], blocks=reply["blocks"])
    home.refresh(deps, client, who.workspace_id, who.user_id)


LISTENERS = [
    ("event", "app_home_opened", handle_home_opened),
    ("action", render.LOG_ACTION, handle_log_button),
    ("view", render.LOG_FORM, handle_log_submit),
]
