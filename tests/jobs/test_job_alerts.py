"""The `alerts` job through the scheduler's tick (run_job), a FixedClock and the fake Slack:
each alert fires when its condition holds and not otherwise, once across repeated runs and
restarts, in the recipient's language, as valid Block Kit.

The team (tests/jobs/test_jobs.World): East, Asia/Shanghai, China's holidays, managed by U0MEI
(Chinese), reps U0ALICE (English, New York) and U0BO (Chinese, Shanghai).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.calendar.workdays import after_working_hours, is_working_day
from bot.grammar.kinds import LogEntry
from bot.jobs import registry as jobs
from bot.jobs.alerts import growth
from store import activity, customers, teams
from store.models import Customer
from tests.conftest import WORKSPACE
from tests.fakes import FakeSlack
from tests.jobs.test_jobs import SHANGHAI, World, local

JOB = "alerts"
_sources = itertools.count()


@pytest.fixture
def world(database_url: str, fake_slack: FakeSlack) -> Iterator[World]:
    w = World(database_url, fake_slack)
    w.backdate(datetime(2026, 9, 1, tzinfo=UTC))
    yield w
    w.close()
    assert fake_slack.problems == [], fake_slack.problems  # every message valid Block Kit


def team_id(world: World) -> int:
    with world.deps.sessions() as s:
        return teams.get_team(s, workspace_id=WORKSPACE, name="East").id


def log(world: World, user: str, kind: str, day: date, *, customer: str | None = None,
        amount: int | None = None, new: bool | None = None, count: int = 1,
        at: datetime | None = None) -> None:
    """A /log as the handler records it: the row, and (with a customer) its link and touch."""
    at = (at or datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)
          + timedelta(hours=10)).astimezone(UTC)  # stored in UTC, as the clock gives it
    entry = LogEntry(kind=kind, count=count, customer=customer, day=day,
                     amount=Decimal(amount) if amount is not None else None, new_customer=new,
                     note=None)
    with world.deps.sessions() as s:
        row = activity.add(s, workspace_id=WORKSPACE, user_id=user, team_id=team_id(world),
                           entry=entry, text=f"{kind} {customer or ''}",
                           source=f"test-{next(_sources)}", now=at).activity
        if customer and kind != "deal":
            customers.link_activity(s, row, team_id=team_id(world), touched_at=at)


def lead(world: World, owner: str, name: str, at: datetime, **kw: str) -> Customer:
    with world.deps.sessions() as s:
        return customers.create(s, workspace_id=WORKSPACE, team_id=team_id(world), name=name,
                                owner_user_id=owner, now=at.astimezone(UTC), by_user_id=owner, **kw)


def tick(world: World, at: datetime) -> jobs.RunResult:
    result = world.tick(at, JOB)
    assert result.failed == result.gave_up == 0, result.lines
    return result


def blocks_of(world: World, user: str) -> list[str]:
    return [json.dumps(c.args["blocks"], ensure_ascii=False)
            for c in world.fake.find("chat.postMessage")
            if c.args["channel"] == "D" + user and c.status == 200]


def test_alerts_is_a_runnable_job_with_a_schedule(world: World) -> None:
    assert jobs.JOBS[JOB].available
    lines = jobs.describe(world.deps, now=local(SHANGHAI, "2026-11-18 10:00:30"))
    i = lines.index(next(line for line in lines if line.startswith(f"{JOB}\tavailable\t")))
    assert lines[i + 1].endswith("next: Wed 2026-11-18 10:01 Asia/Shanghai (first: U0ALICE)")


# ----------------------------------------------------------------- idle leads
# The 48 hours are working hours (bot/scoring/points.py `lapses`): T0 is a Thursday 10:00, so
# 48 of them end on Monday 30 Nov at 10:00 (Thu 14 h + Fri 24 h + Mon 10 h) and W(h) is the
# moment h working hours after T0. The team is set up on 20 Nov here, so the Monday growth
# alert (which needs three whole weeks) stays out of these counts.

T0 = local(SHANGHAI, "2026-11-26 10:00")  # Thursday


def W(hours: float) -> datetime:  # noqa: N802 - reads like the hours it stands for
    return after_working_hours(T0, hours, SHANGHAI, lambda day: is_working_day(
        day, country="CN"))


@pytest.fixture
def quiet(world: World) -> World:
    world.backdate(datetime(2026, 11, 20, tzinfo=UTC))
    return world


def idle_sent(world: World, at: datetime) -> int:
    """Idle-lead DMs sent by one tick of the job at `at` (other alerts left out)."""
    def idle() -> int:
        return sum(1 for key, (status, _) in world.ledger().items()
                   if ":idle" in key and status == "sent")
    before = idle()
    tick(world, at)
    return idle() - before


def test_working_hours_across_the_weekend() -> None:
    assert W(48) == local(SHANGHAI, "2026-11-30 10:00")
    assert W(14) == local(SHANGHAI, "2026-11-27 00:00")  # Thursday's 14 h end at midnight


def test_an_idle_lead_nudges_its_owner_after_48_working_hours_once(quiet: World) -> None:
    world = quiet
    lead(world, "U0BO", "阿里巴巴", T0)
    assert idle_sent(world, T0 + timedelta(hours=49)) == 0  # Saturday: the weekend stops it
    assert idle_sent(world, W(47)) == 0  # Monday 09:00
    assert idle_sent(world, W(48) + timedelta(minutes=30)) == 0  # due at the hour
    assert idle_sent(world, W(49)) == 1
    [text] = world.to("U0BO")
    assert "1 条线索已超过 48 个工作小时没有跟进" in text  # in BO's language
    assert "阿里巴巴" in blocks_of(world, "U0BO")[0] and "11月26日 周四 10:00" in \
        blocks_of(world, "U0BO")[0]
    assert "49 个工作小时" in blocks_of(world, "U0BO")[0]
    assert idle_sent(world, W(49) + timedelta(minutes=1)) == 0
    world.restart()
    assert idle_sent(world, W(50)) == 0
    assert len(world.to("U0BO")) == 1 and world.to("U0MEI") == []
    key = f"alerts:{WORKSPACE}:U0BO:idle48:t{team_id(world)}:20261130T03"  # 11:00 Shanghai
    assert world.ledger()[key] == ("sent", 1)


def test_leads_going_quiet_together_come_in_one_dm_in_english(quiet: World) -> None:
    world = quiet
    lead(world, "U0ALICE", "Acme Corp", T0, tier="key")
    lead(world, "U0ALICE", "Globex", T0 + timedelta(minutes=20))
    lead(world, "U0ALICE", "Initech", T0 + timedelta(hours=3))  # a later lapse: its own DM
    assert idle_sent(world, W(49)) == 1
    [text] = world.to("U0ALICE")
    assert text == "2 of your leads have waited over 48 working hours for a follow-up."
    body = blocks_of(world, "U0ALICE")[0]
    assert "Acme Corp" in body and "key account" in body and "Globex" in body
    assert "Initech" not in body
    assert idle_sent(world, W(52)) == 1
    assert "1 of your leads has waited" in world.to("U0ALICE")[1]
    assert "Initech" in blocks_of(world, "U0ALICE")[1]
    assert "Acme" not in blocks_of(world, "U0ALICE")[1]  # its lapse was told once


def test_a_touch_ends_the_lapse_and_a_new_quiet_spell_is_a_new_one(quiet: World) -> None:
    world = quiet
    lead(world, "U0BO", "腾讯", T0)
    log(world, "U0BO", "call", date(2026, 11, 27), customer="腾讯", at=W(30))  # Fri 16:00
    assert idle_sent(world, W(49)) == 0  # touched 19 working hours ago
    assert idle_sent(world, W(77)) == 0  # 47 working hours since the touch
    assert idle_sent(world, W(79)) == 1  # 49 working hours since the touch
    assert "11月27日 周五 16:00" in blocks_of(world, "U0BO")[0]  # the wait began then


def test_closed_unowned_and_later_stage_leads_are_left_alone(quiet: World) -> None:
    world = quiet
    won = lead(world, "U0BO", "Won Co", T0)
    demo = lead(world, "U0BO", "Demo Co", T0)
    with world.deps.sessions() as s:
        customers.set_stage(s, s.get(Customer, won.id), stage="won", now=T0, by_user_id="U0BO")
        customers.set_stage(s, s.get(Customer, demo.id), stage="demo", now=T0.astimezone(UTC),
                            by_user_id="U0BO")
    lead(world, None, "Nobody's", T0)  # type: ignore[arg-type]
    assert idle_sent(world, W(80)) == 0


def test_a_teams_rules_choose_the_stages_watched(quiet: World) -> None:
    world = quiet
    demo = lead(world, "U0BO", "Demo Co", T0)
    with world.deps.sessions() as s:
        customers.set_stage(s, s.get(Customer, demo.id), stage="demo", now=T0.astimezone(UTC),
                            by_user_id="U0BO")
        teams.set_rule_overrides(s, team_id=team_id(world), overrides={
            "points": {"idle_lead_stages": ["lead", "contacted", "demo"]}})
    assert idle_sent(world, W(49)) == 1


def test_still_untouched_after_72_working_hours_the_managers_hear_once(quiet: World) -> None:
    world = quiet
    lead(world, "U0BO", "阿里巴巴", T0)
    lead(world, "U0ALICE", "Acme Corp", T0 + timedelta(minutes=5))
    idle_sent(world, W(49))
    assert len(world.to("U0BO")) == len(world.to("U0ALICE")) == 1
    assert idle_sent(world, W(71)) == 0
    assert world.to("U0MEI") == []
    assert idle_sent(world, W(73)) == 1
    [text] = world.to("U0MEI")
    assert text == "East 有 2 条线索已超过 72 个工作小时没有跟进。"
    body = blocks_of(world, "U0MEI")[0]
    assert "<@U0BO>" in body and "<@U0ALICE>" in body and "阿里巴巴" in body
    world.restart()
    assert idle_sent(world, W(74)) == 0
    assert idle_sent(world, W(90)) == 0
    assert len(world.to("U0MEI")) == 1 and len(world.to("U0BO")) == 1


def test_an_english_speaking_manager_reads_english(quiet: World) -> None:
    world = quiet
    with world.deps.sessions() as s:
        teams.add_managers(s, workspace_id=WORKSPACE, name="East", user_ids=["U0STRAY"],
                           now=T0)
    lead(world, "U0BO", "阿里巴巴", T0)
    idle_sent(world, W(49))  # to BO
    assert idle_sent(world, W(73)) == 2  # to both managers
    assert world.to("U0STRAY") == [
        "1 lead in East has waited over 72 working hours for a follow-up."]
    assert len(world.to("U0MEI")) == 1 and len(world.to("U0BO")) == 1


def test_a_lapse_long_past_is_given_up_once_not_sent(quiet: World) -> None:
    world = quiet
    lead(world, "U0BO", "阿里巴巴", T0)
    result = world.tick(W(53), JOB)  # 4 h after it was due
    assert (result.sent, result.gave_up) == (0, 1)
    assert world.tick(W(54), JOB).gave_up == 0
    assert world.to("U0BO") == []


# ----------------------------------------------------------------- new-customer growth

MONDAY = local(SHANGHAI, "2026-11-30 09:00")  # the weeks looked at: 9, 16 and 23 Nov


def new_customers(world: World, counts: list[int]) -> None:
    for week, count in enumerate(counts):
        day = date(2026, 11, 9) + timedelta(weeks=week)
        for i in range(count):
            log(world, "U0BO" if i % 2 else "U0ALICE", "deal", day + timedelta(days=i % 5),
                customer=f"New {week}-{i}", amount=1000, new=True)
    # Repeat business is not new customers.
    log(world, "U0BO", "deal", date(2026, 11, 25), customer="Old", amount=500, new=False)


@pytest.mark.parametrize(("counts", "fires"), [
    ([50, 52, 54], True),  # +4%, then +3.8%
    ([50, 53, 55], False),  # +6%, then +3.8%
    ([50, 52, 56], False),  # +4%, then +7.7%
    ([0, 0, 0], True),  # no growth from nothing is no growth
    ([0, 0, 2], False),  # from nothing to something is growth
])
def test_growth_under_5_percent_two_weeks_running(world: World, counts: list[int],
                                                  fires: bool) -> None:
    new_customers(world, counts)
    assert tick(world, MONDAY - timedelta(minutes=1)).sent == 0
    assert tick(world, MONDAY).sent == int(fires)
    tick(world, MONDAY + timedelta(minutes=5))
    world.restart()
    tick(world, MONDAY + timedelta(hours=1))
    assert len(world.to("U0MEI")) == int(fires)
    if fires:
        assert world.to("U0MEI")[0] == "East 提醒：新客户增长已连续两周低于 5%。"
        body = blocks_of(world, "U0MEI")[0]
        assert f"11月23日 周一 这一周：*{counts[2]}*" in body
        key = f"alerts:{WORKSPACE}:U0MEI:growth:t{team_id(world)}:2026-W49"
        assert world.ledger()[key] == ("sent", 1)
    assert world.to("U0BO") == world.to("U0ALICE") == []  # managers only


def test_growth_waits_until_the_team_has_three_weeks(world: World) -> None:
    world.backdate(datetime(2026, 11, 10, tzinfo=UTC))
    assert tick(world, MONDAY).sent == 0


def test_no_growth_alert_for_a_team_with_no_reps(world: World) -> None:
    """Found playing a month: the reps moved to another team, and their old, empty team's
    manager still heard "new-customer growth under 5% two weeks running" (0, 0, 0)."""
    with world.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="Empty", channel_id="C0EMPTY",
                          managers=["U0MEI"], members=[], tz="Asia/Shanghai",
                          currency="CNY", now=datetime(2026, 9, 1, tzinfo=UTC))
    assert jobs.run_job(world.deps, "alerts", now=MONDAY, team="Empty").sent == 0
    assert world.to("U0MEI") == []


def test_growth_rule() -> None:
    assert growth(50, 52) == pytest.approx(0.04)
    assert growth(0, 0) == 0.0 and growth(0, 3) is None and growth(10, 5) == -0.5


# ----------------------------------------------------------------- mid-week pace

WEDNESDAY = local(SHANGHAI, "2026-11-25 12:00")


@pytest.mark.parametrize(("bo_touches", "fires"), [(3, True), (4, False)])
def test_reps_behind_on_touches_on_wednesday_noon(world: World, bo_touches: int,
                                                  fires: bool) -> None:
    # Target 8 a week: by Wednesday (Mon and Tue over) 4 are expected.
    log(world, "U0ALICE", "call", date(2026, 11, 23), count=4)
    log(world, "U0BO", "visit", date(2026, 11, 24), customer="腾讯", count=bo_touches)
    log(world, "U0BO", "training", date(2026, 11, 24))  # not a touch
    assert tick(world, WEDNESDAY - timedelta(minutes=1)).sent == 0
    assert tick(world, WEDNESDAY).sent == int(fires)
    world.restart()
    tick(world, WEDNESDAY + timedelta(hours=1))
    tick(world, local(SHANGHAI, "2026-11-26 12:00"))
    assert len(world.to("U0MEI")) == int(fires)
    if fires:
        assert world.to("U0MEI")[0] == "East 周中检查：本周有 1 位销售的客户触达进度落后。"
        body = blocks_of(world, "U0MEI")[0]
        assert "<@U0BO>：已触达 *3* 次，按进度应达 4 次（周目标 8 次）" in body
        assert "U0ALICE" not in body


def test_no_pace_alert_on_a_wednesday_off(world: World) -> None:
    with world.deps.sessions() as s:
        teams.add_day_off(s, workspace_id=WORKSPACE, name="East", day=date(2026, 11, 25))
    assert tick(world, WEDNESDAY + timedelta(minutes=5)).sent == 0


# ----------------------------------------------------------------- bunched deals

DECEMBER_1ST = local(SHANGHAI, "2026-12-01 09:00")


@pytest.fixture
def since_november(world: World) -> World:
    """The team started on 10 Nov: no growth alert for the Monday before (see above)."""
    world.backdate(datetime(2026, 11, 10, tzinfo=UTC))
    return world


@pytest.mark.parametrize(("late", "fires"), [(51_000, True), (49_000, False)])
def test_deals_bunched_in_the_last_three_days_of_a_month(since_november: World, late: int,
                                                         fires: bool) -> None:
    world = since_november
    log(world, "U0ALICE", "deal", date(2026, 11, 10), customer="Acme", amount=100_000 - late)
    log(world, "U0ALICE", "deal", date(2026, 11, 28), customer="Globex", amount=late)
    log(world, "U0ALICE", "deal", date(2026, 12, 1), customer="Later", amount=900_000)
    assert tick(world, DECEMBER_1ST - timedelta(minutes=1)).sent == 0
    assert tick(world, DECEMBER_1ST).sent == int(fires)
    world.restart()
    tick(world, DECEMBER_1ST + timedelta(hours=2))
    assert len(world.to("U0MEI")) == int(fires)
    if fires:
        assert world.to("U0MEI")[0] == "East，2026年11月：51% 的签单金额集中在最后 3 天。"
        body = blocks_of(world, "U0MEI")[0]
        assert "团队：最后 3 天签单 *¥51,000*，占全期 ¥100,000 的 51%" in body
        assert "<@U0ALICE>：*¥51,000*" in body


def test_a_rep_with_a_meaningful_amount_bunched_is_named(since_november: World) -> None:
    world = since_november
    log(world, "U0ALICE", "deal", date(2026, 11, 5), customer="A", amount=300_000)
    log(world, "U0ALICE", "deal", date(2026, 11, 12), customer="B", amount=300_000)
    log(world, "U0BO", "deal", date(2026, 11, 6), customer="C", amount=40_000)
    log(world, "U0BO", "deal", date(2026, 11, 29), customer="D", amount=60_000)
    log(world, "U0BO", "deal", date(2026, 11, 30), customer="E", amount=60_000)  # 75% late
    assert tick(world, DECEMBER_1ST).sent == 1  # the team is at 17%, BO at 75% of 160k
    body = blocks_of(world, "U0MEI")[0]
    assert "<@U0BO>：*¥120,000*，占其 ¥160,000 的 75%，3 单中的 2 单" in body
    assert "U0ALICE" not in body


def test_a_single_late_deal_is_not_a_pattern(since_november: World) -> None:
    world = since_november
    log(world, "U0ALICE", "deal", date(2026, 11, 30), customer="A", amount=300_000)
    assert tick(world, DECEMBER_1ST).sent == 0


def test_quarter_end_alerts_for_the_month_and_the_quarter(since_november: World) -> None:
    world = since_november
    log(world, "U0BO", "deal", date(2026, 12, 1), customer="A", amount=10_000)
    log(world, "U0BO", "deal", date(2026, 12, 30), customer="B", amount=30_000)
    log(world, "U0BO", "deal", date(2026, 12, 31), customer="C", amount=30_000)
    # 1 Jan is a holiday in China and 2-3 Jan a weekend: Monday 4 Jan is the first working day.
    assert tick(world, local(SHANGHAI, "2027-01-01 09:30")).sent == 0
    assert tick(world, local(SHANGHAI, "2027-01-04 09:00")).sent == 2
    texts = world.to("U0MEI")
    assert any("2026年12月" in x for x in texts) and any("2026年第4季度" in x for x in texts)
    assert tick(world, local(SHANGHAI, "2027-01-04 10:00")).sent == 0
