"""/checkin end to end: signed commands, the modal through the fake Slack, signed submissions."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.render.checkin import MODAL_CALLBACK, OPEN_ACTION
from bot.slack.signing import sign, view_submission_body
from handlers.checkin import InlineError, parse_checkin, planned_counts
from store import checkins
from store.checkins import CheckinAnswers
from store.models import Checkin
from tests.conftest import SECRET, WORKSPACE, Bot
from tests.fakes import view_problems

ALICE_TODAY = date(2026, 11, 17)  # 21:00 Tuesday in New York at the fixture's clock
BO_TODAY = date(2026, 11, 18)  # 10:00 Wednesday in Shanghai


# ----------------------------------------------------------------------------- helpers

def rows(bot: Bot) -> list[Checkin]:
    with bot.deps.sessions() as session:
        return list(session.exec(select(Checkin).order_by(Checkin.id)).all())


def opened_views(bot: Bot, count: int = 1) -> list[dict]:
    calls = bot.fake.wait_for("views.open", count)
    views = []
    for call in calls:
        view = call.args["view"]
        views.append(json.loads(view) if isinstance(view, str) else view)
        assert call.args["trigger_id"]
    return views


def open_form(bot: Bot, *, user: str = "U0ALICE", command: str = "/checkin") -> dict:
    before = len(bot.fake.find("views.open"))
    trigger = f"{int(time.time())}.{uuid.uuid4().hex}"
    reply = bot.command("", command=command, user=user, trigger_id=trigger)
    assert reply.status == 200 and reply.body == {}  # acked at once, nothing to show
    call = bot.fake.wait_for("views.open", before + 1)[-1]
    assert call.args["trigger_id"] == trigger  # the command's own trigger opens the modal
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def initial(view: dict, block_id: str) -> str | None:
    return block(view, block_id)["element"].get("initial_value")


def submit(bot: Bot, view: dict, answers: dict[str, str], *, user: str = "U0ALICE",
           team: str = WORKSPACE) -> tuple[int, dict]:
    """A signed view_submission for `view` with `answers` typed in; the HTTP reply's JSON."""
    body = view_submission_body(view, answers, user_id=user, team_id=team)
    request = urllib.request.Request(bot.url + "/slack/events", data=body.encode(),
                                     headers=sign(SECRET, body), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read().decode()
    parsed = json.loads(raw) if raw else {}
    if parsed.get("response_action") == "update":
        assert view_problems(parsed["view"]) == []
    return status, parsed


def click_open(bot: Bot, action_id: str, *, user: str = "U0ALICE") -> dict:
    before = len(bot.fake.find("views.open"))
    reply = bot.click(action_id, "open", user=user)
    assert reply.status == 200
    call = bot.fake.wait_for("views.open", before + 1)[-1]
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


# ----------------------------------------------------------------------------- the modal

def test_no_text_opens_the_form_for_the_reps_local_day(bot: Bot) -> None:
    view = open_form(bot)
    assert view["type"] == "modal" and view["callback_id"] == MODAL_CALLBACK
    assert view["title"]["text"] == "Daily check-in" and view["submit"]["text"] == "Save"
    assert "Tue 17 Nov" in view["blocks"][0]["text"]["text"]  # New York: still Tuesday
    ids = [b.get("block_id") for b in view["blocks"] if b["type"] == "input"]
    assert ids == ["plan", "visits", "calls", "customers", "yesterday", "blockers"]
    assert block(view, "visits")["element"]["type"] == "number_input"
    meta = json.loads(view["private_metadata"])
    assert meta["day"] == "2026-11-17" and isinstance(meta["team"],
                                                                                int)
    assert bot.fake.problems == []
    assert rows(bot) == []


def test_the_form_is_in_chinese_for_chinese_users(bot: Bot) -> None:
    view = open_form(bot, user="U0BO")
    assert view["title"]["text"] == "每日签到"
    assert "11月18日 周三" in view["blocks"][0]["text"]["text"]
    assert block(view, "plan")["label"]["text"] == "今天的计划"


def test_a_valid_submission_saves_and_updates_the_view(bot: Bot) -> None:
    view = open_form(bot)
    status, body = submit(bot, view, {"plan": "Demo for Globex", "visits": "3", "calls": "5",
                                      "customers": "Acme, Globex", "yesterday": "closed Initech",
                                      "blockers": ""})
    assert status == 200 and body["response_action"] == "update"
    shown = json.dumps(body["view"], ensure_ascii=False)
    assert "Checked in for *Tue 17 Nov*" in shown and "3 visits · 5 calls" in shown
    assert "Demo for Globex" in shown and "closed Initech" in shown
    [row] = rows(bot)
    assert (row.user_id, row.day, row.plan, row.planned_visits, row.planned_calls,
            row.key_customers, row.yesterday, row.blockers) == (
        "U0ALICE", ALICE_TODAY, "Demo for Globex", 3, 5, "Acme, Globex", "closed Initech", "")
    assert row.team_id is not None and row.workspace_id == WORKSPACE


@pytest.mark.parametrize(("answers", "block_id", "message"), [
    ({"plan": "x", "visits": "3.5"}, "visits", "whole number from 0 to 100"),
    ({"plan": "x", "calls": "-1"}, "calls", "whole number from 0 to 100"),
    ({"plan": "x", "calls": "101"}, "calls", "whole number from 0 to 100"),
    ({"plan": "x", "visits": "lots"}, "visits", "whole number from 0 to 100"),
    ({}, "plan", "at least one field"),
    ({"plan": "   "}, "plan", "at least one field"),
    ({"plan": "p" * 2001}, "plan", "2000 characters (it has 2001)"),
    ({"customers": "c" * 501}, "customers", "500 characters"),
    ({"blockers": "b" * 2500, "visits": "2"}, "blockers", "2000 characters"),
])
def test_invalid_submissions_answer_errors_per_block_and_save_nothing(
        bot: Bot, answers: dict, block_id: str, message: str) -> None:
    view = open_form(bot)
    status, body = submit(bot, view, answers)
    assert status == 200 and body["response_action"] == "errors"
    assert block_id in body["errors"] and message in body["errors"][block_id], body
    assert rows(bot) == []


def test_several_bad_fields_are_all_named_at_once_in_chinese(bot: Bot) -> None:
    view = open_form(bot, user="U0BO")
    status, body = submit(bot, view, {"plan": "拜访", "visits": "abc", "calls": "500",
                                      "yesterday": "y" * 2001}, user="U0BO")
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"visits", "calls", "yesterday"}
    assert body["errors"]["visits"] == "请输入 0 到 100 之间的整数。"
    assert "2000" in body["errors"]["yesterday"]
    assert rows(bot) == []


