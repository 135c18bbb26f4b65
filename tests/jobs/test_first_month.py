"""Issue 12: a fresh team's first month, played through the console's own driver
(bot/slack/console.py, in process) as the admin and manager (李梅 U0MEI, Chinese), a rep in
Chinese (王博 U0BO, Shanghai) and two in English (Alice, New York; Carlos, Singapore), with
`:now` moving through November 2026 and every job run at each stop.

The numbers, by hand (seed 001: +20 a day of 3+ visits, +30 a needs-analysis report, -10 a
lead idle more than 48 working hours while at `lead` or `contacted`, once per quiet spell):
- Bo, Mon 2 Nov: three visits to 恒泰科技 (+20) and its needs-analysis report (+30), which moves
  it to discovery: it is no longer a lead waiting for a follow-up, so its quiet weeks after cost
  nothing. November: 50 points.
- Alice: Zorvex Labs added as a lead Fri 6 Nov 17:00 (Shanghai), called Mon 9 Nov 22:00: the
  weekend stops the clock, so 7 + 22 = 29 working hours, on time. She wins it Wed 11 Nov 21:00
  (CN¥80,000, 47 hours after the call). Brambly Foods, added Wed 11 Nov 22:00 and never touched:
  48 working hours run out Fri 13 Nov 22:00, one lapse (-10) for the whole quiet spell.
  November: -10 points.
- Carlos: a new customer won Tue 10 Nov, CN¥200,000 (no lead before it, so no lapse): 0 points.
  Mei sets his November target late, on Fri 20 Nov: CN¥500,000; 200k of 500k is 40%.
- No history and no targets for Bo and Alice: their November cards are not graded and carry no
  bonus multiplier; Carlos's closed month, with its target, is graded with a multiplier.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.jobs import registry as jobs
from bot.slack.console import run_console

ALL_JOBS = [f":run {name}" for name in jobs.JOBS]


def at(when: str, user: str) -> list[str]:
    """Move the clock (Shanghai time, set as Mei so the console says it in Shanghai time),
    run every job there as the scheduler would, and carry on as `user`."""
    return [":as U0MEI", f":now {when}", *ALL_JOBS, f":as {user}"]


SCRIPT = [
    *at("2026-11-02 08:30", "U0MEI"),
    "/pacer team create East #sales tz Asia/Shanghai currency CNY @mei",
    "/pacer team remove Demo Sales @alice @U0BO @carlos",
    "/pacer team add East @alice @U0BO @carlos",
    "/pacer team holidays East CN",
    *at("2026-11-02 10:00", "U0BO"),
    "/log 拜访 恒泰科技", "/log 拜访 恒泰科技", "/log 拜访 恒泰科技", "/log 需求分析报告 恒泰科技",
    *at("2026-11-06 17:00", "U0ALICE"), "/lead add Zorvex Labs",
    *at("2026-11-06 17:30", "U0ALICE"),  # the Friday report
    *at("2026-11-09 22:00", "U0ALICE"), "/log call Zorvex Labs",
    *at("2026-11-10 10:00", "U0CARLOS"), "/log deal Quilldon Works 200k new",
    *at("2026-11-11 21:00", "U0ALICE"), "/log deal Zorvex Labs 80k new",
    *at("2026-11-11 22:00", "U0ALICE"), "/lead add Brambly Foods",
    *at("2026-11-13 17:30", "U0ALICE"),
    *at("2026-11-16 10:00", "U0MEI"),  # calibration packs, a working day ahead
    "/calibrate pack @alice",
    *at("2026-11-18 10:00", "U0BO"), "/scorecard week",
    *at("2026-11-18 10:05", "U0BO"), "/scorecard",
    *at("2026-11-20 11:00", "U0MEI"), "/target set @carlos sales 500k 2026-11 新区域",
    *at("2026-11-20 11:05", "U0CARLOS"), "/target",
    *at("2026-11-27 17:30", "U0BO"),
    *at("2026-12-01 09:30", "U0MEI"),  # the month-end cards and the overview
]
STOPS = [line[5:] for line in SCRIPT if line.startswith(":now ")]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder: Path = tmp_path_factory.mktemp("first-month")
    written = io.StringIO()
    # The console seeds its demo team at its clock: PACER_NOW's start, before the month, as a
    # team that exists already would be (seeded at the real date, its reps would have "joined"
    # after the weeks played here).
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    run_console(Settings(database_url=f"sqlite:///{folder / 'console.db'}", clock_start=start),
                start_user=None, stdin=io.StringIO("\n".join(SCRIPT) + "\n"), stdout=written)
    return written.getvalue()


def messages(out: str, channel: str) -> list[str]:
    """What the console showed as posted to a channel (a DM is D + the user)."""
    parts = re.split(r"\n(?=── )", out)
    return [p for p in parts if p.startswith(f"── chat.postMessage to {channel} ──")]


def stop(out: str, when: str) -> str:
    """Everything shown from the clock stop `when` (Shanghai) to the next."""
    start = out.index(f"{when} Asia/Shanghai.\n")
    following = out.find("Clock set to", start + 1)
    return out[start:] if following < 0 else out[start:following]


def replies(out: str, when: str) -> str:
    """What the console showed for the commands typed at the stop `when`: the part after
    the last job's run."""
    shown = stop(out, when)
    return shown[shown.rindex("retention at "):]


