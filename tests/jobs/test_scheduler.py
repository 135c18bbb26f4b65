"""The scheduler ticks (and only ticks); `pacer jobs list|run` and the console's `:run` take
the same path as the tick."""

from __future__ import annotations

import gc
import logging
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import FixedClock
from bot.jobs import registry as jobs
from bot.jobs.scheduler import YOUNG_COLLECTION, FirstTick, Scheduler, tick_all
from store import teams
from tests.conftest import WORKSPACE, make_deps
from tests.fakes import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
WED_0931_SHANGHAI = datetime(2026, 11, 18, 1, 31, tzinfo=UTC)


def test_the_scheduler_ticks_every_runnable_job_and_stops_cleanly(
        database_url: str, fake_slack: FakeSlack) -> None:
    clock = FixedClock(WED_0931_SHANGHAI)
    _, deps = make_deps(database_url, fake_slack, clock)
    with deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id="C0SALES",
                          managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=WED_0931_SHANGHAI - timedelta(hours=1))
    scheduler = Scheduler(deps, tick=timedelta(seconds=0.2)).start()
    try:
        assert sorted(scheduler.job_ids()) == ["actions", "alerts", "calibration",
                                               "checkin-reminder", "digest", "friday-brief",
                                               "friday-report", "home", "log-followups",
                                               "month-end",
                                               "quarter-end", "retention", "review",
                                               "year-end"]
        assert all(j.coalesce and j.max_instances == 1
                   for j in scheduler._scheduler.get_jobs())
        fake_slack.wait_for("chat.postMessage")
        time.sleep(1.0)  # several more ticks: the ledger keeps it to one message
    finally:
        scheduler.shutdown()
    assert not scheduler.running
    assert [c.args["channel"] for c in fake_slack.find("chat.postMessage")] == ["DU0BO"]
    assert fake_slack.problems == []
    deps.engine.dispose()


