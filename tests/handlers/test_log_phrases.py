"""/log as reps really type it (issue 13), end to end: signed requests to the real endpoint,
the private reply read, the rows and `pacer export logs` checked. Alice is in New York (Tue
17 Nov 2026, evening), Bo in Shanghai (Wed 18 Nov); their team East counts CNY.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.scoring.facts import Period
from bot.services.exports import export_logs
from store import customers, scoring, teams
from store.models import Activity
from tests.conftest import WORKSPACE, Bot


def rows(bot: Bot) -> list[Activity]:
    with bot.deps.sessions() as session:
        return list(session.exec(select(Activity).where(Activity.deleted_at.is_(None))
                                 .order_by(Activity.id)).all())


def said(reply) -> str:  # type: ignore[no-untyped-def]
    """Every text of the reply's blocks, as the person reads them."""
    def texts(node):  # type: ignore[no-untyped-def]
        if isinstance(node, dict):
            yield from ([node["text"]] if isinstance(node.get("text"), str) else [])
            for value in node.values():
                yield from texts(value)
        elif isinstance(node, list):
            for value in node:
                yield from texts(value)
    return "\n".join(texts(reply.body.get("blocks", [])))


def exported(bot: Bot) -> list[dict[str, str]]:
    out = io.StringIO()
    assert export_logs(bot.deps, out=out) == 0
    return list(csv.DictReader(io.StringIO(out.getvalue())))


# (who, line, day, customer, amount, note): recorded exactly so.
RECORDED = [
    ("U0ALICE", "visit Initech Nov 20", date(2025, 11, 20), "Initech", None, None),
    ("U0ALICE", "visit Initech tuesday of last week", date(2026, 11, 10), "Initech", None, None),
    ("U0ALICE", "call Initech 2 fridays ago", date(2026, 11, 6), "Initech", None, None),
    ("U0ALICE", "demo Initech three weeks ago", date(2026, 10, 27), "Initech", None, None),
    ("U0ALICE", "email Initech 1d ago", date(2026, 11, 16), "Initech", None, None),
    ("U0ALICE", "deal Initech twelve thousand", date(2026, 11, 17), "Initech",
     Decimal(12000), None),
    ("U0ALICE", "deal Initech 5 thousand yesterday", date(2026, 11, 16), "Initech",
     Decimal(5000), None),
    ("U0ALICE", "payment Initech 1.5 million", date(2026, 11, 17), "Initech",
     Decimal(1500000), None),
    ("U0BO", "拜访 华为 上个月15号", date(2026, 10, 15), "华为", None, None),
    ("U0BO", "拜访 华为 本月9日", date(2026, 11, 9), "华为", None, None),
    ("U0BO", "电话 华为 四月十三", date(2026, 4, 13), "华为", None, None),
    ("U0BO", "拜访 华为 两周前", date(2026, 11, 4), "华为", None, None),
    ("U0BO", "签约 腾讯 三万五", date(2026, 11, 18), "腾讯", Decimal(35000), None),
    ("U0BO", "签约 腾讯 一百二十万 昨天", date(2026, 11, 17), "腾讯", Decimal(1200000), None),
    ("U0BO", "回款 腾讯 82，225.00元", date(2026, 11, 18), "腾讯", Decimal(82225), None),
    ("U0BO", "签约 腾讯 壹万贰仟元整", date(2026, 11, 18), "腾讯", Decimal(12000), None),
    ("U0BO", "签约 腾讯 100万三千", date(2026, 11, 18), "腾讯", Decimal(1003000), None),
    ("U0BO", "回款 腾讯 十块三毛", date(2026, 11, 18), "腾讯", Decimal("10.30"), None),
    # a customer the team already has anchors the line: the rest is the note
    ("U0BO", "拜访 腾讯 聊了续约价格", date(2026, 11, 18), "腾讯", None, "聊了续约价格"),
    ("U0BO", "拜访腾讯昨天聊了续约", date(2026, 11, 17), "腾讯", None, "聊了续约"),
    ("U0ALICE", "visit Initech walked through the renewal", date(2026, 11, 17), "Initech",
     None, "walked through the renewal"),
    ("U0ALICE", "call Initech will send the proposal later", date(2026, 11, 17), "Initech",
     None, "will send the proposal later"),
]


def test_phrases_reps_type_are_recorded_exactly(bot: Bot) -> None:
    for user, line, *_ in RECORDED:
        reply = bot.command(line, user=user)
        assert "⚠️" not in reply.text, (line, reply.text)
    got = [(r.text, r.occurred_on, r.customer, r.amount, r.note) for r in rows(bot)]
    assert got == [(line, *want) for _, line, *want in RECORDED]
    by_text = {row["note"] or row["customer"] + row["date"]: row for row in exported(bot)}
    assert by_text["聊了续约价格"]["customer"] == "腾讯"
    assert {row["currency"] for row in exported(bot) if row["amount"]} == {"CNY"}


