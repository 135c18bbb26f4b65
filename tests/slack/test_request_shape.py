"""bot/slack/request.py: shape_problems looks only into the keys a body has, and still finds
every misshapen one, in SHAPE's order; a body is parsed once, and read as Bolt reads it."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qsl, urlencode

from bot.slack.request import SHAPE, Refused, SlackRequest, read_body, shape_problems
from bot.slack.signing import command_body, sign


def test_a_log_command_has_no_problems() -> None:
    body = dict(parse_qsl(command_body("/log", "visit Acme", user_id="U1", team_id="T1",
                                       channel_id="C1", response_url="https://x/y")))
    assert shape_problems(body) == []


def test_a_form_body_with_text_where_slack_sends_objects_is_still_refused() -> None:
    body = {"command": "/log", "text": "x", "view": "v", "event": "e", "actions": "a",
            "container": "c"}
    assert shape_problems(body) == [
        "container: a string where Slack sends an object or null",
        "view: a string where Slack sends an object",
        "actions: a string where Slack sends a list or null",
        "event: a string where Slack sends an object"]


def test_nested_paths_are_checked_under_the_key_they_start_with() -> None:
    body = {"type": "block_actions", "actions": [{"action_id": 1}, "x"],
            "authorizations": [{"team_id": []}]}
    assert shape_problems(body) == [
        "actions[]: a string where Slack sends an object",
        "actions[].action_id: int where Slack sends a string or null",
        "authorizations[].team_id: a list where Slack sends a string or null"]
    assert list(SHAPE).index("actions[]") < list(SHAPE).index("authorizations[].team_id")


def test_a_required_object_missing_is_said_first() -> None:
    assert shape_problems({"type": "view_submission"}) == ["view: required for view_submission"]


def _bodies() -> list[str]:
    form = [command_body("/log", text, user_id="U1", team_id="T1", channel_id="C1",
                         response_url="https://x/y")
            for text in ("visit Acme", "签约 腾讯 12万", "visit payload", "payload=x", "")]
    payload = {"type": "block_actions", "team": {"id": "T1"}, "actions": [{"action_id": "a"}],
               "user": {"id": "U1", "team_id": "T1"}, "is_enterprise_install": "true"}
    event = {"type": "event_callback", "team_id": "T1", "enterprise_id": "E1",
             "event": {"type": "app_home_opened", "user": "U1"},
             "authorizations": [{"team_id": "T1", "is_enterprise_install": True}]}
    odd = ["payload=[]", "payload={}", "payload=null", "payload=3", "payload=%22x%22", "a=1"]
    return [*form, *odd, urlencode({"payload": json.dumps(payload)}), json.dumps(event)]


def test_a_request_built_from_read_bodys_parse_is_the_one_bolt_would_build() -> None:
    checked = 0
    for body in _bodies():
        for content_type in ("application/x-www-form-urlencoded", "application/json"):
            headers = {"content-type": content_type}
            try:
                parsed = read_body(body, content_type)
            except Refused:
                continue
            checked += 1
            itself = SlackRequest(body=body, query="", headers=headers)
            given = SlackRequest(body=body, parsed=parsed, query="", headers=headers)
            assert (given.body, given.raw_body, dict(given.context), given.headers) == (
                itself.body, itself.raw_body, dict(itself.context), itself.headers), body
    assert checked >= 10


def test_the_handler_parses_a_body_once(monkeypatch) -> None:  # noqa: ANN001
    from slack_bolt import App
    from slack_bolt.authorization import AuthorizeResult
    from slack_bolt.request import request as bolt_request

    from bot.slack import request as ours
    from bot.slack.server import wsgi_app

    parsed: list[str] = []

    def counting(parse):  # noqa: ANN001, ANN202
        def parse_body(body: str, content_type: str | None) -> dict:
            if body:
                parsed.append(body)
            return parse(body, content_type)
        return parse_body

    monkeypatch.setattr(ours, "parse_body", counting(ours.parse_body))
    monkeypatch.setattr(bolt_request, "parse_body", counting(bolt_request.parse_body))
    app = App(signing_secret="s", authorize=lambda team_id, **_: AuthorizeResult(
        enterprise_id=None, team_id=team_id, bot_token="xoxb-test", bot_user_id="UB"))
    app.command("/log")(lambda ack, command: ack(f"got {command['text']}"))
    body = command_body("/log", "签约 腾讯 12万", user_id="U1", team_id="T1", channel_id="C1",
                        response_url="https://x/y")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.input": io.BytesIO(body.encode()),
               "CONTENT_LENGTH": str(len(body.encode()))}
    for name, value in sign("s", body).items():
        environ["CONTENT_TYPE" if name == "Content-Type" else
                "HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []
    reply = b"".join(wsgi_app(app)(environ, lambda line, headers, *_: status.append(line)))
    assert status == ["200 OK"] and "got 签约 腾讯 12万" in reply.decode()
    assert parsed == [body]