def test_a_failing_job_is_logged_and_the_tick_survives(
        database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    _, deps = make_deps(database_url, fake_slack, FixedClock(WED_0931_SHANGHAI))

    def broken(*args: object, **kwargs: object) -> jobs.RunResult:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(jobs, "run_job", broken)
    with caplog.at_level(logging.ERROR):
        assert Scheduler(deps).tick("checkin-reminder") is None
    assert "scheduled job checkin-reminder failed" in caplog.text
    deps.engine.dispose()


def test_after_the_first_tick_what_is_alive_is_frozen_once(
        database_url: str, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pacer run`'s scheduler (and benchmarks/tick.py through tick_all) freeze what the
    process holds once every job has run once, failed or not; not before, and once only."""
    _, deps = make_deps(database_url, fake_slack, FixedClock(WED_0931_SHANGHAI))
    frozen: list[int] = []
    real, threshold = gc.freeze, gc.get_threshold()
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1) or real())
    names = [job.name for job in jobs.runnable()]
    first = FirstTick()
    scheduler = Scheduler(deps, first_tick=first)
    try:
        monkeypatch.setattr(jobs, "run_job", lambda *a, **k: 1 / 0)  # every run fails ...
        for name in names[:-1]:
            assert scheduler.tick(name) is None
        assert frozen == [] and not first.over
        monkeypatch.undo()  # ... the last one runs, and the tick is over
        monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1) or real())
        assert scheduler.tick(names[-1]) is not None
        assert frozen == [1] and first.over and gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_COLLECTION
        scheduler.tick(names[0])
        tick_all(deps, first_tick=first)
        assert frozen == [1]  # once only
        assert Scheduler(deps).first_tick is None  # tests' schedulers freeze nothing
        counted = FirstTick()
        tick_all(deps, first_tick=counted)
        assert counted.over and frozen == [1, 1]
        gc.set_threshold(*threshold)
        assert FirstTick().start() and frozen == [1, 1, 1]  # started: frozen before a tick
        assert gc.get_threshold()[0] == YOUNG_COLLECTION
        starts: list[FirstTick] = []
        started = FirstTick()
        monkeypatch.setattr(started, "start", lambda: starts.append(started) or started)
        Scheduler(deps, tick=timedelta(hours=1), first_tick=started).start().shutdown()
        assert starts == [started]
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    deps.engine.dispose()


def test_pacer_run_freezes_after_its_first_tick(
        cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pacer run` gives its scheduler a FirstTick (the server and the scheduler stubbed)."""
    import bot.jobs.scheduler as scheduler_module
    import bot.slack.server as server_module

    built: list[dict] = []

    class Started:
        def __init__(self, deps: object, **kwargs: object) -> None:
            built.append(kwargs)

        def start(self) -> Started:
            return self

        def shutdown(self, wait: bool = True) -> None:
            pass

    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setattr(scheduler_module, "Scheduler", Started)
    monkeypatch.setattr(server_module, "HttpServer", lambda *a, **k: None)
    monkeypatch.setattr(server_module, "serve_until_stopped", lambda *a, **k: 0)
    assert main(["run"]) == 0
    assert len(built) == 1 and isinstance(built[0]["first_tick"], FirstTick)
    assert not built[0]["first_tick"].over


# ----------------------------------------------------------------- pacer jobs

@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, fake_slack: FakeSlack) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    return database_url


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_pacer_jobs_run_at_a_moment(cli_env: str, fake_slack: FakeSlack,
                                    capsys: pytest.CaptureFixture) -> None:
    run(capsys, "team", "create", "East", "--channel", "C0SALES", "--manager", "U0MEI",
        "--members", "U0ALICE,U0BO", "--tz", "Asia/Shanghai", "--workspace", WORKSPACE)
    code, out, _ = run(capsys, "jobs", "run", "checkin-reminder", "--at",
                       "2026-11-18T09:31:00+08:00")
    assert code == 0
    assert out.splitlines()[0] == ("checkin-reminder at 2026-11-18T01:31:00+00:00: sent 1, "
                                   "skipped 0, failed 0, gave up 0")
    assert "sent U0BO (East, 2026-11-18) to DU0BO" in out
    code, out, _ = run(capsys, "jobs", "run", "checkin-reminder", "--team", "East", "--at",
                       "2026-11-18T09:45:00+08:00")
    assert "sent 0, skipped 1" in out
    assert [c.args["channel"] for c in fake_slack.find("chat.postMessage")] == ["DU0BO"]
    assert fake_slack.problems == []


def test_pacer_jobs_run_refuses_unknown_jobs_and_teams(
        cli_env: str, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "jobs", "run", "reminders")
    assert code == 2 and "no job named 'reminders'" in err
    code, _, err = run(capsys, "jobs", "run", "checkin-reminder", "--team", "Nowhere")
    assert code == 2 and "Nowhere" in err


def test_pacer_jobs_list(cli_env: str, capsys: pytest.CaptureFixture) -> None:
    run(capsys, "team", "create", "East", "--channel", "C0SALES", "--manager", "U0MEI",
        "--members", "U0BO", "--tz", "Asia/Shanghai", "--workspace", WORKSPACE)
    run(capsys, "team", "holidays", "East", "--country", "CN")
    code, out, _ = run(capsys, "jobs", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("checkin-reminder\tavailable\t")
    assert re.fullmatch(r"  team East: working days at 09:30 in each rep's own zone; CN public "
                        r"holidays and 0 team day\(s\) off skipped; next: \w{3} \d{4}-\d\d-\d\d "
                        r"09:30 Asia/Shanghai \(first: U0BO\)", lines[1]), lines[1]
    assert lines[2].startswith("friday-brief\tavailable\t")
    assert re.search(r"next: Fri \d{4}-\d\d-\d\d 15:00 Asia/Shanghai", lines[3])
    for name in ("calibration", "actions", "review"):
        assert any(line.startswith(f"{name}\tavailable\t") for line in lines), name
    assert not any("not yet available" in line for line in lines)


def test_jobs_describe_shows_the_next_run_in_the_team_zone(database_url: str,
                                                          fake_slack: FakeSlack) -> None:
    clock = FixedClock(datetime(2026, 9, 30, 12, tzinfo=UTC))  # Wed 30 Sep, 20:00 Shanghai
    _, deps = make_deps(database_url, fake_slack, clock)
    with deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id="C0SALES",
                          managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=clock.now())
        teams.set_holiday_country(s, workspace_id=WORKSPACE, name="East", country="CN")
    lines = jobs.describe(deps, now=clock.now())
    # National Day: 1-7 Oct off, so the next check-in and brief are on Thu 8 and Fri 9 Oct.
    assert lines[1].endswith("next: Thu 2026-10-08 09:30 Asia/Shanghai (first: U0BO)")
    assert lines[3].endswith("next: Fri 2026-10-09 15:00 Asia/Shanghai (first: U0BO)")
    deps.engine.dispose()


# ----------------------------------------------------------------- the console

def test_console_run_sends_through_the_same_job(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'console.db'}"
    script = "\n".join([":as U0BO", ":now 2026-11-18 09:31", ":run checkin-reminder",
                        ":run checkin-reminder", ":run calibration", ":run nope"]) + "\n"
    out = subprocess.run([sys.executable, "-m", "bot", "console"], input=script, text=True,
                         capture_output=True, cwd=ROOT, env=env, timeout=120).stdout
    assert "── chat.postMessage to DU0BO ──" in out and "早上好" in out
    assert "[1] 打开签到表" in out
    assert "── chat.postMessage to DU0CARLOS ──" in out  # Singapore: 09:31 there too
    assert "checkin-reminder at Wed 2026-11-18 09:31 Asia/Shanghai: sent 2, skipped 0" in out
    assert "checkin-reminder at Wed 2026-11-18 09:31 Asia/Shanghai: sent 0, skipped 2" in out
    assert out.count("chat.postMessage") == 2
    assert "calibration at Wed 2026-11-18 09:31 Asia/Shanghai: sent 0" in out
    assert "no job named 'nope'" in out
