"""A rep away a week, played through the console's own driver (bot/slack/console.py) as in
tests/jobs/test_first_month.py: Mei (manager, Chinese) sets Bo's leave for the week of Mon 16
Nov 2026; every job runs at each stop. Bo gets no check-in reminder and no Friday brief
request that week, the mid-week pace check does not count him behind, and he is reminded
again on Monday 23rd; the month-end overview says who is away then, until when."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.slack.console import run_console
from tests.jobs.test_first_month import at, messages, replies, stop

SCRIPT = [
    *at("2026-11-02 08:30", "U0MEI"),
    "/pacer team create East #sales tz Asia/Shanghai currency CNY @mei",
    "/pacer team remove Demo Sales @alice @U0BO @carlos",
    "/pacer team add East @alice @U0BO @carlos",
    "/pacer team holidays East CN",
    *at("2026-11-13 10:00", "U0MEI"), "/pacer away @U0BO from 2026-11-16 1w 回老家",
    *at("2026-11-13 10:05", "U0BO"), "/pacer 请假",
    *at("2026-11-16 09:30", "U0BO"),  # Monday: the check-in reminders
    *at("2026-11-18 12:00", "U0MEI"),  # Wednesday: the pace check
    *at("2026-11-20 15:00", "U0BO"),  # Friday: the brief requests
    *at("2026-11-23 09:30", "U0BO"),  # back: reminded again
    *at("2026-11-30 10:00", "U0BO"), "/pacer away until 2026-12-02 年假",
    *at("2026-12-01 09:30", "U0MEI"),  # the month-end cards and the overview
]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder: Path = tmp_path_factory.mktemp("away-week")
    written = io.StringIO()
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    run_console(Settings(database_url=f"sqlite:///{folder / 'console.db'}", clock_start=start),
                start_user=None, stdin=io.StringIO("\n".join(SCRIPT) + "\n"), stdout=written)
    return written.getvalue()


def dms(out: str, when: str, user: str) -> list[str]:
    return messages(stop(out, when), "D" + user)


def test_the_leave_is_set_by_the_manager_and_listed_for_the_rep(out: str) -> None:
    set_reply = replies(out, "2026-11-13 10:00")
    assert "🌴 <@U0BO> 请假：11月16日 周一 至 11月22日 周日（5 个工作日）：回老家" in set_reply
    listing = replies(out, "2026-11-13 10:05")
    assert "11月16日 周一 – 11月22日 周日：回老家 · 由 <@U0MEI> 设置" in listing


def test_no_reminders_to_the_rep_while_away_and_again_once_back(out: str) -> None:
    assert dms(out, "2026-11-16 09:30", "U0BO") == []
    assert dms(out, "2026-11-20 15:00", "U0BO") == []  # no brief request either
    assert any("签到" in m for m in dms(out, "2026-11-23 09:30", "U0BO"))
    assert messages(stop(out, "2026-11-20 15:00"), "DU0CARLOS")  # Carlos is asked


def test_the_pace_check_does_not_count_the_away_rep_behind(out: str) -> None:
    pace = dms(out, "2026-11-18 12:00", "U0MEI")
    assert pace and "U0BO" not in "".join(pace)  # the others, who logged nothing, are named


def test_the_month_end_overview_says_who_is_away_until_when(out: str) -> None:
    overview = [m for m in dms(out, "2026-12-01 09:30", "U0MEI") if "East · 团队总览" in m]
    assert overview and "🌴 请假中：<@U0BO>（至 12月2日 周三）" in overview[0]
