"""Issue 15: a scheduler tick's cost grows with teams and reps, not teams²; the jobs of one
tick share the teams' information (built once, a few joined reads); importing what
`pacer run` runs loads no matplotlib."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.clock import FixedClock
from bot.jobs import registry as jobs
from bot.jobs.scheduler import Scheduler, tick_all
from bot.services import teams as team_service
from store import rosters, teams
from tests.conftest import WORKSPACE, make_deps
from tests.fakes import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
CREATED = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
IDLE = datetime(2026, 11, 18, 4, 17, tzinfo=UTC)  # Wednesday, nothing new due in Shanghai


def _seed(deps, n_teams: int, reps: int = 3) -> None:  # noqa: ANN001
    with deps.sessions() as s:
        for t in range(n_teams):
            teams.create_team(s, workspace_id=WORKSPACE, name=f"Team {t}",
                              channel_id=f"C{t:04d}", managers=[f"UM{t:03d}"],
                              members=[f"U{t:03d}R{r}" for r in range(reps)],
                              tz="Asia/Shanghai",
                              currency="CNY", now=CREATED)
            teams.add_day_off(s, workspace_id=WORKSPACE, name=f"Team {t}",
                              day=datetime(2026, 12, 24).date())


def _warm_tick_statements(database_url: str, fake_slack: FakeSlack, n_teams: int) -> int:
    _, deps = make_deps(database_url, fake_slack, FixedClock(IDLE))
    _seed(deps, n_teams)
    tick_all(deps)  # the first tick sends what is owed and fills the ledger
    deps.clock = FixedClock(IDLE + timedelta(minutes=1))
    counted = [0]

    @event.listens_for(deps.engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        counted[0] += 1

    tick_all(deps)
    deps.engine.dispose()
    return counted[0]


def test_a_ticks_statements_grow_linearly_with_teams(tmp_path: Path,
                                                      fake_slack: FakeSlack) -> None:
    small = _warm_tick_statements(f"sqlite:///{tmp_path / 'small.db'}", fake_slack, 5)
    large = _warm_tick_statements(f"sqlite:///{tmp_path / 'large.db'}", fake_slack, 20)
    # Four times the teams: linear is at most 4x (the fixed part makes it less); a query per
    # team and per team of its workspace (what team_infos did) was about 16x.
    assert large <= 4.5 * small, (small, large)


def test_after_a_restart_a_tick_recalls_each_teams_delivered_keys_at_once(
        database_url: str, fake_slack: FakeSlack) -> None:
    """A process that starts knows no delivered key: its first tick reads each team's recent
    keys of a job in one read, not every rep's key one by one."""
    friday_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    _, deps = make_deps(database_url, fake_slack, FixedClock(friday_1730))
    _seed(deps, 2, reps=12)
    tick_all(deps)  # the brief and the report go out: 2 x 12 DMs and 2 channel summaries
    assert len(fake_slack.find("chat.postMessage")) > 40
    _, restarted = make_deps(database_url, fake_slack, FixedClock(friday_1730 + timedelta(
        minutes=1)))
    counted = [0]

    @event.listens_for(restarted.engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        counted[0] += 1

    results = tick_all(restarted)
    assert sum(r.sent for r in results.values()) == 0
    # 12 jobs, 2 teams: a handful of reads per job and team; a read per key was > 60 more.
    assert counted[0] <= 12 * 2 * 4, counted[0]
    deps.engine.dispose()
    restarted.engine.dispose()


def _restarted_tick(database_url: str, fake_slack: FakeSlack, reps: int) -> tuple[int, int]:
    """Statements and users.info calls of the first tick of a restarted process, every
    profile stored by the process before (asked of Slack within the day)."""
    _, deps = make_deps(database_url, fake_slack, FixedClock(IDLE))
    _seed(deps, 2, reps=reps)
    tick_all(deps)  # every rep's profile asked of Slack and stored; the ledger filled
    asked = len(fake_slack.find("users.info"))
    _, restarted = make_deps(database_url, fake_slack, FixedClock(IDLE + timedelta(minutes=1)))
    counted = [0]

    @event.listens_for(restarted.engine, "before_cursor_execute")
    def _count(*_: object) -> None:
        counted[0] += 1

    tick_all(restarted)
    deps.engine.dispose()
    restarted.engine.dispose()
    return counted[0], len(fake_slack.find("users.info")) - asked


def test_a_restarted_tick_reads_stored_profiles_at_once_not_rep_by_rep(
        tmp_path: Path, fake_slack: FakeSlack) -> None:
    """After a restart nothing is in memory: the reminders' profiles come from a few reads
    for all reps (UserDirectory.preload), not two reads per rep, and Slack is not asked
    about anyone whose stored profile is fresh."""
    few, few_asked = _restarted_tick(f"sqlite:///{tmp_path / 'few.db'}", fake_slack, 3)
    many, many_asked = _restarted_tick(f"sqlite:///{tmp_path / 'many.db'}", fake_slack, 12)
    assert few_asked == many_asked == 0
    # 18 more reps: a read (or two) per rep would be 18 to 36 statements more.
    assert many - few < 6, (few, many)


def test_a_pace_alert_sent_is_not_computed_again(database_url: str, fake_slack: FakeSlack,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside the pace alert's window (27 hours), a tick asks the ledger first: a team whose
    managers have their alert costs no facts; a team not yet owed one (nobody behind) is
    computed as before."""
    from bot.jobs import alerts
    from store import scoring

    wednesday_1230 = datetime(2026, 11, 18, 4, 30, tzinfo=UTC)  # Shanghai
    _, deps = make_deps(database_url, fake_slack, FixedClock(wednesday_1230))
    _seed(deps, 3)  # nobody logged anything: every rep is behind
    computed = []
    real = scoring.rep_facts
    monkeypatch.setattr(scoring, "rep_facts",
                        lambda *a, **k: computed.append(k["team_id"]) or real(*a, **k))
    first = jobs.run_job(deps, alerts.JOB, now=wednesday_1230)
    assert sorted(computed) == [1, 2, 3] and first.sent == 3  # one manager each
    computed.clear()
    later = wednesday_1230 + timedelta(hours=5)
    _, restarted = make_deps(database_url, fake_slack, FixedClock(later))  # nothing remembered
    again = jobs.run_job(restarted, alerts.JOB, now=later)
    assert computed == [] and again.sent == 0
    deps.engine.dispose()
    restarted.engine.dispose()


def test_the_jobs_of_one_tick_build_team_information_once(
        database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    _, deps = make_deps(database_url, fake_slack, FixedClock(IDLE))
    _seed(deps, 3)
    builds = []
    real = rosters.rosters
    monkeypatch.setattr(rosters, "rosters", lambda *a, **k: builds.append(k) or real(*a, **k))
    scheduler = Scheduler(deps)
    for job in jobs.runnable():  # as the scheduler's threads run them in one minute
        scheduler.tick(job.name)
    assert len(builds) == 1
    infos = team_service.team_infos(deps, None)  # outside a tick: built afresh
    assert len(builds) == 2
    assert [i.name for i in infos] == ["Team 0", "Team 1", "Team 2"]
    assert infos[0].reps == ("U000R0", "U000R1", "U000R2")
    assert infos[0].managers == ("UM000",) and infos[0].channel_id == "C0000"
    assert infos[0].days_off == frozenset({datetime(2026, 12, 24).date()})
    # A team changed during a minute is seen by the next minute's tick.
    with deps.sessions() as s:
        teams.add_members(s, workspace_id=WORKSPACE, name="Team 0", user_ids=["U000R9"],
                          now=IDLE)
    scheduler.tick("checkin-reminder")
    assert len(builds) == 2  # the same minute: shared
    deps.clock = FixedClock(IDLE + timedelta(minutes=1))

    with team_service.shared_tick(scheduler.shared):
        seen = team_service.team_infos(deps, None)
    assert len(builds) == 3 and "U000R9" in seen[0].reps
    deps.engine.dispose()


def test_one_teams_information_matches_the_ticks(database_url: str,
                                                 fake_slack: FakeSlack) -> None:
    """team_info (one team, for handlers and services) and team_infos (a tick) agree."""
    _, deps = make_deps(database_url, fake_slack, FixedClock(IDLE))
    _seed(deps, 2)
    with deps.sessions() as s:
        teams.set_own_tz(s, workspace_id=WORKSPACE, user_id="U001R1", tz="Europe/Berlin",
                         now=IDLE)
        row = teams.find_team(s, name="Team 1")
        one = team_service.team_info(s, row, now=IDLE)
    many = {i.name: i for i in team_service.team_infos(deps, None)}
    assert one == many["Team 1"]
    assert str(one.stored_zones["U001R1"]) == "Europe/Berlin"
    assert str(one.stored_zones["U001R0"]) == "Asia/Shanghai"  # no zone stored: the team's
    assert team_service.team_infos(deps, "Team 1") == [one]
    deps.engine.dispose()


def test_starting_the_bot_loads_no_matplotlib() -> None:
    code = ("import sys\n"
            "import bot.cli, bot.app, bot.jobs.scheduler, bot.jobs.registry, bot.slack.server\n"
            "from bot.cli import cmd_run\n"
            "print(sorted(m for m in ('matplotlib', 'numpy') if m in sys.modules))\n"
            "from bot.render.charts import score_trend_png\n"
            "assert score_trend_png(['a', 'b'], [[70, 80]]).startswith(b'\\x89PNG')\n"
            "print('matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"  # neither matplotlib nor numpy at start
    assert out[1] == "True"  # the first chart loads it
