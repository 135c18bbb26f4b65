"""Away days in the jobs: no reminder to a rep on leave (`/pacer away`), nor, on a team that
reads Slack's status, to one whose status says so; through the scheduler's tick, against the
fake Slack over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from store import away, teams
from tests.conftest import WORKSPACE
from tests.fakes import FakeSlack
from tests.jobs.test_jobs import NEW_YORK, SHANGHAI, World, key, local


@pytest.fixture
def world(database_url: str, fake_slack: FakeSlack) -> Iterator[World]:
    """test_jobs' world: team East (CN holidays), Alice in New York, Bo in Shanghai."""
    w = World(database_url, fake_slack)
    yield w
    w.close()
    assert fake_slack.problems == [], fake_slack.problems


def leave(world: World, user: str, first: date, last: date) -> None:
    with world.deps.sessions() as s:
        away.add(s, workspace_id=WORKSPACE, user_id=user, first=first, last=last, reason="",
                 set_by=user, now=world.clock.now())


def reminded_days(world: World, user: str, start: datetime, days: int,
                  job: str = "checkin-reminder") -> list[str]:
    """The periods `user` was reminded for, ticking every half hour for `days` days."""
    at, end = start, start + timedelta(days=days)
    while at < end:
        world.tick(at, job)
        at += timedelta(minutes=30)
    with world.deps.sessions():
        return sorted(k.rsplit(":", 1)[1] for k, (status, _) in world.ledger().items()
                      if k.startswith(f"{job}:{WORKSPACE}:{user}:") and status == "sent")


def test_no_checkin_reminder_on_a_reps_away_days_and_the_brief_skips_an_away_friday(
        world: World) -> None:
    reminders_skip_leave(world)


def test_the_same_on_postgres(pg_url: str, fake_slack: FakeSlack) -> None:
    """The roster's away read (a join on workspace and user) and the reminders on PG."""
    w = World(pg_url, fake_slack)
    try:
        reminders_skip_leave(w)
    finally:
        w.close()


def reminders_skip_leave(world: World) -> None:
    leave(world, "U0BO", date(2026, 11, 19), date(2026, 11, 23))  # Thu to Mon
    start = local(SHANGHAI, "2026-11-18 00:00")
    bo = reminded_days(world, "U0BO", start, 7)
    assert bo == ["2026-11-18", "2026-11-24"]  # Wed, then back on Tue (the weekend: none)
    alice = [k for k, (status, _) in world.ledger().items()
             if k.startswith(f"checkin-reminder:{WORKSPACE}:U0ALICE:2026-11-2")
             and status == "sent"]
    assert len(alice) == 3  # Fri 20, Mon 23, Tue 24 in New York: not on leave, each working day
    briefs = reminded_days(world, "U0BO", start, 7, "friday-brief")
    assert briefs == []  # away on Friday 20 Nov
    assert reminded_days(world, "U0ALICE", start, 0, "friday-brief") == ["2026-W47"]


def test_a_team_that_reads_slack_status_skips_a_rep_whose_status_says_away(
        world: World) -> None:
    with world.deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name="East")
        away.set_status_reading(s, team=team, on=True, by="U0MEI", now=world.clock.now())
    world.fake.users["U0BO"] = {**world.fake.users["U0BO"],
                                "profile": {"status_emoji": ":palm_tree:"}}
    world.fake.users["U0ALICE"] = {**world.fake.users["U0ALICE"],
                                   "profile": {"status_text": "In a meeting"}}
    result = world.tick(local(SHANGHAI, "2026-11-18 09:30"))
    assert (result.sent, result.skipped) == (0, 1)
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("gave_up", 0)
    asked = len(world.fake.find("users.profile.get"))
    world.tick(local(SHANGHAI, "2026-11-18 10:00"))  # recorded: not asked again
    assert len(world.fake.find("users.profile.get")) == asked == 1
    world.fake.users["U0BO"]["profile"] = {"status_text": "请假中"}
    world.fake.users["U0ALICE"]["profile"] = {"status_text": "On leave till Monday"}
    assert world.tick(local(NEW_YORK, "2026-11-18 09:30")).skipped == 1  # Alice, by text
    world.fake.users["U0BO"]["profile"] = {"status_text": "拜访客户"}
    assert world.tick(local(SHANGHAI, "2026-11-19 09:30")).sent == 1  # Bo is back
    with world.deps.sessions() as s:  # off: nobody's status is read
        away.set_status_reading(s, team=team, on=False, by="U0MEI", now=world.clock.now())
    asked = len(world.fake.find("users.profile.get"))
    assert world.tick(local(NEW_YORK, "2026-11-19 09:30")).sent == 1
    assert len(world.fake.find("users.profile.get")) == asked
