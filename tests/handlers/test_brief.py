"""/brief end to end: signed commands, the modal through the fake Slack, signed submissions."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from bot.render.brief import MODAL_CALLBACK, OPEN_ACTION
from handlers.brief import parse_brief
from handlers.checkin import InlineError
from store import briefs
from store.briefs import BriefAnswers
from store.models import Brief
from tests.conftest import WORKSPACE, Bot
from tests.handlers.test_checkin import block, click_open, initial, open_form, submit

WEEK = date(2026, 11, 16)  # Monday of the fixture's week, in New York and Shanghai alike


def rows(bot: Bot) -> list[Brief]:
    with bot.deps.sessions() as session:
        return list(session.exec(select(Brief).order_by(Brief.id)).all())


def form(bot: Bot, user: str = "U0ALICE") -> dict:
    return open_form(bot, user=user, command="/brief")


def dumps(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


# ----------------------------------------------------------------------------- the modal

def test_no_text_opens_the_form_for_the_current_week(bot: Bot) -> None:
    view = form(bot)
    assert view["callback_id"] == MODAL_CALLBACK and view["title"]["text"] == "Friday brief"
    assert "week of *Mon 16 Nov* (to Sun 22 Nov)" in view["blocks"][0]["text"]["text"]
    ids = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert ids == ["progress", "wins", "blockers", "next"]
    meta = json.loads(view["private_metadata"])
    assert meta["week"] == "2026-11-16"
    zh = form(bot, "U0BO")
    assert zh["title"]["text"] == "周五简报" and block(zh, "next")["label"]["text"] == "下周重点"
    assert bot.fake.problems == []
    assert rows(bot) == []


def test_a_valid_submission_saves_and_updates_the_view(bot: Bot) -> None:
    status, body = submit(bot, form(bot), {"progress": "Sent the Acme proposal",
                                           "wins": "Closed Initech", "next": "Globex demo"})
    assert status == 200 and body["response_action"] == "update"
    shown = dumps(body["view"])
    assert "Brief saved for the week of *Mon 16 Nov*" in shown and "Closed Initech" in shown
    [row] = rows(bot)
    assert (row.user_id, row.week_start, row.progress, row.wins, row.blockers,
            row.next_focus) == ("U0ALICE", WEEK, "Sent the Acme proposal", "Closed Initech", "",
                                "Globex demo")
    assert row.team_id is not None


@pytest.mark.parametrize(("answers", "block_id", "message"), [
    ({}, "progress", "at least one field"),
    ({"wins": "  \n "}, "progress", "at least one field"),
    ({"wins": "w" * 3001}, "wins", "3000 characters (it has 3001)"),
    ({"progress": "ok", "next": "n" * 4000}, "next", "3000 characters"),
])
def test_invalid_submissions_answer_errors_per_block_and_save_nothing(
        bot: Bot, answers: dict, block_id: str, message: str) -> None:
    status, body = submit(bot, form(bot), answers)
    assert status == 200 and body["response_action"] == "errors"
    assert message in body["errors"][block_id], body
    assert rows(bot) == []


def test_errors_come_in_chinese(bot: Bot) -> None:
    status, body = submit(bot, form(bot, "U0BO"), {}, user="U0BO")
    assert body["errors"] == {"progress": "请至少填写一项再提交。"}
    assert rows(bot) == []


def test_reopening_prefills_says_it_edits_and_replaces(bot: Bot) -> None:
    submit(bot, form(bot), {"progress": "Proposal sent", "blockers": "Legal"})
    view = form(bot)
    assert view["title"]["text"] == "Edit Friday brief"
    assert "already sent your brief" in view["blocks"][0]["text"]["text"]
    assert initial(view, "progress") == "Proposal sent" and initial(view, "blockers") == "Legal"
    status, body = submit(bot, view, {"blockers": "", "wins": "Initech signed"})
    assert "Updated your brief for the week of *Mon 16 Nov*" in dumps(body["view"])
    [row] = rows(bot)
    assert (row.progress, row.wins, row.blockers) == ("Proposal sent", "Initech signed", "")


def test_an_invalid_edit_leaves_the_saved_brief_as_it_was(bot: Bot) -> None:
    submit(bot, form(bot), {"progress": "first"})
    status, body = submit(bot, form(bot), {"progress": "second", "wins": "w" * 3001})
    assert body["response_action"] == "errors"
    assert [r.progress for r in rows(bot)] == ["first"]


def test_a_double_submit_keeps_one_row(bot: Bot) -> None:
    view = form(bot)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: submit(bot, view, {"progress": f"p{i}"}), range(6)))
    assert all(body["response_action"] == "update" for _, body in results)
    assert len(rows(bot)) == 1


def test_the_button_opens_the_same_form_prefilled(bot: Bot) -> None:
    view = click_open(bot, OPEN_ACTION)
    assert view["callback_id"] == MODAL_CALLBACK and view["title"]["text"] == "Friday brief"
    submit(bot, view, {"wins": "from the Friday DM"})
    again = click_open(bot, OPEN_ACTION)
    assert again["title"]["text"] == "Edit Friday brief"
    assert initial(again, "wins") == "from the Friday DM"
    assert click_open(bot, OPEN_ACTION, user="U0BO")["title"]["text"] == "周五简报"
    assert bot.fake.problems == []


def test_submitting_after_sunday_midnight_files_under_the_week_the_form_showed(bot: Bot) -> None:
    bot.deps.clock.set(datetime(2026, 11, 22, 15, 0, tzinfo=UTC))  # 23:00 Sunday in Shanghai
    view = form(bot, "U0BO")
    bot.deps.clock.set(datetime(2026, 11, 22, 16, 30, tzinfo=UTC))  # Monday in Shanghai
    submit(bot, view, {"progress": "late"}, user="U0BO")
    assert [r.week_start for r in rows(bot)] == [WEEK]


# ----------------------------------------------------------------------------- inline

def test_inline_labelled_brief_is_recorded(bot: Bot) -> None:
    reply = bot.command("progress: sent the Acme proposal | wins: closed Initech | "
                        "blockers: legal review | next: Globex demo", command="/brief")
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    assert "Brief saved for the week of *Mon 16 Nov*" in reply.text
    [row] = rows(bot)
    assert (row.week_start, row.progress, row.wins, row.blockers, row.next_focus) == (
        WEEK, "sent the Acme proposal", "closed Initech", "legal review", "Globex demo")
    assert any(b["type"] == "actions" and b["elements"][0]["action_id"] == OPEN_ACTION
               for b in reply.body["blocks"])


def test_inline_chinese_brief_is_recorded_in_chinese(bot: Bot) -> None:
    reply = bot.command("进展：完成阿里巴巴方案；亮点：签下腾讯\n卡点：法务审核慢 | 下周：华为演示",
                        command="/brief", user="U0BO")
    assert "已保存 *11月16日 周一* 这一周的简报" in reply.text
    [row] = rows(bot)
    assert (row.progress, row.wins, row.blockers, row.next_focus) == (
        "完成阿里巴巴方案", "签下腾讯", "法务审核慢", "华为演示")


def test_unlabelled_text_is_progress_and_a_second_brief_edits(bot: Bot) -> None:
    bot.command("sent the Acme proposal", command="/brief")
    reply = bot.command("next week: Globex demo", command="/brief")
    assert "✏️" in reply.text and "only the parts you sent changed" in reply.text
    [row] = rows(bot)
    assert (row.progress, row.next_focus) == ("sent the Acme proposal", "Globex demo")
    zh = bot.command("下周：华为", command="/brief", user="U0BO")
    assert "已保存" in zh.text
    assert "已更新" in bot.command("成果：签约", command="/brief", user="U0BO").text


def test_the_week_is_the_reps_own_week(bot: Bot) -> None:
    # Sunday 22 Nov 20:00 UTC: still Sunday in New York, already Monday in Shanghai.
    bot.command("progress: week one", command="/brief")
    bot.command("进展：第一周", command="/brief", user="U0BO")
    bot.deps.clock.set(datetime(2026, 11, 22, 20, 0, tzinfo=UTC))
    assert "Updated" in bot.command("progress: still week one", command="/brief").text
    zh = bot.command("进展：第二周", command="/brief", user="U0BO")
    assert "已保存 *11月23日 周一* 这一周的简报" in zh.text
    got = sorted((r.user_id, r.week_start, r.progress) for r in rows(bot))
    assert got == [("U0ALICE", WEEK, "still week one"), ("U0BO", WEEK, "第一周"),
                   ("U0BO", date(2026, 11, 23), "第二周")]


def test_inline_errors_are_private_specific_and_save_nothing(bot: Bot) -> None:
    reply = bot.command("wins: | next:", command="/brief")
    assert reply.body["response_type"] == "ephemeral" and "nothing to record" in reply.text
    assert "Try: `/brief progress:" in reply.text
    long = bot.command("wins: " + "w" * 3001, command="/brief")
    assert "Wins is too long: 3000 characters at most (3001 now)" in long.text
    zh = bot.command("下周：", command="/brief", user="U0BO")
    assert "没有可以记录的内容" in zh.text and "可以这样写" in zh.text
    assert rows(bot) == []


def test_help_and_escaping(bot: Bot) -> None:
    assert "Your Friday brief" in bot.command("help", command="/brief").text
    assert "周五简报" in bot.command("帮助", command="/brief", user="U0BO").text
    reply = bot.command("wins: <!here> & <@U0MEI>", command="/brief")
    body = dumps(reply.body)
    assert "<!here>" not in body and "&lt;!here&gt; &amp; &lt;@U0MEI&gt;" in body
    assert rows(bot)[0].wins == "<!here> & <@U0MEI>"


# ----------------------------------------------------------------------------- grammar, store

def test_labels_in_both_languages() -> None:
    assert parse_brief("next week focus on Globex").answers == BriefAnswers(
        next_focus="focus on Globex")
    assert parse_brief("成果：签下腾讯\n阻碍：法务").answers == BriefAnswers(
        wins="签下腾讯", blockers="法务")
    assert parse_brief("highlights: a; progress: b").answers == BriefAnswers(progress="b",
                                                                             wins="a")
    with pytest.raises(InlineError):
        parse_brief("wins:")


def test_store_upsert_get_and_between(bot: Bot) -> None:
    now = bot.deps.clock.now()
    with bot.deps.sessions() as session:
        first = briefs.upsert(session, workspace_id=WORKSPACE, user_id="U0ALICE", team_id=None,
                              week_start=WEEK, answers=BriefAnswers(progress="a"), now=now)
        again = briefs.upsert(session, workspace_id=WORKSPACE, user_id="U0ALICE", team_id=None,
                              week_start=WEEK, answers=BriefAnswers(wins="b"), now=now,
                              replace=False)
        briefs.upsert(session, workspace_id=WORKSPACE, user_id="U0BO", team_id=None,
                      week_start=date(2026, 11, 23), answers=BriefAnswers(wins="c"), now=now)
        assert first.created and not again.created
        got = briefs.get(session, workspace_id=WORKSPACE, user_id="U0ALICE", week_start=WEEK)
        assert (got.progress, got.wins) == ("a", "b")
        assert [b.user_id for b in briefs.between(session, workspace_id=WORKSPACE, start=WEEK,
                                                  end=WEEK)] == ["U0ALICE"]
        assert len(briefs.between(session, workspace_id=WORKSPACE, start=WEEK,
                                  end=date(2026, 11, 30))) == 2
        assert briefs.users_briefed(session, workspace_id=WORKSPACE, week_start=WEEK) == {
            "U0ALICE"}
        with pytest.raises(ValueError):
            briefs.upsert(session, workspace_id=WORKSPACE, user_id="U0BO", team_id=None,
                          week_start=date(2026, 11, 18), answers=BriefAnswers(), now=now)
