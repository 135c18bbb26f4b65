"""Bolt requests read the way Slack sends them, and refused before Bolt when they are not.

Two gaps in slack_bolt 1.30 are closed here:
- its parse_body takes any form body with the text "payload" anywhere in it for an
  interactivity payload; without a `payload` field it parses to {}, Bolt finds no listener and
  answers 404, so '/lead add Payload Inc' or '/log visit payload' failed in Slack. The parse
  has to be right when the request is built: authorization (OAuth) reads the team from it
  before any middleware runs.
- it parses the body (and reads teams and users out of it) while building the request, before
  it checks the signature, and trusts its shape: `payload={bad`, `payload=[]`, a JSON body
  that is not JSON, a view_submission whose `view` is null, or a non-numeric timestamp header
  raised from Bolt's internals (HTTP 500, or the apology meant for a listener's failure).
  `RequestHandler` checks the signature first (401), then that the body is a JSON object of
  the shape Slack sends (400), and only then hands it to Bolt.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qsl

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context, parse_body
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

TIMESTAMP = re.compile(r"\d{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

# Where Bolt's matching and Pacer's listeners reach into a body, the JSON types Slack sends
# there when the key is present (None: null). `[]` is each item of a list. Bolt reads some
# objects as body.get("event", {}): present, they must not be null.
SHAPE: dict[str, tuple] = {
    "type": (str, None), "team": (dict, str, None), "team.id": (str, None),
    "user": (dict, str, None), "user.id": (str, None), "user.team_id": (str, None),
    "enterprise": (dict, str, None), "enterprise.id": (str, None),
    "channel": (dict, str, None), "channel.id": (str, None), "container": (dict, None),
    "message": (dict, None), "view": (dict,), "view.id": (str, None),
    "view.callback_id": (str, None), "view.private_metadata": (str, None),
    "view.state": (dict, None), "view.state.values": (dict, None),
    "actions": (list, None), "actions[]": (dict,), "actions[].action_id": (str, None),
    "actions[].block_id": (str, None), "event": (dict,), "event.type": (str, None),
    "event.tokens": (dict,), "event.function": (dict,), "function": (dict,),
    "authorizations": (list, None), "authorizations[]": (dict,),
    "response_urls": (list, None), "response_urls[]": (dict,),
    **dict.fromkeys(("team_id", "user_id", "enterprise_id", "channel_id", "command", "text",
                     "response_url", "trigger_id", "callback_id", "event_id",
                     "authorizations[].team_id", "authorizations[].enterprise_id"),
                    (str, None)),
}
# SHAPE with each path's first key, in SHAPE's order: a path is looked into only when the
# body has that key (about 0.1 ms of CPU per request to walk all of them).
_SHAPE_BY_HEAD = [(path.split(".")[0].removesuffix("[]"), path, allowed)
                  for path, allowed in SHAPE.items()]
# What each kind of envelope cannot do without.
REQUIRED = {"view_submission": ("view",), "view_closed": ("view",),
            "block_actions": ("actions",), "event_callback": ("event", "event.type")}
JSON_TYPES = {dict: "an object", list: "a list", str: "a string", None: "null"}


class SlackRequest(BoltRequest):
    """A Bolt request that reads every form body as the form it is. `parsed`: the body as
    `read_body` read it already (Bolt would parse it again: ~45 us a /log), kept as is."""

    def __init__(self, *, parsed: dict | None = None, **kwargs: object) -> None:
        if parsed is not None:
            raw_body = kwargs.pop("body")
            super().__init__(body="", **kwargs)  # type: ignore[arg-type]
            self.raw_body, self.body = raw_body, parsed  # type: ignore[assignment]
            self.context = build_context(self.context, parsed)
            return
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if not self.body and self.raw_body and not self.raw_body.startswith("{"):
            form = dict(parse_qsl(self.raw_body, keep_blank_values=True))
            if "payload" not in form:
                self.body = form
                self.context = build_context(self.context, form)

    def to_copyable(self) -> BoltRequest:
        return SlackRequest(body=self.raw_body if self.mode == "http" else self.body,
                            query=self.query, headers=self.headers,
                            context=self.context.to_copyable(), mode=self.mode)


class Refused(ValueError):
    """A request Pacer will not read: its HTTP status and what was wrong (for the log)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def check_signature(secret: str | None, raw_body: str, headers: dict) -> None:
    """Slack's signature over the raw body, made within the last 5 minutes; else 401 (and
    always without a signing secret to check it with). Malformed headers are refused here:
    slack_sdk's verifier would raise on a timestamp that is not a number or a signature that
    is not ASCII."""
    if not secret:
        raise Refused(401, "no signing secret is set: no request can be verified")
    timestamp = _header(headers, "x-slack-request-timestamp")
    signature = _header(headers, "x-slack-signature")
    if not TIMESTAMP.fullmatch(timestamp) or not SIGNATURE.fullmatch(signature):
        raise Refused(401, "missing or malformed signature headers")
    if not SignatureVerifier(secret).is_valid(raw_body, timestamp, signature):
        raise Refused(401, "bad or stale signature")