def test_an_invalid_edit_leaves_the_saved_checkin_as_it_was(bot: Bot) -> None:
    submit(bot, open_form(bot), {"plan": "first plan", "visits": "2"})
    view = open_form(bot)
    status, body = submit(bot, view, {"plan": "second plan", "visits": "2.5"})
    assert body["response_action"] == "errors"
    [row] = rows(bot)
    assert (row.plan, row.planned_visits) == ("first plan", 2)


def test_reopening_prefills_and_says_it_edits_then_replaces(bot: Bot) -> None:
    submit(bot, open_form(bot), {"plan": "Demo for Globex", "visits": "3",
                                 "blockers": "legal review"})
    view = open_form(bot)
    assert view["title"]["text"] == "Edit check-in"
    assert "already checked in for *Tue 17 Nov*" in view["blocks"][0]["text"]["text"]
    assert initial(view, "plan") == "Demo for Globex" and initial(view, "visits") == "3"
    assert initial(view, "blockers") == "legal review" and initial(view, "calls") is None
    status, body = submit(bot, view, {"blockers": "", "calls": "4"})
    assert body["response_action"] == "update"
    assert "Updated your check-in for *Tue 17 Nov*" in json.dumps(body["view"], ensure_ascii=False)
    [row] = rows(bot)
    assert (row.plan, row.planned_visits, row.planned_calls, row.blockers) == (
        "Demo for Globex", 3, 4, "")


def test_submitting_after_midnight_files_under_the_day_the_form_showed(bot: Bot) -> None:
    view = open_form(bot)  # Tuesday evening in New York
    bot.deps.clock.set(datetime(2026, 11, 18, 6, 0, tzinfo=UTC))  # 01:00 Wednesday there
    submit(bot, view, {"plan": "late"})
    assert [r.day for r in rows(bot)] == [ALICE_TODAY]


