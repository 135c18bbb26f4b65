"""Buttons and forms no handler knows (from a message or form an earlier version of Pacer
sent): say so instead of the 404 Slack would show as a broken button. Registered after every
other handler module: Bolt runs the first listener that matches."""

from __future__ import annotations

import re

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.i18n import t
from bot.render.blocks import apology_view

ANYTHING = re.compile(".*")


def handle_stale_button(ack: Ack, body: dict, client: WebClient, respond: Respond, *,
                        deps: Deps) -> None:
    ack()
    if body.get("response_url"):
        respond(text=t(deps.who(client, body).lang, "errors.stale"),
                response_type="ephemeral", replace_original=False)


def handle_stale_form(ack: Ack, body: dict, client: WebClient, *, deps: Deps) -> None:
    ack(response_action="update", view=apology_view(deps.who(client, body).lang,
                                                     "errors.stale"))


LISTENERS = [
    ("action", ANYTHING, handle_stale_button),
    ("view", ANYTHING, handle_stale_form),
]
