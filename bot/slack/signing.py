"""Building signed Slack requests, as Slack sends them (used by the console and the tests)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import uuid


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def command_body(command: str, text: str, *, user_id: str, team_id: str, channel_id: str,
                 response_url: str, trigger_id: str | None = None) -> str:
    return urllib.parse.urlencode({
        "token": "deprecated", "team_id": team_id, "team_domain": "demo",
        "channel_id": channel_id, "channel_name": "sales", "user_id": user_id,
        "user_name": user_id.lower(), "command": command, "text": text,
        "api_app_id": "A0PACER", "response_url": response_url,
        "trigger_id": trigger_id or f"{int(time.time())}.{uuid.uuid4().hex}",
    })


def action_body(*, user_id: str, team_id: str, channel_id: str, action_id: str,
                value: str | None, response_url: str, block_id: str = "b") -> str:
    """A button pressed in a message (a button without a value sends none)."""
    action = {"type": "button", "action_id": action_id, "block_id": block_id,
              "action_ts": str(time.time())}
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions", "team": {"id": team_id, "domain": "demo"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id},
        "api_app_id": "A0PACER", "token": "deprecated", "container": {
            "type": "message", "is_ephemeral": True, "channel_id": channel_id},
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex}",
        "channel": {"id": channel_id, "name": "sales"}, "response_url": response_url,
        "actions": [action],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def view_state(view: dict, answers: dict[str, str]) -> dict:
    """A view's state as Slack sends it on submit: every input, typed into or not."""
    values = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind = element["type"]
        value = answers.get(block["block_id"], element.get("initial_value")
                            or element.get("initial_user") or element.get("initial_date")
                            or element.get("initial_time")
                            or (element.get("initial_option") or {}).get("value"))
        if kind == "users_select":
            state = {"type": kind, "selected_user": value or None}
        elif kind == "datepicker":
            state = {"type": kind, "selected_date": value or None}
        elif kind == "timepicker":
            state = {"type": kind, "selected_time": value or None}
        elif kind in ("static_select", "radio_buttons"):
            state = {"type": kind, "selected_option": {"value": value} if value else None}
        else:
            state = {"type": kind, "value": value or None}
        values[block["block_id"]] = {element["action_id"]: state}
    return {"values": values}


def view_submission_body(view: dict, answers: dict[str, str], *, user_id: str,
                         team_id: str, state: dict | None = None) -> str:
    """A form-encoded view_submission for a modal the bot opened, with `answers` typed in
    (or, given `state`, exactly that state, as a stale or forged submission might carry)."""
    payload = {
        "type": "view_submission", "team": {"id": team_id, "domain": "demo"},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(),
                 "team_id": team_id},
        "api_app_id": "A0PACER", "token": "deprecated",
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex}",
        "view": {"id": "V0FORM", "team_id": team_id, "type": "modal",
                 "blocks": view["blocks"], "private_metadata": view.get("private_metadata", ""),
                 "callback_id": view.get("callback_id", ""),
                 "state": view_state(view, answers) if state is None else state,
                 "hash": "1.abc", "title": view["title"],
                 "close": view.get("close"), "submit": view.get("submit"),
                 "root_view_id": "V0FORM", "app_id": "A0PACER", "bot_id": "B0BOT"},
        "response_urls": [], "is_enterprise_install": False,
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def event_body(event: dict, *, team_id: str, event_id: str, event_time: int) -> str:
    """An Events API delivery (JSON) of `event`, as Slack posts it to the request URL."""
    return json.dumps({
        "token": "deprecated", "team_id": team_id, "api_app_id": "A0PACER", "event": event,
        "type": "event_callback", "event_id": event_id, "event_time": event_time,
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": "U0BOT",
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    })


def event_headers(secret: str, body: str, retry: int = 0) -> dict[str, str]:
    """Signed headers for an Events API delivery; Slack's retries say which one they are."""
    headers = {**sign(secret, body), "Content-Type": "application/json"}
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return headers