def test_a_double_submit_keeps_one_row(bot: Bot) -> None:
    view = open_form(bot)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: submit(bot, view, {"plan": f"plan {i}"}), range(6)))
    assert all(body["response_action"] == "update" for _, body in results)
    assert len(rows(bot)) == 1


def test_the_button_opens_the_same_form_prefilled(bot: Bot) -> None:
    view = click_open(bot, OPEN_ACTION)
    assert view["callback_id"] == MODAL_CALLBACK and view["title"]["text"] == "Daily check-in"
    submit(bot, view, {"plan": "from the reminder"})
    again = click_open(bot, OPEN_ACTION)
    assert again["title"]["text"] == "Edit check-in"
    assert initial(again, "plan") == "from the reminder"
    zh = click_open(bot, OPEN_ACTION, user="U0BO")
    assert zh["title"]["text"] == "每日签到"
    assert bot.fake.problems == []


def test_user_text_is_escaped_in_the_confirmation(bot: Bot) -> None:
    view = open_form(bot)
    status, body = submit(bot, view, {"plan": "<!channel> ping & <@U0MEI>"})
    shown = json.dumps(body["view"], ensure_ascii=False)
    assert "<!channel>" not in shown and "<@U0MEI>" not in shown
    assert "&lt;!channel&gt; ping &amp; &lt;@U0MEI&gt;" in shown
    assert rows(bot)[0].plan == "<!channel> ping & <@U0MEI>"


# ----------------------------------------------------------------------------- inline

def test_inline_labelled_checkin_is_recorded(bot: Bot) -> None:
    reply = bot.command("plan: 3 visits, 5 calls, Acme, Globex | yesterday: closed Initech | "
                        "blockers: none", command="/checkin")
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    assert "Checked in for *Tue 17 Nov*" in reply.text and "3 visits · 5 calls" in reply.text
    [row] = rows(bot)
    assert (row.day, row.plan, row.planned_visits, row.planned_calls, row.key_customers,
            row.yesterday, row.blockers) == (
        ALICE_TODAY, "3 visits, 5 calls, Acme, Globex", 3, 5, "Acme, Globex", "closed Initech",
        "none")
    assert any(b["type"] == "actions" and b["elements"][0]["action_id"] == OPEN_ACTION
               for b in reply.body["blocks"])


def test_inline_chinese_checkin_is_recorded_in_chinese(bot: Bot) -> None:
    reply = bot.command("计划：拜访3，3个电话，阿里巴巴、腾讯 | 昨天：签了华为 | 困难：无",
                        command="/checkin", user="U0BO")
    assert "已签到：*11月18日 周三*" in reply.text and "拜访 3 次 · 电话 3 个" in reply.text
    [row] = rows(bot)
    assert (row.day, row.planned_visits, row.planned_calls, row.key_customers, row.yesterday,
            row.blockers) == (BO_TODAY, 3, 3, "阿里巴巴, 腾讯", "签了华为", "无")


def test_semicolons_newlines_and_unlabelled_text(bot: Bot) -> None:
    bot.command("call Acme back; 2 visits\nyesterday: demo went well", command="/checkin")
    [row] = rows(bot)
    assert (row.plan, row.planned_visits, row.yesterday) == (
        "call Acme back\n2 visits", 2, "demo went well")
    bot.command("电话5 拜访2\n阻碍：报价审批慢", command="/checkin", user="U0BO")
    bo = rows(bot)[1]
    assert (bo.planned_calls, bo.planned_visits, bo.blockers) == (5, 2, "报价审批慢")


def test_a_second_inline_checkin_edits_the_first_and_says_so(bot: Bot) -> None:
    bot.command("plan: 3 visits, demo for Globex", command="/checkin")
    reply = bot.command("blockers: waiting on legal", command="/checkin")
    assert "✏️" in reply.text and "Updated your check-in for *Tue 17 Nov*" in reply.text
    assert "only the parts you sent changed" in reply.text
    [row] = rows(bot)
    assert (row.plan, row.planned_visits, row.blockers) == (
        "3 visits, demo for Globex", 3, "waiting on legal")
    zh = bot.command("拜访2", command="/checkin", user="U0BO")
    assert "已签到" in zh.text
    zh = bot.command("拜访4", command="/checkin", user="U0BO")
    assert "已更新" in zh.text
    assert [r.planned_visits for r in rows(bot)] == [3, 4]


