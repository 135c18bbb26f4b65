"""Away days in the alerts: the mid-week pace expects nothing of a rep's away days, and a
lead's 48 working hours do not run while its owner is away. The world is
tests/jobs/test_job_alerts.py's (team East, CN holidays, set up in September)."""

from __future__ import annotations

from datetime import date, timedelta

from store import away
from tests.conftest import WORKSPACE
from tests.jobs.test_job_alerts import (
    T0,
    WEDNESDAY,
    W,
    blocks_of,
    idle_sent,
    lead,
    log,
    quiet,
    tick,
    world,
)
from tests.jobs.test_jobs import World

__all__ = ["quiet", "world"]  # the fixtures


def leave(world: World, user: str, first: date, last: date) -> None:
    with world.deps.sessions() as s:
        away.add(s, workspace_id=WORKSPACE, user_id=user, first=first, last=last, reason="",
                 set_by=user, now=world.clock.now())


def test_a_monday_away_expects_less_by_wednesday(world: World) -> None:
    # Without the leave 3 touches by Wednesday are behind (4 expected of 8: the test next
    # door); away on Monday, Bo's week is 4 days (target 7) and Tuesday expects 2.
    leave(world, "U0BO", date(2026, 11, 23), date(2026, 11, 23))
    log(world, "U0ALICE", "call", date(2026, 11, 23), count=4)
    log(world, "U0BO", "visit", date(2026, 11, 24), customer="腾讯", count=3)
    assert tick(world, WEDNESDAY).sent == 0


def test_a_rep_away_monday_and_tuesday_is_not_judged_and_the_others_are(world: World) -> None:
    leave(world, "U0BO", date(2026, 11, 23), date(2026, 11, 24))
    assert tick(world, WEDNESDAY).sent == 1
    body = blocks_of(world, "U0MEI")[0]
    assert "<@U0ALICE>" in body and "U0BO" not in body


def test_an_owners_away_days_stop_a_leads_clock(quiet: World) -> None:
    world = quiet
    leave(world, "U0BO", date(2026, 11, 27), date(2026, 11, 27))  # Friday
    lead(world, "U0BO", "阿里巴巴", T0)
    assert idle_sent(world, W(49)) == 0  # Monday 11:00: Friday did not count
    assert idle_sent(world, W(49) + timedelta(hours=24)) == 1  # Tuesday 11:00
    assert "49 个工作小时" in blocks_of(world, "U0BO")[0]
