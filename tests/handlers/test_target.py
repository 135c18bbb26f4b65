"""/target: managers adjust targets with a reason; everyone sees attainment and the band."""

from __future__ import annotations

import json

from sqlmodel import select

from store.models import AuditEntry, TargetRow
from tests.conftest import Bot


def target(bot: Bot, text: str, user: str = "U0MEI") -> str:
    reply = bot.command(text, command="/target", user=user)
    assert reply.status == 200
    return reply.text


def shown(bot: Bot, text: str, user: str, nth: int) -> str:
    bot.command(text, command="/target", user=user)
    return json.dumps(bot.fake.wait_for("response_url", nth)[nth - 1].args, ensure_ascii=False)


def test_a_manager_sets_a_target_with_a_reason_and_the_rep_sees_the_band(bot: Bot) -> None:
    saved = target(bot, "set <@U0ALICE> sales 100k 2026-11 new territory in the east")
    assert "¥100,000" in saved and "2026年11月" in saved and "new territory" in saved
    bot.command("deal Acme 120k new")
    card = shown(bot, "2026-11", "U0ALICE", 1)
    assert "Targets · <@U0ALICE> · November 2026" in card
    # The target as it was set for November, the pace beside it, labelled as pace.
    assert "CN¥120,000 of CN¥100,000 (set by your manager) · pace: CN¥61,905 due by now" in card
    assert "ahead of pace" in card
    assert "why: new territory in the east" in card
    with bot.deps.sessions() as session:
        row = session.exec(select(TargetRow)).one()
        trail = session.exec(select(AuditEntry.action, AuditEntry.outcome)).all()
    assert (row.user_id, row.metric, row.period, row.value, row.set_by) == (
        "U0ALICE", "sales", "2026-11", 100000, "U0MEI")
    assert trail == [("target.set", "done")]


def test_band_edges_show_on_target(bot: Bot) -> None:
    target(bot, "set <@U0ALICE> sales 100k 2026-10 pilot")
    bot.command("deal Acme 85k new Oct 15")  # a closed month: judged against the whole target
    assert "on target (85%)" in shown(bot, "2026-10", "U0ALICE", 1)


def test_a_running_period_is_judged_against_the_share_due_by_now(bot: Bot) -> None:
    """Issue 12: a CN¥500,000 target showed as CN¥368,852.46 "set by your manager". It shows
    as set, for its period, with what is due by now beside it as the pace."""
    target(bot, "set <@U0ALICE> sales 500k 2026-11 pilot")
    card = shown(bot, "2026-11", "U0ALICE", 1)
    assert "(to date, Wed 18 Nov)" in card
    # 13 of November's 21 working days are over by the end of Wed 18 Nov.
    assert "CN¥0 of CN¥500,000 (set by your manager) · pace: CN¥309,524 due by now" in card
    assert "behind pace (0% of what is due by now)" in card


def test_adjustments_need_a_reason_and_a_manager(bot: Bot) -> None:
    assert "请写明调整预测的原因" in target(bot, "set <@U0ALICE> sales 100k 2026-Q4")
    refused = target(bot, "set <@U0BO> sales 1m 2026-Q4 because", user="U0ALICE")
    assert "Only managers and admins" in refused
    assert "🙏" in target(bot, "set <@U0ALICE> sales 1m 2026-Q4 I deserve it", user="U0ALICE")
    assert "🙏" in target(bot, "set team sales 1m month", user="U0ALICE")
    with bot.deps.sessions() as session:
        assert session.exec(select(TargetRow)).all() == []


def test_team_targets_are_each_reps_default_and_rates_read_as_percent(bot: Bot) -> None:
    saved = target(bot, "set team sales 1m 2026-10 trade-show season")
    assert "每位销售" in saved and "个人目标优先" in saved
    target(bot, "set <@U0ALICE> collection 95% 2026-10 tighter terms")
    assert "joined the team after" in json.dumps(shown(bot, "2026-10", "U0ALICE", 1))
    bot.command("call Acme Oct 12")  # active in October after all
    card = shown(bot, "2026-10", "U0ALICE", 2)
    assert "CN¥1,000,000 (team default, set by your manager)" in card  # each rep's, as set
    assert "95%" in card
    assert "恢复使用滚动预测" in target(bot, "clear team sales 2026-10")


def test_bad_input_gets_examples(bot: Bot) -> None:
    assert "不是指标" in target(bot, "set <@U0ALICE> vibes 100 2026-Q4 x")
    assert "不是金额" in target(bot, "set <@U0ALICE> sales lots 2026-Q4 x")
    assert "不是比率" in target(bot, "set <@U0ALICE> conversion 250% 2026-Q4 x")
    assert "/target set" in target(bot, "help", user="U0ALICE")
