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
    return json.dumps(bot.responses(nth)[nth - 1].args, ensure_ascii=False)


def test_a_manager_sets_a_target_with_a_reason_and_the_rep_sees_the_band(bot: Bot) -> None:
    saved = target(bot, "set <@U0ALICE> sales 100k 2026-11 new territory in the east")
    assert "¥100,000" in saved and "2026年11月" in saved and "new territory" in saved
    bot.command("deal Acme 120k new")
    card = shown(bot, "2026-11", "U0ALICE", 1)
    assert "Targets · <@U0ALICE> · November 2026" in card
    # The target as it was set for November, the pace beside it, labelled as pace.
    # Alice joined on Wed 18 Nov: 1 of her 9 working days in November is over.
    assert "CN¥120,000 of CN¥100,000 (set by your manager) · pace: CN¥11,111 due by now" in card
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
    # Alice joined on Wed 18 Nov: 1 of her 9 working days in November is over.
    assert "CN¥0 of CN¥500,000 (set by your manager) · pace: CN¥55,556 due by now" in card
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


def test_a_team_default_for_every_month_from_day_one(bot: Bot) -> None:
    """Issue 12: `/target set team sales 500k month` gives each rep CN¥500,000 a month from
    now on, without a reason (it is a baseline, not an adjustment); a rep's own wins."""
    saved = target(bot, "set team sales 500k month")
    assert "每位销售" in saved and "从现在起的每个月" in saved and "¥500,000" in saved
    for month in ("2026-11", "2026-12"):
        card = shown(bot, month, "U0ALICE", ("2026-11", "2026-12").index(month) + 1)
        assert "CN¥500,000 (team default, set by your manager)" in card
    october = shown(bot, "2026-10", "U0MEI", 3)  # set on 18 Nov: October keeps no target
    assert "CN¥500,000" not in october
    target(bot, "set <@U0ALICE> sales 800k 2026-12 bigger territory")
    card = shown(bot, "2026-12", "U0ALICE", 4)
    assert "CN¥800,000 (set by your manager)" in card and "CN¥500,000" not in card
    bo = shown(bot, "<@U0BO> 2026-12", "U0MEI", 5)
    assert "¥500,000" in bo and "¥800,000" not in bo
    assert "已清除" in target(bot, "clear team sales month")
    assert "¥500,000" not in shown(bot, "<@U0BO> 2026-12", "U0MEI", 6)
    with bot.deps.sessions() as session:
        rows = session.exec(select(TargetRow.user_id, TargetRow.period)).all()
    assert rows == [("U0ALICE", "2026-12")]


def test_month_and_quarter_targets_never_contradict(bot: Bot) -> None:
    """Issue 12: month cards ignored quarter targets and quarter cards month targets (one rep
    B for December and D for Q4 on the same data). A month without its own target takes a
    third of the quarter's; a quarter without one is the sum of its months; both say so."""
    target(bot, "set <@U0ALICE> sales 900k 2026-Q4 launch quarter")
    december = shown(bot, "2026-12", "U0ALICE", 1)
    # Alice joined on 18 Nov: the quarter is shared over November and December.
    assert "CN¥450,000 (an equal share of the quarter's target)" in december
    quarter = shown(bot, "2026-Q4", "U0ALICE", 2)
    assert "CN¥900,000 (set by your manager)" in quarter
    for month, value in (("2026-10", "100k"), ("2026-11", "200k"), ("2026-12", "300k")):
        target(bot, f"set <@U0BO> sales {value} {month} ramp-up")
    bo = shown(bot, "<@U0BO> 2026-Q4", "U0MEI", 3)
    # Bo joined on 18 Nov: October, before he was on the team, adds nothing.
    assert "¥500,000（各月目标之和）" in bo
    # A month of his without a target: no quarter figure made up from a forecast.
    target(bot, "clear <@U0BO> sales 2026-11")
    assert "¥300,000" not in shown(bot, "<@U0BO> 2026-Q4", "U0MEI", 4)


def test_a_manager_of_two_teams_names_the_team(bot: Bot) -> None:
    """Tried over signed HTTP: Mei runs East and West; `/target set team sales 500k month` went
    to whichever came first. She names the team, or is asked which with her own line back."""
    from datetime import UTC, datetime

    from store import teams
    from tests.conftest import WORKSPACE

    with bot.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="West Coast", channel_id="C0WEST",
                          managers=["U0MEI"], members=["U0STRAY"], tz="Asia/Shanghai",
                          currency="CNY", now=datetime(2026, 11, 18, tzinfo=UTC))
    asked = target(bot, "set team sales 500k month")
    assert "East, West Coast" in asked
    assert '`/target set team East sales 500k month`' in asked
    saved = target(bot, 'set team "West Coast" sales 400k month')
    assert "West Coast" in saved and "¥400,000" in saved
    assert "没有名为 `Westt` 的团队" in target(bot, "set team Westt sales 400k month")  # Mei: zh
    with bot.deps.sessions() as s:
        rows = s.exec(select(TargetRow)).all()
        west = teams.get_team(s, workspace_id=WORKSPACE, name="West Coast")
    assert [(r.team_id, r.user_id, r.period, r.value) for r in rows] == [
        (west.id, "*", "month", 400000)]


def test_an_admin_on_no_team_is_asked_which_team_not_told_they_have_none(bot: Bot) -> None:
    from tests.handlers.test_pacer import pacer, slack_admin

    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")  # the first admin Slack names becomes Pacer's admin
    pacer(bot, "me lang en", "U0STRAY")
    asked = target(bot, "set team sales 500k month", user="U0STRAY")
    assert "isn't on a Pacer team" not in asked
    assert "Say which team" in asked and "`/target set team East sales 500k month`" in asked
    assert "✅" in target(bot, "set team East sales 500k month", user="U0STRAY")
