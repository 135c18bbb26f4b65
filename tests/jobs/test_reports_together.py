"""The report jobs compute the reports of the teams they owe messages together
(bot/jobs/reports.py `SharedReports`, bot/services/reports.py `team_reports`): a month-end
run reads the lead tables the same few times for two teams as for five, where one team at a
time read them once a team; and a run with everything delivered reads them not at all.

The world is tests/jobs/test_jobs.py's (team East, Shanghai) with more teams beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.jobs import reports as job_reports
from store import teams
from store.models import Member
from tests.conftest import WORKSPACE
from tests.fakes import FakeSlack
from tests.jobs.test_job_reports import log, posts, run
from tests.jobs.test_jobs import CREATED, SHANGHAI, World, local

DUE = "2026-10-08 09:00"  # September's month-end: 1-7 Oct are China's National Day holidays


def world_of(database_url: str, fake: FakeSlack, extra_teams: int) -> World:
    world = World(database_url, fake)
    with world.deps.sessions() as s:
        for i in range(extra_teams):
            teams.create_team(s, workspace_id=WORKSPACE, name=f"Team{i}", channel_id=f"C0T{i}",
                              managers=["U0MEI"], members=[f"U0REP{i}"], tz="Asia/Shanghai",
                              currency="CNY", now=CREATED)
            teams.set_holiday_country(s, workspace_id=WORKSPACE, name=f"Team{i}", country="CN")
    world.backdate(datetime(2026, 8, 1, tzinfo=UTC))
    with world.deps.sessions() as s:
        for member in s.exec(select(Member)).all():
            member.joined_at = datetime(2026, 8, 1, tzinfo=UTC)
            s.add(member)
    log(world, "U0BO", "visit", date(2026, 9, 7), count=3, customer="Acme")
    log(world, "U0BO", "deal", date(2026, 9, 16), customer="Acme", amount=Decimal(80000),
        new_customer=True)
    return world


@pytest.fixture
def counted(database_url: str, fake_slack: FakeSlack) -> Iterator:
    """world_of(n) and the statements it runs that read the lead tables, counted."""
    made: list[World] = []

    def make(extra_teams: int) -> tuple[World, list[str]]:
        world = world_of(database_url, fake_slack, extra_teams)
        made.append(world)
        seen: list[str] = []

        @event.listens_for(world.deps.engine, "before_cursor_execute")
        def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001, ARG001
            if re.search(r"\bFROM lead_stage_changes\b|\blead_event_versions\b", statement):
                seen.append(statement)

        return world, seen

    yield make
    for world in made:
        world.close()
    assert fake_slack.problems == [], fake_slack.problems


@pytest.mark.parametrize("extra_teams", [1, 4])
def test_month_end_reads_the_lead_tables_as_often_for_five_teams_as_for_two(
        counted, extra_teams: int) -> None:  # noqa: ANN001
    world, seen = counted(extra_teams)
    result = run(world, "month-end", local(SHANGHAI, DUE))
    # Each team: a scorecard per rep, the manager's overview, the channel's board.
    reps = 2 + extra_teams
    assert (result.sent, result.failed) == (reps + 2 * (1 + extra_teams), 0), result.lines
    for i in range(extra_teams):
        [card] = posts(world, f"DU0REP{i}")
        assert "绩效卡" in card["text"] or "Scorecard" in card["text"]
        assert len(posts(world, f"C0T{i}")) == 1
    [bo] = posts(world, "DU0BO")
    assert "绩效卡" in bo["text"] and "2026年9月" in bo["text"]
    # Together: 8 reads (the month and the month before), for two teams as for five. One
    # team at a time read them 8 times a team: 16 and 40.
    assert len(seen) <= 8, len(seen)
    seen.clear()
    assert run(world, "month-end", local(SHANGHAI, "2026-10-08 09:30")).sent == 0
    assert seen == []  # everything delivered: no report computed


@pytest.mark.parametrize(("broken", "logged"), [
    # computing the batch's reports together (SharedReports.take)
    ("team_reports", "the reports of 2 teams together failed"),
    # the look at every team before any is visited (bot/jobs/outbox.py: each_team's `first`)
    ("_owes", "month-end: looking at the teams before visiting them failed"),
])
def test_when_an_optimisation_fails_each_team_computes_its_own(
        counted, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,  # noqa: ANN001
        broken: str, logged: str) -> None:
    """Computing the teams together only saves work: when it fails, the run logs it and
    every message still goes, each team computing its own reports."""
    world, seen = counted(1)

    def fault(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away for a moment")

    monkeypatch.setattr(job_reports, broken, fault)  # a fault, injected
    result = run(world, "month-end", local(SHANGHAI, DUE))
    assert (result.sent, result.failed) == (3 + 2 * 2, 0), result.lines
    assert logged in caplog.text
    assert len(seen) == 16  # one team at a time: 8 reads a team
    [bo] = posts(world, "DU0BO")
    assert "绩效卡" in bo["text"] and "2026年9月" in bo["text"]


def test_teams_are_computed_a_batch_at_a_time(counted,  # noqa: ANN001
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    world, seen = counted(4)
    monkeypatch.setattr(job_reports, "TOGETHER", 2)  # 5 teams: batches of 2, 2 and 1
    result = run(world, "month-end", local(SHANGHAI, DUE))
    assert (result.sent, result.failed) == (6 + 2 * 5, 0), result.lines
    assert len(seen) == 3 * 8
    for i in range(4):
        assert len(posts(world, f"DU0REP{i}")) == 1 and len(posts(world, f"C0T{i}")) == 1