def test_the_day_is_the_reps_own_local_day(bot: Bot) -> None:
    bot.command("plan: tuesday things", command="/checkin")  # 21:00 Tue in New York
    bot.command("计划：周三的事", command="/checkin", user="U0BO")  # 10:00 Wed in Shanghai
    bot.deps.clock.set(datetime(2026, 11, 18, 4, 59, tzinfo=UTC))  # 23:59 Tue in New York
    assert "Updated" in bot.command("plan: still tuesday", command="/checkin").text
    bot.deps.clock.set(datetime(2026, 11, 18, 5, 0, tzinfo=UTC))  # midnight in New York
    reply = bot.command("plan: wednesday now", command="/checkin")
    assert "Checked in for *Wed 18 Nov*" in reply.text
    bot.deps.clock.set(datetime(2026, 11, 18, 15, 59, tzinfo=UTC))  # 23:59 Wed in Shanghai
    assert "已更新" in bot.command("计划：还是周三", command="/checkin", user="U0BO").text
    bot.deps.clock.set(datetime(2026, 11, 18, 16, 0, tzinfo=UTC))  # Thursday in Shanghai
    assert "11月19日 周四" in bot.command("计划：周四", command="/checkin", user="U0BO").text
    got = sorted((r.user_id, r.day, r.plan) for r in rows(bot))
    assert got == [("U0ALICE", date(2026, 11, 17), "still tuesday"),
                   ("U0ALICE", date(2026, 11, 18), "wednesday now"),
                   ("U0BO", date(2026, 11, 18), "还是周三"),
                   ("U0BO", date(2026, 11, 19), "周四")]


def test_inline_errors_are_private_specific_and_save_nothing(bot: Bot) -> None:
    cases = [("plan: 500 visits", "Planned visits must be a whole number from 0 to 100"),
             ("3 calls and 4 calls", "two different numbers of planned calls (3 and 4)"),
             ("plan: | blockers:", "nothing to record"),
             ("plan: " + "x" * 2001, "Today's plan is too long: 2000 characters at most")]
    for text, expected in cases:
        reply = bot.command(text, command="/checkin")
        assert reply.body["response_type"] == "ephemeral"
        assert "⚠️" in reply.text and expected in reply.text, (text, reply.text)
        assert "Try: `/checkin plan: 3 visits, 5 calls, Acme, Globex" in reply.text
    zh = bot.command("拜访300", command="/checkin", user="U0BO")
    assert "计划拜访数必须是 0 到 100 之间的整数" in zh.text and "可以这样写" in zh.text
    assert rows(bot) == []


def test_an_invalid_inline_edit_keeps_the_first_checkin(bot: Bot) -> None:
    bot.command("plan: 3 visits", command="/checkin")
    bot.command("plan: 300 visits", command="/checkin")
    [row] = rows(bot)
    assert (row.plan, row.planned_visits) == ("3 visits", 3)


def test_help_in_both_languages(bot: Bot) -> None:
    reply = bot.command("help", command="/checkin")
    assert "Your daily check-in" in reply.text and "/checkin plan:" in reply.text
    assert "帮助" not in reply.text.split("Labels")[0]
    zh = bot.command("帮助", command="/checkin", user="U0BO")
    assert "每日签到" in zh.text
    assert rows(bot) == []


def test_inline_user_text_is_escaped(bot: Bot) -> None:
    reply = bot.command("plan: <!channel> &amp; <@U0MEI> | blockers: a &lt;b&gt;",
                        command="/checkin")
    body = json.dumps(reply.body, ensure_ascii=False)
    assert "<!channel>" not in body and "<@U0MEI>" not in body
    assert "&lt;!channel&gt; &amp; &lt;@U0MEI&gt;" in body
    [row] = rows(bot)
    assert row.plan == "<!channel> & <@U0MEI>" and row.blockers == "a <b>"


