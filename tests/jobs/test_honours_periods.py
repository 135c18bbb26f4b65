"""Rookie of the month appears in the month's posts only, not in the Friday channel summary
(issue 12: it was awarded in weekly posts). The team is
tests/jobs/test_jobs.py's, all of its reps rookies (joined 1 Aug 2026)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.jobs.test_job_reports import CHANNEL, log, posts, run, september, world
from tests.jobs.test_jobs import SHANGHAI, World, local

ROOKIE = "月度新人"  # the channel speaks the manager's language (Chinese)
__all__ = ["september", "world"]  # the fixtures


def test_the_friday_summary_names_no_rookie_of_the_month(world: World) -> None:
    log(world, "U0BO", "visit", date(2026, 11, 18), count=3, customer="Acme")
    log(world, "U0BO", "deal", date(2026, 11, 19), customer="Acme", amount=Decimal(50000),
        new_customer=True)
    assert run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00")).sent == 3
    [summary] = posts(world, CHANNEL)
    assert "<@U0BO>" in summary["blocks"] and ROOKIE not in summary["blocks"]


def test_the_month_end_board_names_the_rookie(september: World) -> None:
    """The same rule at month end still names the rookie (a quarter's and a year's posts
    never do: tests/scoring/test_leaderboard.py)."""
    world = september
    assert run(world, "month-end", local(SHANGHAI, "2026-10-08 09:00")).failed == 0
    [board] = posts(world, CHANNEL)
    assert f"{ROOKIE}：<@U0BO>" in board["blocks"]
