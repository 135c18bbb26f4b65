"""The report jobs (bot/jobs/reports.py) through run_job, scripted with a FixedClock, against
the fake Slack: who got what, once, in whose language, and only on working days.

The team is tests/jobs/test_jobs.py's: East in Shanghai (China's holidays), reps U0BO (zh) and
U0ALICE (en, New York), manager U0MEI (zh), channel C0SALES.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.calendar.periods import month_period
from bot.grammar.kinds import LogEntry
from bot.jobs import registry as jobs
from bot.jobs import reports as job_reports
from bot.scoring.grades import GRADES
from bot.scoring.leaderboard import in_public
from bot.scoring.recommend import Recommendation
from bot.services.reports import team_report
from store import activity, briefs, customers, targets, teams
from store.models import Member
from tests.conftest import WORKSPACE
from tests.fakes import FakeSlack
from tests.jobs.test_jobs import SHANGHAI, World, local

CHANNEL = "C0SALES"


@pytest.fixture
def world(database_url: str, fake_slack: FakeSlack) -> Iterator[World]:
    w = World(database_url, fake_slack)
    yield w
    w.close()
    assert fake_slack.problems == [], fake_slack.problems  # every message valid Block Kit


def run(world: World, job: str, at: datetime) -> jobs.RunResult:
    world.clock.set(at)
    return jobs.run_job(world.deps, job, now=at)


def posts(world: World, channel: str) -> list[dict]:
    """What Slack accepted in a channel (a DM is "D" + the user's id): text and blocks."""
    return [{"text": c.args["text"], "blocks": json.dumps(c.args["blocks"], ensure_ascii=False)}
            for c in world.fake.find("chat.postMessage")
            if c.status == 200 and c.args["channel"] == channel]


def log(world: World, user: str, kind: str, day: date, count: int = 1, **extra: object) -> None:
    with world.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        entry = LogEntry(kind=kind, count=count, customer=extra.get("customer"), day=day,
                         amount=extra.get("amount"), new_customer=extra.get("new_customer"),
                         note=None)
        activity.add(s, workspace_id=WORKSPACE, user_id=user, team_id=team.id, entry=entry,
                     text=f"{count} {kind}", source=f"{user}-{kind}-{day}-{count}",
                     now=local(SHANGHAI, f"{day} 10:00"))


def key(job: str, whom: str, period: str) -> str:
    return f"{job}:{WORKSPACE}:{whom}:{period}"


# ----------------------------------------------------------------- friday-report

def seed_week(world: World) -> None:
    for day in (date(2026, 11, 18), date(2026, 11, 19)):
        log(world, "U0BO", "visit", day, count=3, customer="Acme")
    log(world, "U0BO", "call", date(2026, 11, 19), count=2)
    log(world, "U0BO", "deal", date(2026, 11, 19), customer="Acme", amount=Decimal(50000),
        new_customer=True)
    with world.deps.sessions() as s:
        briefs.upsert(s, workspace_id=WORKSPACE, user_id="U0BO", team_id=None,
                      week_start=date(2026, 11, 16),
                      answers=briefs.BriefAnswers(wins="Acme signed <!channel>"),
                      now=local(SHANGHAI, "2026-11-20 11:00"))


def test_friday_report_reaches_each_rep_and_the_channel_once(world: World) -> None:
    seed_week(world)
    assert run(world, "friday-report", local(SHANGHAI, "2026-11-20 16:59")).sent == 0
    result = run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00"))
    assert (result.sent, result.failed, result.gave_up) == (3, 0, 0), result.lines
    [bo] = posts(world, "DU0BO")  # in Chinese, with the brief (escaped) and the deal
    assert "你的一周" in bo["text"]
    assert "Acme signed &lt;!channel&gt;" in bo["blocks"] and "¥50,000" in bo["blocks"]
    assert "6 次拜访" in bo["blocks"] or "拜访" in bo["blocks"]
    assert "/scorecard" in bo["blocks"]
    [alice] = posts(world, "DU0ALICE")  # in English, nothing logged, no brief
    assert "Your week" in alice["text"] and "Nothing logged this week" in alice["blocks"]
    [summary] = posts(world, CHANNEL)  # the manager's language: Chinese
    assert "East" in summary["text"]
    assert "2 名销售中有 1 名本周没有任何记录" in summary["blocks"]
    assert "U0ALICE" not in summary["blocks"]  # counted, never named
    assert "<@U0BO>" in summary["blocks"] and "¥50,000" in summary["blocks"]
    assert posts(world, "DU0MEI") == []  # the manager is not a rep
    # again, and after a restart: nothing more
    again = run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:05"))
    assert (again.sent, again.skipped) == (0, 3)
    world.restart()
    assert run(world, "friday-report", local(SHANGHAI, "2026-11-21 09:00")).sent == 0
    assert len(world.fake.find("chat.postMessage")) == 3
    ledger = world.ledger()
    assert ledger[key("friday-report", "U0BO", "2026-W47")] == ("sent", 1)
    assert ledger[key("friday-report", f"#{CHANNEL}", "2026-W47/team1")] == ("sent", 1)


def test_a_team_that_opts_in_names_who_logged_nothing(world: World) -> None:
    seed_week(world)
    with world.deps.sessions() as session:
        teams.set_name_quiet_reps(session, workspace_id=WORKSPACE, name="East", on=True)
    run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00"))
    [summary] = posts(world, CHANNEL)
    assert "2 名销售中有 1 名本周没有任何记录：<@U0ALICE>" in summary["blocks"]


def test_no_friday_report_on_a_holiday_friday(world: World) -> None:
    world.backdate(datetime(2026, 9, 1, tzinfo=UTC))
    for at in ("2026-10-02 17:00", "2026-10-02 23:00", "2026-10-03 10:00"):  # National Day
        result = run(world, "friday-report", local(SHANGHAI, at))
        assert result.sent == result.gave_up == 0
    assert world.fake.find("chat.postMessage") == []


def test_friday_report_down_at_1700_still_sends_the_next_afternoon(world: World) -> None:
    result = run(world, "friday-report", local(SHANGHAI, "2026-11-21 16:59"))  # 23 h 59 late
    assert result.sent == 3


def test_friday_report_missed_by_more_than_a_day_is_given_up_once(world: World) -> None:
    result = run(world, "friday-report", local(SHANGHAI, "2026-11-21 17:01"))
    assert (result.sent, result.gave_up) == (0, 3)
    assert run(world, "friday-report", local(SHANGHAI, "2026-11-21 18:00")).gave_up == 0
    assert world.fake.find("chat.postMessage") == []


def test_a_run_past_its_window_with_every_message_final_is_settled(world: World) -> None:
    """Past the catch-up window, with each message seen final, the team's run is marked
    settled and later ticks skip it, with the same (empty) result."""
    assert run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00")).sent == 3
    settled = [k for k in world.deps.final_keys() if k.startswith("\0settled:friday-report")]
    assert settled == []  # inside the window: every tick still looks
    forgotten = key("friday-report", "U0BO", "2026-W47")
    world.deps.final_keys().discard(forgotten)
    result = run(world, "friday-report", local(SHANGHAI, "2026-11-21 17:01"))
    assert (result.sent, result.gave_up, result.failed) == (0, 0, 0)
    assert forgotten in world.deps.final_keys()  # read back from the ledger, then settled
    [_] = [k for k in world.deps.final_keys() if k.startswith("\0settled:friday-report")]
    again = run(world, "friday-report", local(SHANGHAI, "2026-11-21 18:00"))
    assert (again.sent, again.skipped, again.gave_up, again.lines) == (0, 0, 0, [])
    assert len(world.fake.find("chat.postMessage")) == 3


def test_a_team_without_a_channel_gets_only_the_dms(world: World) -> None:
    with world.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="West", channel_id=None,
                          managers=["U0MEI"], members=["U0STRAY"], tz="Europe/London",
                          currency="GBP", now=datetime(2026, 11, 17, tzinfo=UTC))
    at = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 17:00 in London
    result = jobs.run_job(world.deps, "friday-report", now=at, team="West")
    assert result.sent == 1 and len(posts(world, "DU0STRAY")) == 1
    assert "Your week" in posts(world, "DU0STRAY")[0]["text"]


