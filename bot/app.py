"""The Bolt app: built from settings and dependencies, handlers registered, one error handler."""

from __future__ import annotations

import json
import logging
from concurrent.futures import Executor

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond

from bot.config import Settings
from bot.deps import Deps
from bot.i18n import DEFAULT_LANG, t
from bot.slackapi import web_client
from handlers import register_all

log = logging.getLogger(__name__)


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool = False,
               listener_executor: Executor | None = None) -> App:
    app = App(
        signing_secret=settings.signing_secret,
        client=web_client(settings),  # carries the bot token, base URL and retry handlers
        # Socket Mode frames are authenticated by the app token; there is no signature.
        request_verification_enabled=not socket_mode,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("pacer.bolt"),
        listener_executor=listener_executor,
    )

    @app.error
    def handle_error(error: Exception, body: dict, response: BoltResponse | None,
                     respond: Respond | None) -> BoltResponse | None:
        log.error("listener failed: %s", error, exc_info=error)
        user_id = (body.get("user_id") or (body.get("user") or {}).get("id") or "")
        profile = deps.users.cached(body.get("team_id") or "", user_id) if user_id else None
        text = t(profile.lang if profile else DEFAULT_LANG, "errors.internal")
        if response is not None:  # not acknowledged yet: the reply goes in the HTTP response
            return BoltResponse(status=200, body=json.dumps(
                {"response_type": "ephemeral", "text": text}),
                headers={"content-type": "application/json"})
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        return None

    register_all(app, deps)
    return app