# (who, line, what the private reply says): nothing is recorded.
REFUSED = [
    ("U0BO", "拜访 阿里巴巴 明日", "11月19日 周四还没到"),
    ("U0BO", "拜访 阿里巴巴 7天后", "11月25日 周三还没到"),
    ("U0ALICE", "visit Acme 3 days from now", "Fri 20 Nov is in the future"),
    ("U0ALICE", "visit Acme after 4 days", "Sat 21 Nov is in the future"),
    ("U0ALICE", "visit Acme Friday, Nov 20", "Fri 20 Nov is in the future"),
    ("U0ALICE", "visit Acme last week", "`last week` is a period, not a day"),
    ("U0BO", "拜访 阿里巴巴 上个月", "`上个月` 是一段时间"),
    ("U0ALICE", "visit Acme Wednesday, Nov 12", "that date is Thu 12 Nov."),
    ("U0ALICE", "visit Acme Friday, Dec 1, 2025", "that date is Mon 1 Dec 2025."),
    ("U0BO", "拜访 今日头条", "`今日` 以日期词开头"),
    ("U0ALICE", "deal Acme 1.200", "`1.200` can be read two ways"),
    ("U0ALICE", "deal Acme 5k 6k", "I found two amounts in that (`6k`)"),
    ("U0ALICE", "visit Acme a few days back", "`a few days back` is a period"),
    ("U0ALICE", "visit Acme several days back", "I couldn't read `days back` as a date"),
    ("U0ALICE", "payment Acme 50k due whenever", "I couldn't read `due whenever` as a date"),
]


@pytest.mark.parametrize(("user", "line", "says"), REFUSED)
def test_what_cannot_be_read_exactly_is_refused_with_a_reason(bot: Bot, user: str, line: str,
                                                                  says: str) -> None:
    reply = bot.command(line, user=user)
    assert "⚠️" in reply.text and says in reply.text, reply.text
    assert rows(bot) == []


@pytest.mark.parametrize(("user", "line", "example"), [
    ("U0BO", "拜访 华为 下个月15号", "/log 拜访 华为 今天"),
    ("U0ALICE", "visit Acme last week", "/log visit Acme last friday"),
    ("U0BO", "拜访 华为 上周", "/log 拜访 华为 上周五"),
    ("U0BO", "拜访 今日头条", '/log 拜访 "今日头条"'),
    ("U0ALICE", "deal Acme 5k 6k", "/log deal Acme 5k"),
    ("U0ALICE", "deal Initech", "/log deal Initech 120k"),
])
def test_the_corrected_example_is_built_from_what_was_typed(bot: Bot, user: str, line: str,
                                                            example: str) -> None:
    assert f"`{example}`" in said(bot.command(line, user=user))


def test_a_year_that_is_not_this_one_is_shown(bot: Bot) -> None:
    reply = bot.command("visit Initech Nov 20")
    assert "on Thu 20 Nov 2025" in reply.text
    reply = bot.command("拜访 华为 11月20日", user="U0BO")
    assert "2025年11月20日 周四" in reply.text
    assert "2026" not in bot.command("visit Initech Nov 10").text.split("\n")[0]


def test_a_foreign_currency_is_kept_shown_and_left_out_of_team_totals(bot: Bot) -> None:
    reply = bot.command("deal Acme $1.2m")
    assert "*$1,200,000*" in reply.text
    assert "Recorded in USD; team totals count CNY only." in reply.text
    reply = bot.command("deal Acme 10k")
    assert "Today: 2 deals won (CN¥10,000)" in reply.text  # the dollars are not added in
    reply = bot.command("签约 腾讯 5万美元", user="U0BO")
    assert "按 USD 记录；团队合计只计 CNY。" in reply.text
    foreign, local, chinese = rows(bot)
    assert (foreign.amount, foreign.currency) == (Decimal(1200000), "USD")
    assert (local.amount, local.currency) == (Decimal(10000), None)
    assert (chinese.amount, chinese.currency) == (Decimal(50000), "USD")
    assert [(Decimal(r["amount"]), r["currency"]) for r in exported(bot)] == [
        (1200000, "USD"), (10000, "CNY"), (50000, "USD")]
    with bot.deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=WORKSPACE, user_id="U0ALICE")
        period = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
        facts = scoring.rep_facts(session, team_id=team.id, period=period)
        board = scoring.leaderboard_values(session, team_id=team.id, period=period,
                                           metric="sales")
    alice, bo = facts["U0ALICE"], facts["U0BO"]
    assert alice.sales_new + alice.sales_repeat == Decimal(10000) and alice.deals == 2
    assert board == {"U0ALICE": Decimal(10000), "U0BO": 0}
    assert bo.sales_new + bo.sales_repeat == 0 and bo.deals == 1
    listing = bot.command("list")
    assert "$1,200,000" in listing.text and "(CN¥10,000)" in listing.text


def test_the_customer_question_names_the_kind_logged(bot: Bot) -> None:
    with bot.deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=WORKSPACE, user_id="U0ALICE")
        for name in ("Acme Corp", "Acme Labs"):
            customers.create(session, workspace_id=WORKSPACE, team_id=team.id, name=name,
                             owner_user_id="U0ALICE", now=bot.deps.clock.now())
    reply = bot.command("deal Acme 5k")
    assert "Pick one so the deal counts on the right lead." in reply.text
    reply = bot.command("演示 Acme", user="U0BO")
    assert "以便这次演示计入正确的线索" in reply.text


def test_a_known_customer_with_a_date_word_in_its_name_is_not_a_date(bot: Bot) -> None:
    with bot.deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=WORKSPACE, user_id="U0BO")
        customers.create(session, workspace_id=WORKSPACE, team_id=team.id, name="明日科技",
                         owner_user_id="U0BO", now=bot.deps.clock.now())
        customers.create(session, workspace_id=WORKSPACE, team_id=team.id, name="3M",
                         owner_user_id="U0BO", now=bot.deps.clock.now())
    assert "⚠️" not in bot.command("拜访 明日科技 昨天", user="U0BO").text
    assert "⚠️" not in bot.command("visit 3M demo went well", user="U0ALICE").text
    got = [(r.customer, r.occurred_on, r.note) for r in rows(bot)]
    assert got == [("明日科技", date(2026, 11, 17), None),
                   ("3M", date(2026, 11, 17), "demo went well")]