def test_a_team_with_no_reps_gets_no_reports(world: World) -> None:
    """Found playing a month: the reps moved from the demo team to East, and the demo team
    still posted a Friday summary of nobody to the shared channel, "everyone logged this
    week 👏", and a month-end overview and board of nobody."""
    with world.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="Empty", channel_id="C0EMPTY",
                          managers=["U0MEI"], members=[], tz="Asia/Shanghai",
                          currency="CNY", now=datetime(2026, 8, 1, tzinfo=UTC))
    friday = jobs.run_job(world.deps, "friday-report", now=local(SHANGHAI, "2026-11-20 17:00"),
                          team="Empty")
    month = jobs.run_job(world.deps, "month-end", now=local(SHANGHAI, "2026-12-01 09:00"),
                         team="Empty")
    assert (friday.sent, month.sent) == (0, 0)
    assert posts(world, "C0EMPTY") == [] and posts(world, "DU0MEI") == []


# ----------------------------------------------------------------- month-end, quarter-end

@pytest.fixture
def september(world: World) -> World:
    """The team has been there since August; BO worked in September; Q3 ended on 30 Sep and
    1-7 Oct are China's National Day holidays, so both reports are due Thu 8 Oct 09:00."""
    world.backdate(datetime(2026, 8, 1, tzinfo=UTC))
    with world.deps.sessions() as s:
        for member in s.exec(select(Member)).all():
            member.joined_at = datetime(2026, 8, 1, tzinfo=UTC)
            s.add(member)
    for day in (date(2026, 9, 7), date(2026, 9, 8), date(2026, 9, 15)):
        log(world, "U0BO", "visit", day, count=3, customer="Acme")
    log(world, "U0BO", "deal", date(2026, 9, 16), customer="Acme", amount=Decimal(80000),
        new_customer=True)
    return world


