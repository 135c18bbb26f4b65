"""One bot token serves one workspace: a correctly signed request from any other (the same
app installed elsewhere, another workspace of an Enterprise Grid org) reads and writes
nothing. Commands are told privately that Pacer isn't installed there; events, buttons and
forms are acknowledged and ignored."""

from __future__ import annotations

import json
import urllib.parse

from bot.i18n import t
from bot.slack.signing import (
    action_body,
    command_body,
    event_body,
    event_headers,
    sign,
    view_submission_body,
)
from store import teams, workspaces
from tests.conftest import CHANNEL, SECRET, WORKSPACE, Bot, make_deps
from tests.slack.test_fuzz_slack import changed, snapshot

OTHER = "T0OTHER"


def foreign_command(bot: Bot, text: str, *, team: str = OTHER, user: str = "U0BO",
                    command: str = "/log", enterprise: str | None = None) -> dict:
    bot.counter += 1
    body = command_body(command, text, user_id=user, team_id=team, channel_id=CHANNEL,
                        response_url=bot.fake.response_url(str(bot.counter)))
    if enterprise:
        body += f"&enterprise_id={enterprise}"
    reply = bot.post(body, sign(SECRET, body))
    assert reply.status == 200
    if command == "/log" and reply.body == {}:  # a saved log: confirmed by response_url
        return bot.followed_up(reply, bot.fake.response_url(str(bot.counter))).body
    return reply.body


def test_a_command_from_another_workspace_reads_and_writes_nothing(bot: Bot) -> None:
    bot.command("visit Acme", user="U0BO")
    bot.settle()
    before, calls = snapshot(bot), len(bot.fake.calls)
    for command, text in (("/log", "list week"), ("/log", "undo"), ("/log", "visit Globex"),
                          ("/pacer", "team list"), ("/scorecard", ""), ("/lead", "list")):
        reply = foreign_command(bot, text, command=command)
        assert reply["response_type"] == "ephemeral"
        assert reply["text"] == "\n".join((t("en", "install.other_workspace"),
                                           t("zh", "install.other_workspace")))
        assert "Acme" not in json.dumps(reply)
    # The same team id in another Enterprise Grid org is not this workspace either.
    assert "isn't installed" in foreign_command(bot, "list week", team=WORKSPACE,
                                                enterprise="E0ELSEWHERE")["text"]
    bot.settle()
    assert changed(before, snapshot(bot)) == {}
    assert bot.fake.calls[calls:] == []  # not even users.info


def test_buttons_forms_and_events_from_another_workspace_are_ignored(bot: Bot) -> None:
    logged = bot.command("visit Acme", user="U0BO")
    undo = next(e for b in logged.body["blocks"] if b["type"] == "actions"
                for e in b["elements"])
    bot.settle()
    before, calls = snapshot(bot), len(bot.fake.calls)
    click = action_body(user_id="U0BO", team_id=OTHER, channel_id=CHANNEL,
                        action_id=undo["action_id"], value=undo.get("value"),
                        response_url=bot.fake.response_url("undo"))
    form = view_submission_body({"blocks": [], "title": {"type": "plain_text", "text": "x"},
                                 "callback_id": "checkin_modal"}, {}, user_id="U0BO",
                                team_id=OTHER, state={"values": {}})
    # A form naming this workspace where Bolt looks first, and another where Pacer looks.
    mixed = json.loads(urllib.parse.parse_qs(form)["payload"][0])
    mixed["view"]["app_installed_team_id"] = WORKSPACE
    mixed = urllib.parse.urlencode({"payload": json.dumps(mixed)})
    for body in (click, form, mixed):
        reply = bot.post(body, sign(SECRET, body))
        assert (reply.status, reply.body) == (200, {})
    for kind in ("app_uninstalled", "tokens_revoked", "app_home_opened"):
        event = event_body({"type": kind, "user": "U0BO", "tokens": {"bot": ["U0BOT"]}},
                           team_id=OTHER, event_id=f"Ev0{kind}", event_time=1764000000)
        reply = bot.post(event, event_headers(SECRET, event))
        assert reply.status == 200
    bot.settle()
    assert changed(before, snapshot(bot)) == {}
    assert bot.fake.calls[calls:] == []
    with bot.deps.sessions() as session:
        assert not workspaces.is_uninstalled(session, workspace_id=WORKSPACE)
    # The same button in its own workspace still works.
    body = action_body(user_id="U0BO", team_id=WORKSPACE, channel_id=CHANNEL,
                       action_id=undo["action_id"], value=undo.get("value"),
                       response_url=bot.fake.response_url("undo2"))
    assert bot.post(body, sign(SECRET, body)).status == 200
    bot.settle()
    assert changed(before, snapshot(bot)).get("activities")


def test_an_org_wide_token_serves_each_workspace_of_its_org_apart(
        database_url: str, fake_slack, clock) -> None:  # noqa: ANN001 - fixtures
    org_wide = {"ok": True, "team_id": "", "enterprise_id": "E0GRID",
                "is_enterprise_install": True, "user_id": "U0BOT", "bot_id": "B0BOT"}
    fake_slack.scripted["auth.test"] = [(200, org_wide, {})] * 2  # Bolt's and Pacer's
    settings, deps = make_deps(database_url, fake_slack, clock)
    bot = Bot(settings, deps, fake_slack)
    try:
        for team in ("T0EAST", "T0WEST"):
            with deps.sessions() as session:
                teams.create_team(session, workspace_id=team, name="Sales", channel_id=CHANNEL,
                                  managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                                  currency="CNY", now=clock.now())
        east = foreign_command(bot, "visit Acme", team="T0EAST", enterprise="E0GRID")
        assert "Acme" in json.dumps(east)
        west = foreign_command(bot, "list week", team="T0WEST", enterprise="E0GRID")
        assert "Acme" not in json.dumps(west)  # the same user id, another workspace
        elsewhere = foreign_command(bot, "list week", team="T0EAST", enterprise="E0OTHER")
        assert "isn't installed" in elsewhere["text"]
    finally:
        bot.close()
