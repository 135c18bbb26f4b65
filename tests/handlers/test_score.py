"""/scorecard and /leaderboard end to end: real logs in, Block Kit out, privacy kept."""

from __future__ import annotations

import json

from store import teams
from tests.conftest import CHANNEL, WORKSPACE, Bot


def text_of(bot: Bot, nth: int = 1) -> str:
    """The nth reply that came by response_url (they come after the ack)."""
    call = bot.responses(nth)[nth - 1]
    return json.dumps(call.args, ensure_ascii=False)


def seed_month(bot: Bot) -> None:
    for text in ("visit Acme", "visit Globex", "visit Initech", "report Acme",
                 "deal Acme 120k new", "3 calls yesterday", "demo Globex"):
        bot.command(text)
    for text in ("拜访 阿里巴巴", "签约 腾讯 50万 新客户"):
        bot.command(text, user="U0BO")


def test_a_rep_sees_their_own_scorecard(bot: Bot) -> None:
    seed_month(bot)
    reply = bot.command("", command="/scorecard")
    assert reply.status == 200
    card = text_of(bot)
    assert "Scorecard · <@U0ALICE> · November 2026" in card
    assert "Behaviour points" in card and "+20" in card and "+30" in card
    # Alice joined on Wednesday 18 Nov: her target counts one working day, not twelve.
    assert "*Behaviour* (40%) · 50 of 10 ·" in card
    assert "Key behaviours" in card and "Customer touches" in card
    assert "team best" in card and "U0BO" not in card  # a rep never sees who else scored
    assert bot.fake.problems == []


def test_charts_go_to_the_viewers_dm_as_a_png(bot: Bot) -> None:
    seed_month(bot)
    bot.command("", command="/scorecard")
    upload = bot.fake.wait_for("file_upload")[-1]
    assert upload.args["png"] is True
    done = bot.fake.wait_for("files.completeUploadExternal")[-1]
    assert "monthly total over the last six months" in done.args["initial_comment"]


def test_reps_cannot_see_each_other_but_managers_can(bot: Bot) -> None:
    seed_month(bot)
    bot.command("<@U0BO>", command="/scorecard")
    assert "🙏" in text_of(bot)
    bot.command("<@U0BO> month", command="/scorecard", user="U0MEI")
    card = text_of(bot, 2)
    # No target and no history: what Bo achieved, and the manager's own command to fix it.
    assert "绩效卡 · <@U0BO>" in card and "销售额 ¥500,000" in card
    assert "暂无进度" in card and "请设定：`/target set` <@U0BO> `sales 金额 2026-11`" in card
    assert "总分" not in card and "奖金系数 ×" not in card


def test_bad_arguments_get_a_private_example(bot: Bot) -> None:
    reply = bot.command("sideways", command="/scorecard")
    assert "`sideways`" in reply.text and "/scorecard quarter" in reply.text
    reply = bot.command("forever", command="/leaderboard")
    assert "/leaderboard week sales" in reply.text


def test_quarter_review_redistributes_missing_parts(bot: Bot) -> None:
    seed_month(bot)
    bot.command("quarter", command="/scorecard")
    card = text_of(bot)
    # No target: nothing quantitative is measured, so no pace and nothing spread.
    assert "Q4 2026" in card and "No pace yet" in card and "weight is spread" not in card
    assert "the quantitative part has nothing to be measured against" in card
    bot.command("set <@U0ALICE> sales 300k 2026-Q4 first quarter", command="/target",
                user="U0MEI")
    bot.command("quarter", command="/scorecard")
    card = text_of(bot, 2)
    assert "no data" in card and "weight is spread" in card


def test_leaderboard_in_the_team_channel_is_public_elsewhere_private(bot: Bot) -> None:
    seed_month(bot)
    bot.command("month sales", command="/leaderboard")
    board = bot.responses(1)[-1].args
    assert board["response_type"] == "in_channel"  # the fixture's channel is East's
    text = json.dumps(board, ensure_ascii=False)
    assert text.index("U0BO") < text.index("U0ALICE")  # 500k beats 120k
    assert "Sales star" in text
    with bot.deps.sessions() as session:
        teams.set_channel(session, workspace_id=WORKSPACE, name="East", channel_id="C0OTHER")
    bot.command("week touches", command="/leaderboard")
    assert bot.responses(2)[-1].args["response_type"] == "ephemeral"
    assert CHANNEL


def test_an_idle_lead_costs_points_after_48_hours_not_before(bot: Bot) -> None:
    from datetime import timedelta

    bot.command("lead Initech")  # a new lead, touched now
    bot.deps.clock.advance(timedelta(hours=47))
    bot.command("", command="/scorecard")
    assert "0 leads waiting over 48 working h (0)" in text_of(bot, 1)
    bot.deps.clock.advance(timedelta(hours=2))
    bot.command("", command="/scorecard")
    assert "1 leads waiting over 48 working h (-10)" in text_of(bot, 2)


