"""The Bolt app: built from settings and dependencies, handlers registered, one error handler."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot import logs
from bot.config import Settings
from bot.deps import Deps, NotServed
from bot.errors import Usage
from bot.i18n import DEFAULT_LANG, LANGS, t
from bot.render.blocks import apology_view, usage_blocks
from bot.slack.client import web_client
from handlers import register_all

log = logging.getLogger(__name__)


class _QuietTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; it does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


LISTENER_THREADS = 32
BOLT_LOG = logging.getLogger("pacer.bolt")
BOLT_LOG.addFilter(_QuietTokenWarning())


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool = False,
               listener_executor: Executor | None = None) -> App:
    oauth = None
    if deps.installations is not None:
        from bot.slack.install import oauth_settings

        oauth = oauth_settings(deps)
    app = App(
        signing_secret=settings.signing_secret,
        # Carries the base URL and retry handlers into Bolt's client for each request (and
        # the bot token with one; with OAuth, Bolt puts the workspace's own token there).
        client=web_client(settings),
        oauth_settings=oauth,
        # Said before Pacer can know the person (no token, no users.info): both languages.
        user_facing_authorize_error_message="\n".join(
            t(lang, "install.not_installed") for lang in LANGS),
        # Socket Mode frames are authenticated by the app token; there is no signature.
        request_verification_enabled=not socket_mode,
        raise_error_for_unhandled_request=False,
        logger=BOLT_LOG,
        # Bolt's default pool has 5 threads; every waitress thread may be waiting on one.
        # with_context: the request id follows a listener onto the pool (bot/logs.py).
        listener_executor=logs.with_context(listener_executor or ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="listener")),
    )
    app.use(logs.label_request)

    # deps is keyword-only: Bolt injects the error handler's other arguments by name.
    app.error(functools.partial(handle_error, deps=deps))
    app.use(_without_nul)
    app.use(held_to_its_workspace(deps))
    register_all(app, deps, on_error=handle_error)
    return app


def held_to_its_workspace(deps: Deps) -> Callable[..., BoltResponse]:
    """With one bot token, only requests from the token's own workspace reach a listener: a
    command from another (the same app installed elsewhere, another workspace of a Grid org)
    is told privately that Pacer isn't installed there; an event, button or form is
    acknowledged and ignored. Nothing is read or written for them. (With OAuth, Bolt's
    authorization has found the workspace's own installation, or refused already.)"""

    def middleware(body: dict, context: BoltContext, next: Callable[[], BoltResponse]
                   ) -> BoltResponse:
        try:
            # Every team the body names, as Bolt reads it and as Deps.who() does: a body that
            # mixes this workspace's id with another's is not this workspace's.
            named = {context.team_id, body.get("team_id"), (body.get("team") or {}).get("id")
                     if isinstance(body.get("team"), dict) else body.get("team"),
                     (body.get("user") or {}).get("team_id")
                     if isinstance(body.get("user"), dict) else None} - {None, ""}
            served = bool(named) and all(deps.serves_request(team, context.enterprise_id)
                                         for team in named)
        except SlackClientError as exc:  # auth.test failed: Slack is unreachable
            log.error("could not ask Slack which workspace the bot token is for: %s", exc)
            return _quiet(body, "\n".join(t(lang, "errors.internal") for lang in LANGS))
        if served:
            return next()
        log.warning("ignored a request from workspace %s (enterprise %s): not this bot "
                    "token's", context.team_id, context.enterprise_id)
        return _quiet(body, "\n".join(t(lang, "install.other_workspace") for lang in LANGS))

    return middleware


def _quiet(body: dict, text: str) -> BoltResponse:
    """A command gets `text`, privately; anything else a bare acknowledgement."""
    if body.get("command"):
        return BoltResponse(status=200, body=json.dumps(
            {"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json"})
    return BoltResponse(status=200, body="")


def _without_nul(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse:
    """NUL characters out of everything a person sent: PostgreSQL refuses them in text, and
    no one means one. (The raw body, whose signature was checked, is left alone.)"""
    _strip_nul(body)
    return next()


def _strip_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _strip_nul(item)
    elif isinstance(value, list):
        value[:] = [_strip_nul(item) for item in value]
    return value


def handle_error(error: Exception, body: dict, client: WebClient, response: BoltResponse | None,
                 respond: Respond | None, *, deps: Deps) -> BoltResponse | None:
    """Every listener's exception ends here. A usage error is answered privately, as the
    listener would have; anything else is logged and apologised for, privately. Before the
    ack (`response` is set) the answer is the HTTP response; after it, a response_url post
    (handlers/registry.py calls this itself for errors after the ack)."""
    if isinstance(error, Usage) and body.get("type") != "view_submission":
        reply = usage_blocks(error, deps.who(client, body).lang)
        if response is not None:
            return BoltResponse(status=200, body=reply)
        if respond is not None and body.get("response_url"):
            # A button's question answered wrongly: the answer replaces the question.
            respond(**reply, replace_original=True if body.get("type") == "block_actions"
                    else None)
        return None
    log.error("listener failed: %s", error, exc_info=error)
    user_id = (body.get("user_id") or (body.get("user") or {}).get("id") or "")
    team_id = body.get("team_id") or (body.get("team") or {}).get("id") or ""
    try:
        profile = deps.users.cached(deps.workspace_id(team_id), user_id) if user_id else None
    except (NotServed, SlackClientError):
        profile = None
    lang = profile.lang if profile else DEFAULT_LANG
    text = t(lang, "errors.internal")
    if body.get("type") == "view_submission" and response is not None:
        # A modal can't take a message: show the apology in the modal itself.
        return BoltResponse(status=200, body=json.dumps({"response_action": "update",
                            "view": apology_view(lang)}),
                            headers={"content-type": "application/json"})
    if response is not None:  # not acknowledged yet: the reply goes in the HTTP response
        return BoltResponse(status=200, body=json.dumps(
            {"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json"})
    if respond is not None and body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    return None
