"""bot/slack/request.py: shape_problems looks only into the keys a body has, and still finds
every misshapen one, in SHAPE's order."""

from __future__ import annotations

from urllib.parse import parse_qsl

from bot.slack.request import SHAPE, shape_problems
from bot.slack.signing import command_body


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