def test_weeks_periods_to_date_and_day_one_show_a_pace_never_a_grade_or_bonus(
        bot: Bot) -> None:
    """Issue 12: grades and "monthly bonus ×0%" showed on weekly and to-date cards, and on day
    1 of a month. Those show the pace ("on track for B if … ends like this"), no bonus."""
    from datetime import UTC, datetime

    bot.command("set team sales 500k month", command="/target", user="U0MEI")
    seed_month(bot)
    for nth, period in enumerate(("", "week", "quarter"), start=1):
        bot.command(period, command="/scorecard")
        card = text_of(bot, nth)
        assert "grade *" not in card and "bonus ×" not in card, period
        assert "so far" in card, period
    assert "on track for *" in text_of(bot, 1) and "weeks are not graded" in text_of(bot, 2)
    bot.deps.clock.set(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # 1 Dec in Shanghai and NY
    bot.command("", command="/scorecard")
    card = text_of(bot, 4)
    assert "December 2026" in card and "on track for *" in card and "bonus ×" not in card
    bot.command("2026-11", command="/scorecard")  # November has closed: graded, with bonus
    card = text_of(bot, 5)
    assert "grade *" in card and "monthly bonus ×" in card


def test_a_weekend_stops_the_idle_lead_clock(bot: Bot) -> None:
    """Seed 001's 48 hours are the team's working hours (East works in Shanghai, as Bo does):
    a lead added Friday 17:00 and followed up Monday 10:00 waited 17 h; one added Thursday
    10:00 and left alone lapses on Monday at 10:00, not on Saturday."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def at(text: str) -> None:
        when = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        bot.deps.clock.set(when)  # type: ignore[attr-defined]

    at("2026-11-20 17:00")
    bot.command("线索 腾讯", user="U0BO")
    at("2026-11-23 10:00")
    bot.command("需求挖掘 腾讯", user="U0BO")  # in time, and no longer waiting: discovery
    at("2026-11-26 10:00")
    bot.command("线索 华为", user="U0BO")
    at("2026-11-28 23:00")  # Saturday night: 38 working hours
    bot.command("", command="/scorecard", user="U0BO")
    assert "0 条线索超 48 个工作小时未跟进（0）" in text_of(bot, 1)
    at("2026-11-30 10:01")  # Thu 14 h + Fri 24 h + Mon 10 h: 华为 lapsed at 10:00
    bot.command("", command="/scorecard", user="U0BO")
    assert "1 条线索超 48 个工作小时未跟进（-10）" in text_of(bot, 2)


def test_the_review_says_which_leads_conversion_and_collection_count(bot: Bot) -> None:
    """Conversion is a cohort (this period's leads, won by the card's date) and collection
    counts every receivable falling due, paid or not: each card line says so."""
    bot.command("lead Initech")
    bot.command("lead Hooli")
    bot.command("deal Initech 50k new")  # Initech is won, Hooli is still a lead
    bot.command("receivable Acme 100k due Nov 20")
    bot.command("payment Acme 60k of 100k due Nov 20")
    bot.command("receivable Globex 40k due Nov 18")  # due, and nothing paid
    bot.command("quarter", command="/scorecard")
    card = text_of(bot)
    # Acme and Globex were new too: a receivable or a payment means a signed customer.
    assert "· 75% · of the 4 leads created in this period, 3 won by the card's date" in card
    assert ("· 43% · CN¥60,000 paid on time of CN¥140,000 falling due in this period, unpaid "
            "receivables included") in card


def test_a_manager_asking_for_their_own_card_is_told_managers_have_none(bot: Bot) -> None:
    """A manager's `/scorecard` said "Nothing for December 2026: @Mei joined the team after
    it", which was false: managers are not scored. Now it says so, with a rep's card and the
    team's ranking as the commands to type; a rep who joined after a period still hears that."""
    seed_month(bot)
    bot.command("", command="/scorecard", user="U0MEI")
    reply = text_of(bot)
    assert "<@U0MEI> 是 *East* 的经理，经理本人没有绩效卡" in reply, reply
    assert "`/scorecard` <@U0ALICE> `2026-11`" in reply
    assert "`/leaderboard 2026-11`" in reply and "之后才加入" not in reply
    bot.command("week", command="/target", user="U0MEI")
    assert "经理本人没有目标。查看销售的：`/target` <@U0ALICE> `week`" in text_of(bot, 2)
    bot.command("2026-10", command="/scorecard")  # Alice joined in November
    assert "Nothing for October 2026: <@U0ALICE> joined the team after it." in text_of(bot, 3)
    # Managing an empty team too, made first: both named, the rep still from East.
    from datetime import UTC, datetime

    with bot.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="Atlas", channel_id=CHANNEL,
                          managers=["U0MEI"], members=[], tz="Asia/Shanghai",
                          currency="CNY", now=datetime(2026, 11, 18, tzinfo=UTC))
    bot.command("", command="/scorecard", user="U0MEI")
    reply = text_of(bot, 4)
    assert "<@U0MEI> 是 *Atlas, East* 的经理" in reply, reply
    assert "`/scorecard` <@U0ALICE> `2026-11`" in reply
    assert bot.fake.problems == []


