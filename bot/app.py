"""The Bolt app: built from settings and dependencies, handlers registered, one error handler."""

from __future__ import annotations

import contextvars
import functools
import json
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.middleware import Middleware
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


def create_app(settings: Settings, deps: Deps, *,
               listener_executor: Executor | None = None) -> App:
    """The same app for HTTP and Socket Mode: Bolt's signature check is off either way (an
    HTTP request's is checked in bot/slack/request.py; a Socket Mode frame has none)."""
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
        # Off: bot/slack/request.py checked the signature of every HTTP request before Bolt
        # sees it (Bolt's check would compute the same HMAC again). Socket Mode frames are
        # authenticated by the app token; there is no signature.
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        logger=BOLT_LOG,
        # Bolt's default pool has 5 threads; every waitress thread may be waiting on one.
        # with_context: the request id follows a listener onto the pool (bot/logs.py).
        listener_executor=ListenerExecutor(logs.with_context(listener_executor or
                                                             ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="listener"))),
    )
    # deps is keyword-only: Bolt injects the error handler's other arguments by name.
    app.error(functools.partial(handle_error, deps=deps))
    app.use(RequestChecks(held_to_its_workspace(deps)))
    register_all(app, deps, on_error=handle_error, here=RUN_HERE)
    return app


class RequestChecks(Middleware):
    """Pacer's global middleware, in this order: the request named for the access line
    (bot/logs.py), NULs stripped from the body, the request held to its workspace.

    One Bolt Middleware, not three functions given to app.use: for each of those Bolt builds
    every argument it could inject (the body read as an action, a view, an event, ...; a
    BoltContext copy), about 25 us of CPU a request each."""

    def __init__(self, hold: Callable[[dict, BoltContext], BoltResponse | None]) -> None:
        self.hold = hold

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002
        _HERE.set(False)  # whatever an earlier request on this thread left
        logs.label_request(req.body)
        _strip_nul(req.body)
        refused = self.hold(req.body, req.context)
        if refused is not None:
            return refused
        # What Bolt's own middleware returns: its runner takes a response set here for the
        # listener's, and would answer it instead of the listener's ack.
        return next()


# Set (for the request in hand) by RUN_HERE, a listener middleware, just before Bolt's
# runner hands the listener to its executor: ListenerExecutor then runs it at once.
_HERE: contextvars.ContextVar[bool] = contextvars.ContextVar("pacer_run_here", default=False)


class _RunHere(Middleware):
    """Listener middleware: this listener runs on the request's own thread (see
    ListenerExecutor). For listeners that return right after their ack."""

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002
        _HERE.set(True)
        return next()


RUN_HERE = _RunHere()


class ListenerExecutor(Executor):
    """Bolt's listener executor: a listener runs on the pool, so that its ack can be
    answered while it goes on working, except one registered with RUN_HERE
    (handlers/registry.py: on_request_thread), which runs at once on the request's thread.

    Bolt hands every listener to its executor, then polls for the ack every 10 ms: for a
    /log, which returns right after its ack, that was a hand-over between two threads each
    way and CPU spent on the polls (~0.3-0.4 ms of CPU a /log with 8 requests at once). Run
    here, the ack is in hand when Bolt starts waiting for it, and the HTTP response goes out
    when the listener returns (as with Bolt's process_before_response, for this listener
    only). What the listener raises is Bolt's own code's to handle, as on the pool."""

    def __init__(self, pool: Executor) -> None:
        self.pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if not _HERE.get():
            return self.pool.submit(fn, *args, **kwargs)
        _HERE.set(False)
        future: Future = Future()
        try:
            future.set_result(contextvars.copy_context().run(fn, *args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - kept in the future, as the pool would
            future.set_exception(error)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def held_to_its_workspace(deps: Deps) -> Callable[[dict, BoltContext], BoltResponse | None]:
    """With one bot token, only requests from the token's own workspace reach a listener: a
    command from another (the same app installed elsewhere, another workspace of a Grid org)
    is told privately that Pacer isn't installed there; an event, button or form is
    acknowledged and ignored. Nothing is read or written for them. (With OAuth, Bolt's
    authorization has found the workspace's own installation, or refused already.)"""

    def hold(body: dict, context: BoltContext) -> BoltResponse | None:
        """None: served (the request goes on); else the answer."""
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
            return None
        log.warning("ignored a request from workspace %s (enterprise %s): not this bot "
                    "token's", context.team_id, context.enterprise_id)
        return _quiet(body, "\n".join(t(lang, "install.other_workspace") for lang in LANGS))

    return hold


def _quiet(body: dict, text: str) -> BoltResponse:
    """A command gets `text`, privately; anything else a bare acknowledgement."""
    if body.get("command"):
        return BoltResponse(status=200, body=json.dumps(
            {"response_type": "ephemeral", "text": text}),
            headers={"content-type": "application/json"})
    return BoltResponse(status=200, body="")


def _strip_nul(value: object) -> object:
    """NUL characters out of everything a person sent: PostgreSQL refuses them in text, and
    no one means one. (The raw body, whose signature was checked, is left alone.)"""
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
