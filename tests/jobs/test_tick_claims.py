"""Issue 15: several `pacer run` processes on one database split each minute's teams (tick
claims, bot/services/tick_claims.py). Processes are played here by claimers of different
names in one test process, on SQLite and on PostgreSQL; test_tick_claims_processes.py runs
real processes."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.deps import Deps
from bot.jobs import registry as jobs
from bot.jobs.scheduler import Scheduler, tick_all
from bot.services.teams import SharedTick, shared_tick, team_infos
from bot.services.tick_claims import KEEP, TickClaims
from store import claims, teams
from store.models import TickClaim
from tests.conftest import WORKSPACE, make_deps
from tests.fakes import FakeSlack

CREATED = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
FRIDAY_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # brief and report owed in Shanghai
MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, database_url: str) -> str:
    """Each test on SQLite and on PostgreSQL (skipped, saying why, without a server)."""
    return database_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def seed(deps: Deps, n_teams: int, reps: int = 2) -> None:
    with deps.sessions() as s:
        for t in range(n_teams):
            teams.create_team(s, workspace_id=WORKSPACE, name=f"Team {t}",
                              channel_id=f"C{t:04d}", managers=[f"UM{t:03d}"],
                              members=[f"U{t:03d}R{r}" for r in range(reps)],
                              tz="Asia/Shanghai", currency="CNY", now=CREATED)


def team_ids(deps: Deps) -> list[int]:
    return sorted(info.id for info in team_infos(deps, None))


def test_two_processes_split_a_minutes_teams_evenly_and_exactly(
        url: str, fake_slack: FakeSlack) -> None:
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 7)
    ids, minute = team_ids(deps), FRIDAY_1730
    a, b = TickClaims("host:1"), TickClaims("host:2")
    a.join(deps)
    b.join(deps)
    got_a, got_b = a.share(deps, minute, ids), b.share(deps, minute, ids)
    assert got_a | got_b == set(ids) and not got_a & got_b
    assert sorted([len(got_a), len(got_b)]) == [3, 4]
    assert a.last.processes == b.last.processes == 2
    with deps.sessions() as s:
        owners = claims.claimed(s, minute=minute)
    assert Counter(owners.values()) == Counter({"host:1": 5, "host:2": 4})  # + its own row
    # The next minute each keeps its teams (a team's remembered keys stay useful).
    assert a.share(deps, minute + MINUTE, ids) == got_a
    deps.engine.dispose()


def test_a_lone_process_claims_every_team_and_a_latecomer_takes_none_of_that_minute(
        url: str, fake_slack: FakeSlack) -> None:
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 4)
    ids, minute = team_ids(deps), FRIDAY_1730
    early, late = TickClaims("host:1"), TickClaims("host:2")
    assert early.share(deps, minute, ids) == set(ids)
    # The latecomer counts two processes and asks for its half: already taken this minute.
    assert late.share(deps, minute, ids) == set()
    assert late.last.asked == 2 and late.last.got == 0
    # From the next minute on both count two, and split.
    nxt = minute + MINUTE
    got_early, got_late = early.share(deps, nxt, ids), late.share(deps, nxt, ids)
    assert got_early | got_late == set(ids) and len(got_early) == len(got_late) == 2
    deps.engine.dispose()


def test_a_dead_processes_teams_wait_one_minute_then_the_survivor_takes_them(
        url: str, fake_slack: FakeSlack) -> None:
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 4)
    ids, minute = team_ids(deps), FRIDAY_1730
    alive, dead = TickClaims("host:1"), TickClaims("host:2")
    alive.join(deps)
    dead.join(deps)
    mine = alive.share(deps, minute, ids)
    theirs = dead.share(deps, minute, ids)  # ... and it dies after claiming
    assert len(mine) == len(theirs) == 2
    # Its claim of the minute before still counts it: its teams wait this minute ...
    assert alive.share(deps, minute + MINUTE, ids) == mine
    # ... and the next, the survivor works every team.
    assert alive.share(deps, minute + 2 * MINUTE, ids) == set(ids)
    assert alive.last.processes == 1
    deps.engine.dispose()


def test_claims_older_than_an_hour_are_pruned(url: str, fake_slack: FakeSlack) -> None:
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 2)
    ids = team_ids(deps)
    claimer = TickClaims("host:1")
    old = FRIDAY_1730 - KEEP - MINUTE
    claimer.share(deps, old, ids)
    claimer.share(deps, old + MINUTE, ids)  # pruned at most once an hour: not yet
    claimer.share(deps, FRIDAY_1730, ids)
    with deps.sessions() as s:
        minutes = set(s.execute(select(TickClaim.minute)).scalars())
    assert {m.replace(tzinfo=UTC) if m.tzinfo is None else m for m in minutes} == {
        old + MINUTE, FRIDAY_1730}
    deps.engine.dispose()


def test_racing_claimers_each_unit_goes_to_exactly_one(url: str,
                                                      fake_slack: FakeSlack) -> None:
    """The same units asked for at once by six threads (six processes' connections): each
    unit has one owner, and each claimer's answer is exactly the units it owns."""
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    units = [f"team:{i}" for i in range(200)]
    answers: dict[str, set[str]] = {}
    start = threading.Barrier(6)

    def claim(owner: str) -> None:
        start.wait()
        with deps.sessions() as s:
            answers[owner] = claims.take(s, minute=FRIDAY_1730, units=units[::-1],
                                         owner=owner, now=FRIDAY_1730)

    threads = [threading.Thread(target=claim, args=(f"host:{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with deps.sessions() as s:
        owners = claims.claimed(s, minute=FRIDAY_1730)
    assert sorted(owners) == sorted(units)
    for owner, got in answers.items():
        assert got == {unit for unit, who in owners.items() if who == owner}
    deps.engine.dispose()


def test_two_schedulers_share_a_tick_and_send_each_message_once(
        url: str, fake_slack: FakeSlack) -> None:
    """The scheduler's path: each works only its claimed teams; together every team's brief
    and report went out, each once, as one process alone sends them."""
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 4)
    one, two = (Scheduler(deps, claims=TickClaims(f"host:{i}")) for i in (1, 2))
    for scheduler in (one, two):
        scheduler.shared.claims.join(deps)
    for job in jobs.runnable():
        one.tick(job.name)
        two.tick(job.name)
    assert one.shared.mine | two.shared.mine == set(team_ids(deps))
    assert len(one.shared.mine) == len(two.shared.mine) == 2
    posts = [(c.args["channel"], str(c.args.get("text"))) for c in
             fake_slack.find("chat.postMessage")]
    assert len(posts) == len(set(posts))
    # Every team's channel summary and every rep's brief and report DMs, once.
    assert {channel for channel, _ in posts} == {f"C{t:04d}" for t in range(4)} | {
        f"DU{t:03d}R{r}" for t in range(4) for r in range(2)}
    with deps.sessions() as s:
        sent = s.execute(select(func.count()).select_from(TickClaim)).scalar()
    assert sent == 4 + 2  # four teams, two processes
    deps.engine.dispose()


def test_only_the_scheduler_claims(url: str, fake_slack: FakeSlack) -> None:
    """`pacer jobs run`, the console's :run and tests (run_job, tick_all) work every team."""
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 3)
    other = TickClaims("host:other")
    other.join(deps)  # another process is counted: a claiming tick here would get a share
    jobs.run_job(deps, "friday-brief", now=FRIDAY_1730)
    results = tick_all(deps)
    assert results["friday-report"].sent == 3 * 2 + 3
    with shared_tick(SharedTick()):
        assert len(team_infos(deps, None)) == 3
    with deps.sessions() as s:
        assert claims.claimed(s, minute=FRIDAY_1730) == {"process:host:other": "host:other"}
    deps.engine.dispose()


def test_a_process_whose_clock_runs_ahead_does_not_change_the_count(
        url: str, fake_slack: FakeSlack) -> None:
    """Only the claims of this minute and the one before count: a row of a later minute (a
    process whose clock is ahead, or a benchmark's) does not make a lone process halve."""
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 4)
    ids = team_ids(deps)
    TickClaims("host:ahead").share(deps, FRIDAY_1730 + 5 * MINUTE, ids)
    TickClaims("host:gone").share(deps, FRIDAY_1730 - 2 * MINUTE, ids)
    lone = TickClaims("host:1")
    assert lone.share(deps, FRIDAY_1730, ids) == set(ids)
    assert lone.last.processes == 1
    deps.engine.dispose()


def test_a_process_that_dies_after_claiming_loses_its_teams_two_minutes_not_their_messages(
        url: str, fake_slack: FakeSlack) -> None:
    """The dead process claimed its half at 17:30 and sent nothing; the survivor works only
    its own half at 17:30 and 17:31, every team from 17:32, and what fell due for the dead
    one's teams (brief, report: catch-up windows of hours) goes out then, once."""
    _, deps = make_deps(url, fake_slack, FixedClock(FRIDAY_1730))
    seed(deps, 4)
    ids = team_ids(deps)
    survivor = Scheduler(deps, claims=TickClaims("host:1"))
    dead = TickClaims("host:2")
    survivor.shared.claims.join(deps)
    dead.join(deps)
    lost = dead.share(deps, FRIDAY_1730, ids)
    assert len(lost) == 2
    channels = []
    for minute in range(3):
        deps.clock = FixedClock(FRIDAY_1730 + minute * MINUTE)
        for job in jobs.runnable():
            survivor.tick(job.name)
        channels.append({c.args["channel"] for c in fake_slack.find("chat.postMessage")})
    team_of = {info.id: info.name for info in team_infos(deps, None)}
    lost_channels = {f"C{int(team_of[t].split()[1]):04d}" for t in lost}
    assert not lost_channels & channels[1]  # waited 17:30 and 17:31
    assert lost_channels <= channels[2]  # sent at 17:32
    posts = [(c.args["channel"], str(c.args.get("text"))) for c in
             fake_slack.find("chat.postMessage")]
    assert len(posts) == len(set(posts)) == 4 * (1 + 2 * 2)  # summary, 2 reps x brief+report
    deps.engine.dispose()