def test_a_parts_comparison_is_of_that_parts_scores_not_its_amounts(bot: Bot) -> None:
    """Found playing a month: the Sales line read "score 86.7 · team avg 93,333.3, best
    150,000", the team's sales amounts beside a score. October, closed: Alice 120k of 100k
    scores 120; Bo 40万 of 500k scores 80. The team's sales scores average 100, best 120."""
    for user, text in (("U0ALICE", "set <@U0ALICE> sales 100k 2026-10 first month"),
                       ("U0BO", "set <@U0BO> sales 500k 2026-10 第一个月")):
        reply = bot.command(text, command="/target", user="U0MEI")
        assert user in json.dumps(reply.body), reply.body
    bot.command("deal Acme 120k new 2026-10-20")
    bot.command("签约 腾讯 40万 新客户 10月20日", user="U0BO")
    bot.command("2026-10", command="/scorecard")
    card = json.loads(text_of(bot))
    sales = next(line for line in card["blocks"][3]["text"]["text"].splitlines()
                 if line.startswith("*Sales*"))
    assert "score *120*" in sales, sales
    assert sales.endswith("_last –, team avg 100, best 120_"), sales
    assert bot.fake.problems == []


def test_teams_sharing_a_channel_each_get_their_own_board(bot: Bot) -> None:
    """Found playing a month: East and "West Coast" post to one channel; Mei manages both and
    `/leaderboard` there showed whichever team came first (an empty board). A rep gets their
    own team's; Mei is asked which, with her own line back, and names it; a rep can't ask for
    a team that isn't theirs outside its channel."""
    from datetime import UTC, datetime

    with bot.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="West Coast", channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0STRAY"], tz="Asia/Shanghai",
                          currency="CNY", now=datetime(2026, 11, 18, tzinfo=UTC))
    seed_month(bot)
    bot.command("deal Initech 90k new", user="U0STRAY")
    bot.command("month sales", command="/leaderboard", user="U0STRAY")
    west = json.dumps(bot.responses(1)[-1].args, ensure_ascii=False)
    assert "U0STRAY" in west and "U0BO" not in west and "U0ALICE" not in west
    bot.command("month sales", command="/leaderboard")
    east = json.dumps(bot.responses(2)[-1].args, ensure_ascii=False)
    assert "U0ALICE" in east and "U0BO" in east and "U0STRAY" not in east
    asked = bot.command("week sales", command="/leaderboard", user="U0MEI")  # in the ack
    assert "East, West Coast" in asked.text and '`/leaderboard week sales East`' in asked.text
    assert asked.body["response_type"] == "ephemeral"
    bot.command('month sales "West Coast"', command="/leaderboard", user="U0MEI")
    named = bot.responses(3)[-1].args
    assert "U0STRAY" in json.dumps(named) and named["response_type"] == "in_channel"
    with bot.deps.sessions() as s:
        teams.set_channel(s, workspace_id=WORKSPACE, name="West Coast", channel_id="C0WEST")
    refused = bot.command("month West Coast", command="/leaderboard").text
    assert "West Coast*'s leaderboard is for its members" in refused
    assert "U0STRAY" not in refused
    assert bot.fake.problems == []


def test_leaderboard_typed_in_the_channel_lists_only_points_above_zero(bot: Bot) -> None:
    """Found playing a month: the month-end board in the channel left off reps at or below
    zero, but `/leaderboard` typed in that channel gave medals to -40, -100 and -190. Now
    both show the channel the same board; asked elsewhere (privately) it lists everyone."""
    bot.command("3 visits Acme")  # Alice: a day with 3+ visits, +20
    bot.command("电话 阿里巴巴", user="U0BO")  # Bo: no points
    bot.command("", command="/leaderboard")
    public = json.dumps(bot.responses(1)[-1].args, ensure_ascii=False)
    assert "🥇 <@U0ALICE> · 20" in public and "U0BO" not in public
    with bot.deps.sessions() as session:
        teams.set_channel(session, workspace_id=WORKSPACE, name="East", channel_id="C0OTHER")
    bot.command("", command="/leaderboard")
    private = bot.responses(2)[-1].args
    assert private["response_type"] == "ephemeral"
    assert "<@U0BO> · 0" in json.dumps(private, ensure_ascii=False)


def test_help_and_someone_on_no_team_get_a_private_answer(bot: Bot) -> None:
    for command in ("/scorecard", "/leaderboard"):
        reply = bot.command("help", command=command)
        assert "`/leaderboard week sales`" in reply.text and reply.body["response_type"] == (
            "ephemeral")
    with bot.deps.sessions() as session:  # not East's channel: whose board is by the asker
        teams.set_channel(session, workspace_id=WORKSPACE, name="East", channel_id="C0OTHER")
    bot.command("", command="/leaderboard", user="U0STRAY")
    assert "<@U0STRAY> isn't on a Pacer team yet" in text_of(bot)
    assert bot.fake.problems == []
