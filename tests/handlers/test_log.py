"""/log end to end: signed requests to the real HTTP endpoint, replies and rows checked."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text as sql
from sqlmodel import select

from bot.render.log import UNDO_ACTION
from bot.slack.signing import command_body, sign
from store import idle
from store.models import Activity, Customer
from tests.conftest import SECRET, WORKSPACE, Bot


def rows(bot: Bot, *, live_only: bool = True) -> list[Activity]:
    with bot.deps.sessions() as session:
        query = select(Activity).order_by(Activity.id)
        if live_only:
            query = query.where(Activity.deleted_at.is_(None))
        return list(session.exec(query).all())


def undo_value(reply) -> str:
    for block in reply.body["blocks"]:
        if block["type"] == "actions":
            return block["elements"][0]["value"]
    raise AssertionError("no undo button")


def test_visit_is_recorded_on_the_reps_own_local_date(bot: Bot) -> None:
    reply = bot.command("visit Acme Corp")  # Alice is in New York: still Tuesday evening there
    assert reply.status == 200
    assert reply.body["response_type"] == "ephemeral"
    assert "Logged *1 visit* with Acme Corp on Tue 17 Nov" in reply.text
    assert "Today: 1 visit" in reply.text and "This week: 1 visit" in reply.text
    [row] = rows(bot)
    assert (row.kind, row.count, row.customer, row.occurred_on, row.user_id) == (
        "visit", 1, "Acme Corp", date(2026, 11, 17), "U0ALICE")
    assert row.text == "visit Acme Corp" and row.source  # kept verbatim, with its request


def test_chinese_deal_in_chinese_with_amount_and_new_customer(bot: Bot) -> None:
    reply = bot.command("签约 腾讯 12万 新客户", user="U0BO")
    assert "已记录 *签约 1 次*" in reply.text
    assert "¥120,000" in reply.text and "新客户" in reply.text
    assert "11月18日 周三" in reply.text  # Bo is in Shanghai: Wednesday already
    [row] = rows(bot)
    assert row.amount == Decimal("120000") and row.new_customer is True
    assert row.occurred_on == date(2026, 11, 18)


def test_every_spec_example_is_recorded(bot: Bot) -> None:
    examples = [
        ("visit Acme Corp", "U0ALICE"), ("3 calls yesterday", "U0ALICE"),
        ("demo Globex on monday", "U0ALICE"),
        ('visit "Acme Corp" last friday "talked pricing with CFO"', "U0ALICE"),
        ("deal Acme 120k new", "U0ALICE"), ("payment Acme 50,000", "U0ALICE"),
        ("拜访 阿里巴巴 昨天", "U0BO"), ("电话 3 前天", "U0BO"), ("签约 腾讯 12万 新客户", "U0BO"),
    ]
    for text, user in examples:
        reply = bot.command(text, user=user)
        assert "⚠️" not in reply.text, (text, reply.text)
    got = [(r.kind, r.count, r.customer, r.occurred_on, r.amount, r.note) for r in rows(bot)]
    assert got == [
        ("visit", 1, "Acme Corp", date(2026, 11, 17), None, None),
        ("call", 3, None, date(2026, 11, 16), None, None),
        ("demo", 1, "Globex", date(2026, 11, 16), None, None),
        ("visit", 1, "Acme Corp", date(2026, 11, 13), None, "talked pricing with CFO"),
        ("deal", 1, "Acme", date(2026, 11, 17), Decimal("120000"), None),
        ("payment", 1, "Acme", date(2026, 11, 17), Decimal("50000"), None),
        ("visit", 1, "阿里巴巴", date(2026, 11, 17), None, None),
        ("call", 3, None, date(2026, 11, 16), None, None),
        ("deal", 1, "腾讯", date(2026, 11, 18), Decimal("120000"), None),
    ]


def test_third_visit_of_the_day_earns_points_and_week_totals_add_up(bot: Bot) -> None:
    bot.command("visit Acme")
    bot.command("visit Globex")
    second = bot.command("2 calls")
    assert "Points (Today): 0" in second.text
    third = bot.command("visit Initech")
    assert "Today: 3 visits" in third.text and "This week: 3 visits" in third.text
    assert "Points (Today): 20" in third.text
    # The team was made on Wed 18 Nov (its zone): Alice's first week counts from then, as on
    # her week's card (3 of 5 working days, so 5 of the 8 touches; tests/handlers/
    # test_log_team_rules.py has a whole week).
    assert "Customer touches (This week): 5/5" in third.text


def test_backdated_log_reports_that_day_and_week(bot: Bot) -> None:
    reply = bot.command("visit Acme Nov 10")
    assert "Logged *1 visit* with Acme on Tue 10 Nov" in reply.text
    assert "Tue 10 Nov: 1 visit" in reply.text and "Week of Mon 9 Nov: 1 visit" in reply.text


def test_unreadable_text_gets_a_specific_private_error_and_records_nothing(bot: Bot) -> None:
    reply = bot.command("vist Acme")
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    assert "`vist` isn't an activity kind" in reply.text and "visit" in reply.text
    assert "Try: `/log " in reply.text
    for bad in ("visit Acme tomorrow", "deal Acme", "visit Acme 50k", "999 calls", "zzz qqq"):
        reply = bot.command(bad)
        assert "⚠️" in reply.text and "Try: `/log" in reply.text, (bad, reply.text)
    assert rows(bot, live_only=False) == []


def test_errors_come_in_chinese_for_chinese_users(bot: Bot) -> None:
    reply = bot.command("拜访 阿里巴巴 明天", user="U0BO")
    assert "还没到" in reply.text and "可以这样写" in reply.text
    assert rows(bot, live_only=False) == []


def test_user_text_is_escaped_so_nobody_is_pinged(bot: Bot) -> None:
    reply = bot.command('visit "<!channel> & co" "<@U0MEI> see <https://x.io|this>"')
    body = json.dumps(reply.body)
    assert "<!channel>" not in body and "<@U0MEI>" not in body
    assert "&lt;!channel&gt; &amp; co" in body
    [row] = rows(bot)
    assert row.customer == "<!channel> & co"  # stored as typed; escaped only on the way out


def test_a_retried_request_is_recorded_once_and_confirmed_once(bot: Bot) -> None:
    first = bot.command("visit Acme", trigger_id="1.trigger-same")
    again = bot.command("visit Acme", trigger_id="1.trigger-same")
    assert "✅" in first.text and "Today: 1 visit" in first.text
    assert again.status == 200 and again.body == {}  # acked, and nothing more to say
    assert len(rows(bot)) == 1
    assert len(bot.fake.find("response_url")) == 1  # one confirmation, the first request's


def test_concurrent_logs_are_all_recorded(bot: Bot) -> None:
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(lambda i: bot.command(f"call Lead{i}"), range(24)))
    assert all(r.status == 200 and "✅" in r.text for r in replies)
    assert len(rows(bot)) == 24


def test_undo_removes_the_callers_last_log_only(bot: Bot) -> None:
    bot.command("visit Acme")
    bot.command("call Globex")
    bot.command("电话 2", user="U0BO")
    reply = bot.command("undo")
    assert "Undone: 1 call with Globex" in reply.text
    assert [(r.user_id, r.kind) for r in rows(bot)] == [("U0ALICE", "visit"), ("U0BO", "call")]
    assert "已撤销" in bot.command("撤销", user="U0BO").text
    bot.command("undo")
    assert "nothing to undo" in bot.command("undo").text


def test_undo_button_replaces_the_confirmation_and_is_safe_to_click_twice(bot: Bot) -> None:
    reply = bot.command("visit Acme")  # its confirmation is the first response_url message
    value = undo_value(reply)
    assert bot.click(UNDO_ACTION, value, user="U0BO").status == 200
    refused = bot.fake.wait_for("response_url", 2)[-1]
    assert "只有记录人本人可以撤销" in refused.args["text"]  # Bo reads Chinese
    assert len(rows(bot)) == 1
    bot.click(UNDO_ACTION, value)
    done = bot.fake.wait_for("response_url", 3)[-1]
    assert done.args["replace_original"] is True and "Undone" in done.args["text"]
    assert rows(bot) == []
    bot.click(UNDO_ACTION, value)
    assert "already undone" in bot.fake.wait_for("response_url", 4)[-1].args["text"]


def test_list_shows_the_period_with_totals(bot: Bot) -> None:
    bot.command("visit Acme")
    bot.command("deal Acme 120k new")
    bot.command("3 calls yesterday")
    reply = bot.command("list week")
    assert "Your logs this week (Mon 16 Nov – Sun 22 Nov)" in reply.text
    assert "deal won · Acme · CN¥120,000" in reply.text
    assert "3 calls" in reply.text and "Totals:" in reply.text
    today = bot.command("list today")
    assert "3 calls" not in today.text and "1 visit" in today.text
    assert "No logs this month" not in bot.command("list month").text
    assert "还没有记录" in bot.command("列表 本周", user="U0BO").text


def test_help_and_empty_text_explain_the_grammar(bot: Bot) -> None:
    for text in ("help", ""):
        reply = bot.command(text)
        assert "/log 3 calls yesterday" in reply.text and "/log undo" in reply.text
    assert "几秒钟记录" in bot.command("帮助", user="U0BO").text


def test_someone_not_on_a_team_is_recorded_and_told(bot: Bot) -> None:
    reply = bot.command("visit Acme", user="U0STRAY")
    assert "not on a Pacer team yet" in reply.text
    [row] = rows(bot)
    assert row.team_id is None and row.occurred_on == date(2026, 11, 18)  # London: Wednesday


def test_profile_is_read_from_slack_once_and_cached(bot: Bot) -> None:
    bot.command("visit Acme")
    bot.command("visit Globex")
    bot.command("电话", user="U0BO")
    infos = bot.fake.find("users.info")
    assert sorted(c.args["user"] for c in infos) == ["U0ALICE", "U0BO"]


def test_bad_or_stale_signatures_are_refused_and_change_nothing(bot: Bot) -> None:
    body = command_body("/log", "visit Acme", user_id="U0ALICE", team_id=WORKSPACE,
                        channel_id="C1", response_url=bot.fake.response_url("x"))
    assert bot.post(body, sign("wrong-secret", body)).status == 401
    assert bot.post(body, sign(SECRET, body, timestamp=int(time.time()) - 600)).status == 401
    tampered = sign(SECRET, body)
    assert bot.post(body.replace("Acme", "Evil"), tampered).status == 401
    assert rows(bot, live_only=False) == []


def test_an_internal_failure_gets_a_private_apology(bot: Bot) -> None:
    with bot.deps.engine.begin() as conn:
        conn.execute(sql("DROP TABLE activities"))
    reply = bot.command("visit Acme")
    assert reply.status == 200 and reply.body["response_type"] == "ephemeral"
    assert "something went wrong on our side and nothing was recorded" in reply.text


def test_healthz(bot: Bot) -> None:
    with urllib.request.urlopen(bot.url + "/healthz", timeout=5) as response:
        assert response.status == 200


def test_rate_limited_profile_lookup_does_not_hold_the_ack(bot: Bot) -> None:
    # Slack says "retry in 30 s": the reply must not wait; the team's zone stands in.
    bot.fake.scripted["users.info"] = [(429, {"ok": False, "error": "ratelimited"},
                                        {"Retry-After": "30"})]
    started = time.monotonic()
    reply = bot.command("visit Acme")
    assert time.monotonic() - started < 2.5
    assert "on Wed 18 Nov" in reply.text  # the team is in Shanghai, where it is Wednesday
    assert len(bot.fake.find("users.info")) == 1


def test_a_payment_can_say_what_was_due_and_when(bot: Bot) -> None:
    reply = bot.command("payment Acme 50k of 80k due Nov 30")
    assert "*CN¥50,000* of CN¥80,000, due Mon 30 Nov" in reply.text
    assert "应收 ¥80,000" in bot.command("回款 腾讯 5万 应收 8万 11月30日到期", user="U0BO").text
    [first, second] = rows(bot)
    assert (first.amount_due, first.due_on) == (Decimal("80000"), date(2026, 11, 30))
    assert second.due_on == date(2026, 11, 30)


def test_a_conversation_without_objections_is_logged_and_meets_the_kbi(bot: Bot) -> None:
    """Seed 001's objection KBI (问题清单归档, 每次沟通后更新) can be met honestly: a visit with
    no objections is flagged as handled; one with neither flag nor objection log is not."""
    from bot.scoring.facts import Period
    from store import scoring, teams

    reply = bot.command("visit Acme no objections")
    assert "Logged *1 visit* with Acme on Tue 17 Nov · no objections raised" in reply.text
    reply = bot.command("拜访 阿里巴巴 无异议", user="U0BO")
    assert "客户 阿里巴巴" in reply.text and "无异议（计为已处理异议）" in reply.text
    bot.command("call Globex")  # a conversation nobody said anything about
    visit, bai, call = rows(bot)
    assert (visit.customer, visit.no_objections, visit.note) == ("Acme", True, None)
    assert (bai.customer, bai.no_objections) == ("阿里巴巴", True)
    assert call.no_objections is False
    with bot.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        week = Period("week", date(2026, 11, 16), date(2026, 11, 22), "2026-W47")
        facts = scoring.rep_facts(s, team_id=team.id, period=week, user_ids=["U0ALICE", "U0BO"])
    alice, bo = facts["U0ALICE"], facts["U0BO"]
    assert (alice.conversations, alice.conversations_with_objections) == (2, 1)
    assert (bo.conversations, bo.conversations_with_objections) == (1, 1)


def test_an_undone_touch_gives_the_lead_back_its_earlier_last_touch(
        bot_on_each_database: Bot) -> None:
    """The idle-lead alerts count a lead's wait from its last touch: an undone log must not
    leave the lead looking touched when it was not."""
    bot = bot_on_each_database
    bot.command("visit Acme")  # Wed 18 Nov 02:00 UTC (Tue evening in New York)
    first = bot.deps.clock.now()
    bot.deps.clock.set(first + timedelta(days=2))
    value = undo_value(bot.command("call Acme"))

    def acme() -> Customer:
        with bot.deps.sessions() as session:
            return session.exec(select(Customer).where(Customer.name == "Acme")).one()

    assert acme().last_touched_at.replace(tzinfo=None) == (first + timedelta(days=2)).replace(
        tzinfo=None)
    bot.click(UNDO_ACTION, value)
    bot.settle()
    assert acme().last_touched_at.replace(tzinfo=None) == first.replace(tzinfo=None)
    with bot.deps.sessions() as session:  # the alerts' view: waiting since the visit
        [lead] = idle.waiting(session, team_id=acme().team_id, stages=["contacted"],
                              quiet_since=first + timedelta(days=3))
    assert lead.since == first