def test_someone_not_on_a_team_is_recorded_and_told(bot: Bot) -> None:
    reply = bot.command("plan: prospecting", command="/checkin", user="U0STRAY")
    assert "not on a Pacer team yet" in reply.text
    [row] = rows(bot)
    assert row.team_id is None and row.day == date(2026, 11, 18)  # London: Wednesday


# ----------------------------------------------------------------------------- grammar

@pytest.mark.parametrize(("text", "visits", "calls"), [
    ("3 visits, 5 calls", 3, 5), ("visits: 3, calls: 5", 3, 5), ("visits 3 calls 5", 3, 5),
    ("拜访3 电话5", 3, 5), ("拜访3电话5", 3, 5), ("3个电话，拜访2家", 2, 3), ("打5个电话", None, 5),
    ("电话5次", None, 5), ("拜访三家客户", 3, None), ("three visits, two calls", 3, 2),
    ("visit 3 customers", 3, None), ("call Acme at 3pm", None, None), ("拜访10点", None, None),
    ("拜访一下阿里", None, None), ("call 13800138000", None, None), ("0 calls", None, 0),
])
def test_planned_counts(text: str, visits: int | None, calls: int | None) -> None:
    counts, _ = planned_counts(text)
    assert (counts.get("visits"), counts.get("calls")) == (visits, calls)


def test_labels_in_both_languages() -> None:
    parsed = parse_checkin("今天：拜访2 | 昨日：签约 | 卡点：价格 | 重点客户：腾讯")
    assert parsed.answers == CheckinAnswers(plan="拜访2", planned_visits=2, key_customers="腾讯",
                                            yesterday="签约", blockers="价格")
    parsed = parse_checkin("yesterday closed Initech")
    assert parsed.answers == CheckinAnswers(yesterday="closed Initech")
    parsed = parse_checkin("plan: visit Acme customers: Acme, Globex")
    assert parsed.answers == CheckinAnswers(plan="visit Acme", key_customers="Acme, Globex")
    parsed = parse_checkin("3 visits, demo for Acme")  # not a customer list: left in the plan
    assert parsed.answers == CheckinAnswers(plan="3 visits, demo for Acme", planned_visits=3)
    with pytest.raises(InlineError):
        parse_checkin("blockers:")


# ----------------------------------------------------------------------------- store

def test_store_upsert_get_and_between(bot: Bot) -> None:
    now = bot.deps.clock.now()
    with bot.deps.sessions() as session:
        first = checkins.upsert(session, workspace_id=WORKSPACE, user_id="U0ALICE", team_id=None,
                                day=date(2026, 11, 16), answers=CheckinAnswers(plan="a"),
                                now=now)
        again = checkins.upsert(session, workspace_id=WORKSPACE, user_id="U0ALICE",
                                team_id=None, day=date(2026, 11, 16),
                                answers=CheckinAnswers(blockers="b"), now=now, replace=False)
        checkins.upsert(session, workspace_id=WORKSPACE, user_id="U0BO", team_id=None,
                        day=date(2026, 11, 18), answers=CheckinAnswers(plan="c"), now=now)
        assert first.created and not again.created and again.checkin.id == first.checkin.id
        got = checkins.get(session, workspace_id=WORKSPACE, user_id="U0ALICE",
                           day=date(2026, 11, 16))
        assert (got.plan, got.blockers) == ("a", "b")
        assert [r.user_id for r in checkins.between(
            session, workspace_id=WORKSPACE, start=date(2026, 11, 16),
            end=date(2026, 11, 22))] == ["U0ALICE", "U0BO"]
        assert checkins.between(session, workspace_id=WORKSPACE, team_id=999,
                                start=date(2026, 11, 16), end=date(2026, 11, 22)) == []
        assert checkins.between(session, workspace_id="T0OTHER", start=date(2026, 11, 16),
                                end=date(2026, 11, 22)) == []
        assert checkins.users_checked_in(session, workspace_id=WORKSPACE,
                                         day=date(2026, 11, 18)) == {"U0BO"}


def test_a_failure_while_saving_shows_an_apology_in_the_modal(bot: Bot) -> None:
    view = open_form(bot)
    with bot.deps.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE checkins")
    status, reply = submit(bot, view, {"plan": "3 visits"})
    assert status == 200 and reply["response_action"] == "update"
    assert "nothing was recorded" in json.dumps(reply["view"])