def test_month_end_scorecards_overview_and_board_once(september: World) -> None:
    world = september
    for at in ("2026-10-01 09:00", "2026-10-07 12:00", "2026-10-08 08:59"):
        assert run(world, "month-end", local(SHANGHAI, at)).sent == 0
    result = run(world, "month-end", local(SHANGHAI, "2026-10-08 09:00"))
    assert (result.sent, result.failed) == (4, 0), result.lines
    [bo] = posts(world, "DU0BO")
    assert "绩效卡" in bo["text"] and "2026年9月" in bo["text"]
    [alice] = posts(world, "DU0ALICE")
    assert "Scorecard" in alice["text"] and "September 2026" in alice["text"]
    [overview] = posts(world, "DU0MEI")
    assert "团队总览" in overview["text"]
    assert overview["blocks"].index("<@U0BO>") < overview["blocks"].index("<@U0ALICE>")
    [board] = posts(world, CHANNEL)
    assert "<@U0BO>" in board["blocks"] and "U0ALICE" not in board["blocks"]
    assert "建议" not in overview["blocks"]  # recommendations are for quarter-end
    assert run(world, "month-end", local(SHANGHAI, "2026-10-08 09:30")).sent == 0
    world.restart()
    assert run(world, "month-end", local(SHANGHAI, "2026-10-08 20:00")).sent == 0
    assert len(world.fake.find("chat.postMessage")) == 4
    assert world.ledger()[key("month-end", "U0MEI", "2026-09/team1")] == ("sent", 1)


def test_month_end_down_on_the_day_sends_the_next_morning(september: World) -> None:
    result = run(september, "month-end", local(SHANGHAI, "2026-10-09 08:30"))  # 23.5 h late
    assert result.sent == 4