def _header(headers: dict, name: str) -> str:
    value = next((v for k, v in headers.items() if k.lower() == name), "")
    return (value[0] if value else "") if isinstance(value, list | tuple) else str(value)


def read_body(raw_body: str, content_type: str | None) -> dict:
    """The body as Bolt will read it, or 400: a JSON object of the shape Slack sends."""
    try:
        body = parse_body(raw_body, content_type)
    except ValueError as exc:  # json.JSONDecodeError included
        raise Refused(400, f"the body is not JSON: {exc}") from None
    if not body and raw_body and not raw_body.startswith("{"):  # as SlackRequest reads it
        form = dict(parse_qsl(raw_body, keep_blank_values=True))
        if "payload" not in form:
            body = form
    if not isinstance(body, dict):
        raise Refused(400, f"the body is {_json_type(body)}, not an object")
    problems = shape_problems(body)
    if problems:
        raise Refused(400, "; ".join(problems[:3]))
    return body


def shape_problems(body: dict) -> list[str]:
    problems = [f"{path}: required for {body['type']}"
                for path in REQUIRED.get(body.get("type"), ())  # type: ignore[arg-type]
                if all(value is None for value in _values(body, path))]
    for head, path, allowed in _SHAPE_BY_HEAD:
        if head not in body:  # nothing at `path` (a /log's form body has few of the keys)
            continue
        for value in _values(body, path):
            if not any(value is None if kind is None else isinstance(value, kind)
                       for kind in allowed):
                problems.append(f"{path}: {_json_type(value)} where Slack sends "
                                + " or ".join(JSON_TYPES.get(kind) or kind.__name__
                                              for kind in allowed))
    return problems


def _json_type(value: object) -> str:
    return "null" if value is None else JSON_TYPES.get(type(value)) or type(value).__name__


def _values(body: dict, path: str) -> list:
    """The values at `path` (a.b, a[].b) wherever the key is present, nulls included."""
    found: list = [body]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part.removesuffix("[]")
        found = [item[key] for item in found if isinstance(item, dict) and key in item]
        if each:
            found = [x for items in found if isinstance(items, list) for x in items]
    return found


def context_problems(request: BoltRequest) -> list[str]:
    """Ids Bolt read out of the body that are not text (its extraction trusts the shape)."""
    context = request.context
    return [f"{name} is not text" for name in ("team_id", "enterprise_id", "user_id",
                                              "channel_id", "response_url")
            if context.get(name) is not None and not isinstance(context.get(name), str)]


class RequestHandler(SlackRequestHandler):
    """Bolt's WSGI handler: signature and shape checked first, then a SlackRequest."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        raw_body, headers = request.get_body(), request.get_headers()
        try:
            # The one signature check of an HTTP request: Bolt's own is turned off (bot/app.py)
            # rather than made a second time. HTTP is always signed (Socket Mode has no HTTP).
            check_signature(self.app._signing_secret, raw_body, headers)
            content_type = _header(headers, "content-type").split(";")[0].strip() or None
            bolt_request = SlackRequest(body=raw_body, parsed=read_body(raw_body, content_type),
                                        query=request.query_string, headers=headers)
            problems = context_problems(bolt_request)
            if problems:
                raise Refused(400, "; ".join(problems))
        except Refused as refused:
            return _refusal(refused)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            # Bolt's own reading of a body whose shape SHAPE does not describe.
            return _refusal(Refused(400, f"Bolt could not read it: {exc!r}"))
        return self.app.dispatch(bolt_request)


def _refusal(refused: Refused) -> BoltResponse:
    # INFO, not WARNING: forged and broken requests come from outside, often in floods, and
    # the access log line beside it says 401 or 400 already.
    log.info("refused a request (%d): %s", refused.status, str(refused)[:300])
    error = "invalid request" if refused.status == 401 else "malformed request"
    return BoltResponse(status=refused.status, body=json.dumps({"error": error}),
                        headers={"content-type": "application/json"})