GRADED = re.compile(r"grade \*[SABCD]\*|等级 \*[SABCD]\*")
BONUS = re.compile(r"bonus ×|奖金系数 ×")


def test_the_team_was_set_up_and_every_job_ran_without_failing(out: str) -> None:
    """Every job at every stop; none failed. (Some give up: the clock jumps days between
    stops, past the catch-up window of the reminders in between; that is what they should
    do.)"""
    assert "已创建团队 *East*" in out and "加入 *East*" in out
    runs = re.findall(r"^(\S+) at .*: sent (\d+), skipped \d+, failed (\d+), gave up \d+$",
                      out, flags=re.M)
    assert len(runs) == len(ALL_JOBS) * len(STOPS)
    failed = [line for line in out.splitlines() if line.startswith("  failed ")]
    assert failed == []


def test_no_internal_error_anywhere(out: str) -> None:
    assert "something went wrong" not in out and "系统出了点问题" not in out


def test_a_data_pack_with_an_idle_lead_reaches_both_sides(out: str) -> None:
    """Issue 12 item 1: Brambly Foods has been idle since Wed 11 Nov; the day-ahead packs of
    Mon 16 Nov (for Tue 17 Nov 10:00) go to Alice and Mei, and `/calibrate pack` shows it."""
    shown = stop(out, "2026-11-16 10:00")
    assert [m for m in messages(shown, "DU0ALICE") if "Brambly Foods" in m]
    assert [m for m in messages(shown, "DU0MEI") if "Brambly Foods" in m]
    assert "Brambly Foods" in replies(out, "2026-11-16 10:00")  # /calibrate pack @alice


def test_the_weekly_card_counts_points_as_the_seeds_do_and_shows_no_grade(out: str) -> None:
    """Issue 12 items 4 and 5: Bo's Friday card for week 45 has his 50 points (no lapse for a
    customer in discovery) and neither a grade nor a bonus."""
    [week] = [m for m in messages(stop(out, "2026-11-06 17:30"), "DU0BO") if "你的一周" in m] or [
        m for m in messages(stop(out, "2026-11-06 17:00"), "DU0BO") if "你的一周" in m]
    assert "*行为积分 50*" in week
    assert not GRADED.search(week) and not BONUS.search(week)


def test_to_date_cards_show_pace_not_grades(out: str) -> None:
    """Issue 12 item 5: /scorecard week and /scorecard mid-month, as Bo: his numbers, no
    grade, no bonus."""
    week = replies(out, "2026-11-18 10:00")
    month = replies(out, "2026-11-18 10:05")
    assert "之后才加入" not in week  # Bo has been on East since 2 Nov
    assert "*行为积分 50*" in month  # the same 50 points: nothing since
    for text in (week, month):
        assert not GRADED.search(text) and not BONUS.search(text)


def test_month_end_cards_grade_only_with_a_target(out: str) -> None:
    """Bo (zh) and Alice (en) have no target and no history: what they did, no grade, no
    bonus. Carlos's target was set late but for November: his closed month is graded, with
    its multiplier. The overview tells Mei whose targets are missing and how to set them."""
    month_end = stop(out, "2026-12-01 09:30")
    bo = "".join(messages(month_end, "DU0BO"))
    alice = "".join(messages(month_end, "DU0ALICE"))
    carlos = "".join(m for m in messages(month_end, "DU0CARLOS") if "November 2026" in m)
    assert "*行为积分 50*" in bo  # 3 visits (+20) and a report (+30), no lapse
    assert not GRADED.search(bo) and not BONUS.search(bo)
    assert "*Behaviour points -10*" in alice  # Brambly Foods only; Zorvex Labs was on time
    assert "CN¥80,000" in alice
    assert not GRADED.search(alice) and not BONUS.search(alice)
    assert "CN¥200,000 of CN¥500,000" in carlos
    assert GRADED.search(carlos) and BONUS.search(carlos)
    [overview] = [m for m in messages(month_end, "DU0MEI") if "East · 团队总览" in m]
    assert "/target set" in overview
    assert "<@U0ALICE>" in overview and "<@U0BO>" in overview


def test_a_target_reads_as_it_was_set(out: str) -> None:
    """Issue 12 item 2: CN¥500,000 for November, set by the manager, shown to Carlos as
    such, whatever period his /target opens on."""
    shown = replies(out, "2026-11-20 11:05")
    assert "500,000" in shown and "368,852" not in shown