def test_quarter_end_recommendations_go_to_the_manager_only(
        september: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world = september
    asked: list[tuple[str, str]] = []

    def fake_recommendations(session, *, team, user_id, period, now, rules):  # noqa: ANN001, ANN202
        asked.append((user_id, period.label))
        return (Recommendation("pip", ("2026-Q3",), ("D",), months=3),) \
            if user_id == "U0ALICE" else ()

    monkeypatch.setattr(job_reports, "recommendations", fake_recommendations)
    result = run(world, "quarter-end", local(SHANGHAI, "2026-10-08 09:01"))
    assert (result.sent, result.failed) == (4, 0), result.lines
    assert sorted(asked) == [("U0ALICE", "2026-Q3"), ("U0BO", "2026-Q3")]
    [overview] = posts(world, "DU0MEI")
    assert "2026年第3季度" in overview["text"] and "改进计划" in overview["blocks"]
    for rep in ("DU0BO", "DU0ALICE"):
        [card] = posts(world, rep)
        assert ("2026年第3季度" if rep == "DU0BO" else "Q3 2026") in card["text"]
        assert "改进计划" not in card["blocks"] and "improvement plan" not in card["blocks"]
    assert run(world, "quarter-end", local(SHANGHAI, "2026-10-08 10:00")).sent == 0
    assert world.ledger()[key("quarter-end", "U0BO", "2026-Q3")] == ("sent", 1)


def test_jobs_list_shows_the_report_schedules(world: World) -> None:
    lines = jobs.describe(world.deps, now=local(SHANGHAI, "2026-11-18 10:00"))
    text = "\n".join(lines)
    assert "friday-report\tavailable" in text and "quarter-end\tavailable" in text
    assert "Fri 2026-11-20 17:00 Asia/Shanghai" in text
    assert "Tue 2026-12-01 09:00 Asia/Shanghai" in text  # month-end of November
    assert "Mon 2027-01-04 09:00 Asia/Shanghai" in text  # quarter-end of Q4


def test_channel_posts_are_kept_a_second_apart() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.at: list[float] = []

        def chat_postMessage(self, **kwargs: object) -> dict:  # noqa: N802
            import time

            self.at.append(time.monotonic())
            return {"ok": True}

    inner = Recorder()
    client = job_reports.PacedClient(inner, gap=0.2)  # type: ignore[arg-type]
    client.chat_postMessage(channel="C1", text="a")
    client.chat_postMessage(channel="C2", text="b")  # another channel: no wait
    client.chat_postMessage(channel="C1", text="c")
    assert inner.at[1] - inner.at[0] < 0.1
    assert inner.at[2] - inner.at[0] >= 0.19


# ----------------------------------------------------------------- issue 12: a fresh team

def test_a_fresh_team_without_targets_is_not_graded_d_at_month_end(september: World) -> None:
    """Issue 12: with no history and no target every card read "Total 0 · grade D · monthly
    bonus ×0%", for a rep who closed CN¥2,000,000 as for one who made two calls, while the
    channel named the same rep sales star. Now nobody is graded for lack of a target: each
    card shows what was achieved and the command that fixes it, and the manager's overview
    lists the reps and the exact `/target set` to run."""
    world = september
    log(world, "U0BO", "deal", date(2026, 9, 21), customer="Globex", amount=Decimal(1920000),
        new_customer=True)
    log(world, "U0ALICE", "call", date(2026, 9, 22), count=2, customer="Initech")
    assert run(world, "month-end", local(SHANGHAI, "2026-10-08 09:00")).sent == 4
    [bo], [alice], [overview] = (posts(world, c) for c in ("DU0BO", "DU0ALICE", "DU0MEI"))
    for card in (bo, alice):
        assert " D" not in card["text"] and "×0%" not in card["blocks"]
        assert "奖金系数 ×" not in card["blocks"] and "monthly bonus ×" not in card["blocks"]
    assert "暂不评级" in bo["blocks"] and "¥2,000,000" in bo["blocks"]
    assert "由经理设定：`/target set` <@U0BO> `sales 金额 2026-09`" in bo["blocks"]
    assert "Not graded" in alice["blocks"] and "no history yet for a forecast" in alice["blocks"]
    assert "Your manager sets one" in alice["blocks"]
    body = overview["blocks"]
    assert "因没有目标而未评级：2 名销售" in body
    assert "`/target set team sales 金额 2026-09`" in body
    assert "• <@U0ALICE>：`/target set` <@U0ALICE> `sales 金额 2026-09 原因`" in body
    assert "等级" not in body and "奖金系数" not in body
    # The top seller comes first in the overview, as on the channel's board.
    assert body.index("1. <@U0BO>") < body.index("2. <@U0ALICE>")
    [board] = posts(world, CHANNEL)
    assert "<@U0BO>" in board["blocks"]


def test_once_a_target_is_set_the_closed_month_is_graded_and_ranking_holds(
        september: World) -> None:
    """The manager runs the command the overview gave; the card is graded with its bonus, and
    no rep ranked top on results is graded below one ranked bottom."""
    world = september
    log(world, "U0ALICE", "call", date(2026, 9, 22), count=2, customer="Initech")
    with world.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        targets.set_target(s, team_id=team.id, user_id=targets.TEAM_DEFAULT, metric="sales",
                           period="2026-09", value=Decimal(100000), reason="",
                           by_user_id="U0MEI", now=local(SHANGHAI, "2026-10-08 10:00"))
        report = team_report(s, team=team, period=month_period(date(2026, 9, 1)),
                             now=local(SHANGHAI, "2026-10-08 10:00"))
    bo, alice = report.reps["U0BO"].card, report.reps["U0ALICE"].card
    assert bo.grade is not None and bo.bonus_multiplier is not None and bo.missing is None
    assert alice.grade is not None and alice.missing is None
    assert bo.total > alice.total and GRADES.index(bo.grade) <= GRADES.index(alice.grade)
    assert report.reps["U0BO"].targets["sales"].value == Decimal(100000)  # as set, each rep's


def test_the_channel_board_lists_only_points_above_zero() -> None:
    """Console, a fresh team's November: Bo and Carlos at 0 points, Alice at -20 (two lapses).
    The channel board named Alice alone, with a bronze medal for -20 (ranked third behind two
    zeros). A public board lists only points above zero; the rest is said in private."""
    from bot.scoring.leaderboard import leaderboard

    board = leaderboard("points", [], period=month_period(date(2026, 11, 1)),
                        points={"U0BO": 0, "U0CARLOS": 0, "U0ALICE": -20, "U0DAN": 30})
    shown = in_public(board)
    assert [(s.rank, s.user_id, s.value) for s in shown.standings] == [(1, "U0DAN", 30)]
    none = leaderboard("points", [], period=board.period, points={"U0BO": 0, "U0ALICE": -20})
    assert in_public(none).standings == ()


def test_an_empty_points_board_still_names_the_sales_star(world: World) -> None:
    """A first month: Bo closed a deal, nobody earned behaviour points. The channel board had
    nothing to rank and said only that, dropping the sales star it should still name."""
    world.backdate(datetime(2026, 8, 1, tzinfo=UTC))
    log(world, "U0BO", "deal", date(2026, 9, 16), customer="Acme", amount=Decimal(80000),
        new_customer=True)
    result = run(world, "month-end", local(SHANGHAI, "2026-10-08 09:00"))
    assert result.failed == 0, result.lines
    [board] = [p for p in posts(world, "C0SALES") if "行为积分" in p["text"]]
    assert "销冠：<@U0BO>" in board["blocks"]
    # Not "no data" (there was a deal): what earns points, and which command logs it.
    assert "本期还没有行为积分：积分来自拜访 3 次以上的日子和需求分析报告" in board["blocks"]
    assert "`/log 需求分析报告 华为`" in board["blocks"] and "暂无数据" not in board["blocks"]


def test_a_board_with_only_lost_points_does_not_say_there_are_none(world: World) -> None:
    """Console month: visit days (+20 each) outweighed by leads left idle (-10 each), every rep
    below zero. The channel board said "no behaviour points yet in this period", untrue of
    reps whose cards showed them. It lists nobody still, and says that nobody is above zero
    and what earns and costs points."""
    world.backdate(datetime(2026, 8, 1, tzinfo=UTC))
    log(world, "U0BO", "visit", date(2026, 9, 1), count=3)  # a day of 3+ visits: +20
    with world.deps.sessions() as s:  # three leads never followed up: -10 each
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        for name in ("Acme", "Brightline", "Corvid"):
            customers.create(s, workspace_id=WORKSPACE, team_id=team.id, name=name,
                             owner_user_id="U0BO", by_user_id="U0BO",
                             now=local(SHANGHAI, "2026-09-01 10:00").astimezone(UTC))
    result = run(world, "month-end", local(SHANGHAI, "2026-10-08 09:00"))
    assert result.failed == 0, result.lines
    [board] = [p for p in posts(world, "C0SALES") if "行为积分" in p["text"]]
    assert "本期还没有人的行为积分高于零" in board["blocks"]
    assert "本期还没有行为积分" not in board["blocks"] and "U0BO" not in board["blocks"]
    [card] = [p for p in posts(world, "DU0BO") if "2026年9月" in p["text"]]
    assert "*行为积分 -10*" in card["blocks"]  # +20 - 3 × 10


def test_the_board_counts_who_it_leaves_off_below_zero() -> None:
    from bot.scoring.leaderboard import leaderboard

    board = leaderboard("points", [], period=month_period(date(2026, 11, 1)),
                        points={"U0BO": 0, "U0ALICE": -20, "U0DAN": 30, "U0EVE": -5})
    assert in_public(board).below_zero == 2
    zeros = leaderboard("points", [], period=board.period, points={"U0BO": 0})
    assert in_public(zeros).below_zero == 0
