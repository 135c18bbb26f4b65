"""The two scheduled jobs, through the scheduler's own tick, against the fake Slack over HTTP.

Each test scripts a clock (FixedClock) across days and asks the tick to run, as the
scheduler would every minute; what reached "Slack" is read back from the fake.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.deps import Deps
from bot.jobs import outbox
from bot.jobs import registry as jobs
from bot.jobs.scheduler import Scheduler
from store import briefs, checkins, db, deliveries, teams
from store.models import Delivery, Team
from tests.conftest import WORKSPACE, make_deps
from tests.fakes import FakeSlack

SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
# Tue 17 Nov 2026, 23:00 in Shanghai, 10:00 in New York: after both reps' Tuesday reminder
# was due, so a first tick on Wednesday has nothing from before the team to give up.
CREATED = datetime(2026, 11, 17, 15, tzinfo=UTC)


def local(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.fixture
def world(database_url: str, fake_slack: FakeSlack) -> Iterator[World]:
    w = World(database_url, fake_slack)
    yield w
    w.close()
    assert fake_slack.problems == [], fake_slack.problems  # every message valid Block Kit


class World:
    """One database, the fake Slack, and as many bot "processes" (Deps) as a test starts."""

    def __init__(self, database_url: str, fake: FakeSlack) -> None:
        self.url, self.fake = database_url, fake
        self.clock = FixedClock(CREATED)
        self.settings, self.deps = make_deps(database_url, fake, self.clock)
        self.others: list[Deps] = []
        with self.deps.sessions() as s:
            teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id="C0SALES",
                              managers=["U0MEI"], members=["U0ALICE", "U0BO"],
                              tz="Asia/Shanghai", currency="CNY", now=CREATED)
            teams.set_holiday_country(s, workspace_id=WORKSPACE, name="East", country="CN")

    def backdate(self, at: datetime) -> None:
        """The team was set up earlier than CREATED (for scripts in other months)."""
        with self.deps.sessions() as s:
            for team in s.exec(select(Team)).all():
                team.created_at = at
                s.add(team)

    def restart(self) -> None:
        """A new process: new Deps and engine, same database (nothing kept in memory)."""
        self.others.append(self.deps)
        self.deps = Deps.build(self.settings, clock=self.clock)

    def tick(self, at: datetime, job: str = "checkin-reminder") -> jobs.RunResult:
        self.clock.set(at)
        result = Scheduler(self.deps).tick(job)
        assert result is not None
        return result

    def dms(self) -> list[tuple[str, str]]:
        """(channel, text) of every DM Slack accepted."""
        return [(c.args["channel"], c.args["text"]) for c in self.fake.find("chat.postMessage")
                if c.status == 200]

    def to(self, user: str) -> list[str]:
        return [text for channel, text in self.dms() if channel == "D" + user]

    def ledger(self) -> dict[str, tuple[str, int]]:
        with self.deps.sessions() as s:
            return {d.key: (d.status, d.attempts) for d in s.exec(select(Delivery)).all()}

    def close(self) -> None:
        for deps in [self.deps, *self.others]:
            deps.engine.dispose()


def key(user: str, period: str, job: str = "checkin-reminder") -> str:
    return f"{job}:{WORKSPACE}:{user}:{period}"


# ----------------------------------------------------------------- checkin-reminder

def test_each_rep_is_reminded_at_their_own_0930(world: World) -> None:
    assert world.tick(local(SHANGHAI, "2026-11-18 09:29")).sent == 0
    result = world.tick(local(SHANGHAI, "2026-11-18 09:30"))
    assert (result.sent, result.skipped, result.failed) == (1, 0, 0)
    assert world.to("U0BO") and "11月18日 周三" in world.to("U0BO")[0]  # in Chinese
    assert world.to("U0ALICE") == []  # 20:30 the evening before in New York
    assert world.tick(local(NEW_YORK, "2026-11-18 09:29")).sent == 0
    assert world.tick(local(NEW_YORK, "2026-11-18 09:30")).sent == 1
    [text] = world.to("U0ALICE")
    assert "Time for your daily check-in for Wed 18 Nov" in text
    [post] = [c for c in world.fake.find("chat.postMessage") if c.args["channel"] == "DU0ALICE"]
    assert '"action_id": "checkin_open"' in json.dumps(post.args["blocks"])
    assert [c.args["users"] for c in world.fake.find("conversations.open")] == ["U0BO",
                                                                                "U0ALICE"]
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("sent", 1)


def test_two_scripted_weeks_skip_weekends_holidays_days_off_and_answered(world: World) -> None:
    world.backdate(datetime(2026, 9, 1, tzinfo=UTC))
    with world.deps.sessions() as s:
        teams.add_day_off(s, workspace_id=WORKSPACE, name="East", day=date(2026, 9, 29))
        checkins.upsert(s, workspace_id=WORKSPACE, user_id="U0BO", team_id=None,
                        day=date(2026, 10, 9), answers=checkins.CheckinAnswers(plan="3 visits"),
                        now=local(SHANGHAI, "2026-10-09 08:50"))
    sent_at: dict[str, list[datetime]] = {"U0BO": [], "U0ALICE": []}
    at = datetime(2026, 9, 27, 16, tzinfo=UTC)  # Mon 28 Sep, 00:00 in Shanghai
    while at < datetime(2026, 10, 11, 16, tzinfo=UTC):  # to the end of Sun 11 Oct there
        before = len(world.dms())
        result = world.tick(at)
        assert result.failed == result.gave_up == 0
        for channel, _ in world.dms()[before:]:
            sent_at[channel[1:]].append(at)
        at += timedelta(minutes=30)
    # 29 Sep a team day off; 1-7 Oct China's National Day holidays; weekends, but Sat 10 Oct
    # is a make-up working day (调休); BO checked in on 9 Oct before 09:30. Each reminder at
    # the first tick from 09:30 in the rep's zone.
    assert [t.astimezone(SHANGHAI).strftime("%a %d %H:%M") for t in sent_at["U0BO"]] == [
        "Mon 28 09:30", "Wed 30 09:30", "Thu 08 09:30", "Sat 10 09:30"]
    assert [t.astimezone(NEW_YORK).strftime("%a %d %H:%M") for t in sent_at["U0ALICE"]] == [
        "Mon 28 09:30", "Wed 30 09:30", "Thu 08 09:30", "Fri 09 09:30", "Sat 10 09:30"]


def test_twice_or_at_0931_and_0945_sends_once(world: World) -> None:
    world.tick(local(SHANGHAI, "2026-11-18 09:31"))
    world.tick(local(SHANGHAI, "2026-11-18 09:31"))
    result = world.tick(local(SHANGHAI, "2026-11-18 09:45"))
    assert (result.sent, result.skipped) == (0, 1)
    assert len(world.to("U0BO")) == 1


def test_someone_who_checked_in_gets_nothing(world: World) -> None:
    with world.deps.sessions() as s:
        checkins.upsert(s, workspace_id=WORKSPACE, user_id="U0BO", team_id=None,
                        day=date(2026, 11, 18), answers=checkins.CheckinAnswers(plan="calls"),
                        now=local(SHANGHAI, "2026-11-18 08:00"))
    result = world.tick(local(SHANGHAI, "2026-11-18 09:31"))
    assert (result.sent, result.skipped) == (0, 1)
    assert world.dms() == [] and world.ledger() == {}


def test_a_restart_mid_way_neither_repeats_nor_drops(world: World) -> None:
    world.tick(local(SHANGHAI, "2026-11-18 09:31"))
    world.restart()
    world.tick(local(SHANGHAI, "2026-11-18 09:40"))
    world.tick(local(NEW_YORK, "2026-11-18 09:31"))
    world.restart()
    world.tick(local(NEW_YORK, "2026-11-18 09:50"))
    assert len(world.to("U0BO")) == len(world.to("U0ALICE")) == 1


def test_a_process_that_died_after_claiming_is_taken_over_after_the_lease(world: World) -> None:
    due = local(SHANGHAI, "2026-11-18 09:30")
    with world.deps.sessions() as s:  # claimed at 09:30, then the process was killed
        assert deliveries.claim(s, key=key("U0BO", "2026-11-18"), job="checkin-reminder",
                                workspace_id=WORKSPACE, team_id=None, user_id="U0BO",
                                period="2026-11-18", due_at=due, now=due, owner="dead:1")
    world.restart()
    assert world.tick(local(SHANGHAI, "2026-11-18 09:34")).skipped == 1  # its lease holds
    assert world.to("U0BO") == []
    assert world.tick(local(SHANGHAI, "2026-11-18 09:36")).sent == 1
    world.tick(local(SHANGHAI, "2026-11-18 09:50"))
    assert len(world.to("U0BO")) == 1
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("sent", 2)


def stale_claim_of_a_message_slack_has(world: World, *, bot_id: str = "B0BOT") -> None:
    """U0BO's 09:30 reminder claimed by a process that died after Slack took the post."""
    due = local(SHANGHAI, "2026-11-18 09:30")
    with world.deps.sessions() as s:
        assert deliveries.claim(s, key=key("U0BO", "2026-11-18"), job="checkin-reminder",
                                workspace_id=WORKSPACE, team_id=None, user_id="U0BO",
                                period="2026-11-18", due_at=due, now=due, owner="dead:1")
    world.fake.history["DU0BO"] = [{
        "type": "message", "ts": "1764000000.500000", "text": "check in", "bot_id": bot_id,
        "metadata": outbox.marker(key("U0BO", "2026-11-18"))}]


def test_a_message_slack_took_before_the_crash_is_recorded_not_sent_again(
        world: World) -> None:
    stale_claim_of_a_message_slack_has(world)
    world.restart()
    result = world.tick(local(SHANGHAI, "2026-11-18 09:36"))
    assert (result.sent, result.skipped) == (0, 1) and "found in DU0BO" in result.lines[0]
    assert world.to("U0BO") == [] and world.ledger()[key("U0BO", "2026-11-18")] == ("sent", 2)
    [looked] = world.fake.find("conversations.history")
    assert looked.args["include_all_metadata"] in (True, "true", "1")


def test_another_apps_message_naming_the_key_is_not_taken_for_ours(world: World) -> None:
    stale_claim_of_a_message_slack_has(world, bot_id="B0SOMEONE")
    world.restart()
    assert world.tick(local(SHANGHAI, "2026-11-18 09:36")).sent == 1
    assert len(world.to("U0BO")) == 1


def test_without_the_history_scope_the_message_in_doubt_is_sent_again_with_a_warning(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    stale_claim_of_a_message_slack_has(world)
    world.fake.scripted["conversations.history"] = [
        (200, {"ok": False, "error": "missing_scope", "needed": "im:history"}, {})]
    world.restart()
    assert world.tick(local(SHANGHAI, "2026-11-18 09:36")).sent == 1
    assert "cannot look there (missing_scope" in caplog.text


def test_slack_failing_to_answer_the_history_fails_the_attempt_and_retries(
        world: World) -> None:
    stale_claim_of_a_message_slack_has(world)
    world.fake.scripted["conversations.history"] = [
        (200, {"ok": False, "error": "internal_error"}, {})]
    world.restart()
    assert world.tick(local(SHANGHAI, "2026-11-18 09:36")).failed == 1
    assert world.tick(local(SHANGHAI, "2026-11-18 09:37")).skipped == 1  # found it, this time
    assert world.to("U0BO") == []


def test_down_at_0930_back_at_1100_still_sends(world: World) -> None:
    result = world.tick(local(SHANGHAI, "2026-11-18 11:00"))
    assert result.sent == 1 and len(world.to("U0BO")) == 1


def test_back_after_the_catch_up_window_gives_up_once(world: World) -> None:
    result = world.tick(local(SHANGHAI, "2026-11-18 12:31"))  # 3 h 1 min late
    assert (result.sent, result.gave_up) == (0, 1)
    assert world.tick(local(SHANGHAI, "2026-11-18 12:40")).gave_up == 0  # logged once
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("gave_up", 0)
    assert world.dms() == []


def test_back_the_next_day_gives_up_yesterday_and_sends_today(world: World) -> None:
    result = world.tick(local(SHANGHAI, "2026-11-19 09:35"))
    assert (result.sent, result.gave_up) == (1, 2)  # BO's Thursday; BO's and Alice's Wednesday
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("gave_up", 0)
    assert world.ledger()[key("U0ALICE", "2026-11-18")] == ("gave_up", 0)
    [text] = world.to("U0BO")
    assert "11月19日" in text


def test_nothing_is_given_up_from_before_the_team_existed(world: World) -> None:
    with world.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="New", channel_id="C0NEW",
                          managers=["U0MEI"], members=["U0STRAY"], tz="Europe/London",
                          currency="GBP", now=local(SHANGHAI, "2026-11-19 09:00"))
    result = world.tick(local(SHANGHAI, "2026-11-19 09:10"), job="checkin-reminder")
    assert key("U0STRAY", "2026-11-18") not in world.ledger()
    assert result.gave_up == 2  # only the old team's reps' Wednesday


@pytest.mark.parametrize("failure", [
    [(500, {"ok": False, "error": "internal_error"}, {})],
    [(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})] * 4,  # 3 retries
])
def test_a_slack_failure_is_retried_next_tick_and_sent_once(world: World, failure: list) -> None:
    world.fake.users["U0CHEN"] = {"tz": "Asia/Shanghai", "locale": "en-US"}
    with world.deps.sessions() as s:
        teams.add_members(s, workspace_id=WORKSPACE, name="East", user_ids=["U0CHEN"],
                          now=CREATED)
    world.fake.scripted["chat.postMessage"] = list(failure)
    result = world.tick(local(SHANGHAI, "2026-11-18 09:31"))
    assert (result.sent, result.failed) == (1, 1)  # the other rep was not held up
    [(failed_key, (status, attempts))] = [(k, v) for k, v in world.ledger().items()
                                          if v[0] != "sent"]
    assert (status, attempts) == ("failed", 1)
    result = world.tick(local(SHANGHAI, "2026-11-18 09:32"))
    assert (result.sent, result.failed) == (1, 0)
    world.tick(local(SHANGHAI, "2026-11-18 09:33"))
    assert len(world.to("U0BO")) == len(world.to("U0CHEN")) == 1
    assert world.ledger()[failed_key] == ("sent", 2)


def test_after_five_failures_it_gives_up(world: World) -> None:
    world.fake.scripted["chat.postMessage"] = [(500, {"ok": False, "error": "fatal"}, {})] * 5
    for minute in range(31, 36):
        world.tick(local(SHANGHAI, f"2026-11-18 09:{minute}"))
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("gave_up", 5)
    world.tick(local(SHANGHAI, "2026-11-18 09:40"))
    assert world.dms() == []


def test_a_team_can_be_run_alone(world: World) -> None:
    with world.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="West", channel_id="C0WEST",
                          managers=["U0MEI"], members=["U0STRAY"], tz="Europe/London",
                          currency="GBP", now=CREATED)
    world.clock.set(datetime(2026, 11, 18, 9, 31, tzinfo=UTC))  # 09:31 in London
    result = jobs.run_job(world.deps, "checkin-reminder", now=world.clock.now(), team="East")
    assert result.sent == 0
    result = jobs.run_job(world.deps, "checkin-reminder", now=world.clock.now(), team="West")
    assert result.sent == 1 and world.to("U0STRAY")


# ----------------------------------------------------------------- friday-brief

def test_friday_brief_at_1500_in_each_zone_once_a_week(world: World) -> None:
    assert world.tick(local(SHANGHAI, "2026-11-20 14:59"), "friday-brief").sent == 0
    assert world.tick(local(SHANGHAI, "2026-11-20 15:00"), "friday-brief").sent == 1
    [text] = world.to("U0BO")
    assert "11月16日 周一" in text and "简报" in text
    [post] = world.fake.find("chat.postMessage")
    assert '"action_id": "brief_open"' in json.dumps(post.args["blocks"])
    assert world.tick(local(NEW_YORK, "2026-11-20 15:00"), "friday-brief").sent == 1
    assert "week of Mon 16 Nov" in world.to("U0ALICE")[0]
    world.restart()
    world.tick(local(NEW_YORK, "2026-11-20 17:00"), "friday-brief")
    world.tick(local(NEW_YORK, "2026-11-21 10:00"), "friday-brief")
    assert len(world.dms()) == 2
    assert world.ledger()[key("U0BO", "2026-W47", "friday-brief")] == ("sent", 1)


def test_friday_brief_skips_who_answered_and_holiday_fridays(world: World) -> None:
    with world.deps.sessions() as s:
        briefs.upsert(s, workspace_id=WORKSPACE, user_id="U0BO", team_id=None,
                      week_start=date(2026, 11, 16), answers=briefs.BriefAnswers(wins="Acme"),
                      now=local(SHANGHAI, "2026-11-20 11:00"))
    result = world.tick(local(SHANGHAI, "2026-11-20 15:01"), "friday-brief")
    assert (result.sent, result.skipped) == (0, 1)
    for at in ("2026-10-02 15:01", "2026-10-02 17:00", "2026-10-03 09:00"):  # National Day
        for zone in (SHANGHAI, NEW_YORK):
            result = world.tick(local(zone, at), "friday-brief")
            assert result.sent == result.gave_up == 0
    assert world.dms() == []


def test_friday_brief_missed_friday_is_given_up_on_saturday(world: World) -> None:
    result = world.tick(local(NEW_YORK, "2026-11-21 09:00"), "friday-brief")
    assert (result.sent, result.gave_up) == (0, 2)
    assert world.dms() == []


# ----------------------------------------------------------------- the ledger itself

def test_ledger_claims_once_and_reclaims_only_failed_or_stale(world: World) -> None:
    now = datetime(2026, 11, 18, 1, 30, tzinfo=UTC)
    args = {"key": "k", "job": "checkin-reminder", "workspace_id": WORKSPACE, "team_id": None,
            "user_id": "U0BO", "period": "2026-11-18", "due_at": now, "owner": "a"}
    with world.deps.sessions() as s:
        first = deliveries.claim(s, **args, now=now)
        assert first is not None and first.attempt == 1
        assert deliveries.claim(s, **args, now=now + timedelta(minutes=4)) is None
    with world.deps.sessions() as s:
        deliveries.mark_failed(s, claim=first, error="boom", now=now)
    with world.deps.sessions() as s:
        second = deliveries.claim(s, **args, now=now + timedelta(minutes=1))
        assert second is not None and second.attempt == 2
        # the first claimant's late news cannot overwrite the second's claim
        assert deliveries.mark_sent(s, claim=first, channel="D", ts="1", now=now) is False
        assert deliveries.mark_sent(s, claim=second, channel="D", ts="2", now=now) is True
        assert deliveries.claim(s, **args, now=now + timedelta(days=1)) is None
        row = deliveries.get(s, key="k")
        assert (row.status, row.ts, deliveries.aware(row.due_at)) == ("sent", "2", now)


def test_two_processes_on_one_sqlite_file_send_each_reminder_once(world: World) -> None:
    racers(world, world.url)


def racers(world: World, url: str, processes: int = 4) -> None:
    """Several "processes" (own Deps and engine each) run the same tick at the same moment."""
    world.fake.users.update({f"U0R{i}": {"tz": "Asia/Shanghai", "locale": "en-US"}
                             for i in range(6)})
    clock = FixedClock(local(SHANGHAI, "2026-11-18 09:31"))
    settings = replace(world.settings, database_url=url)
    setups = [Deps.build(settings, clock=clock) for _ in range(processes)]
    db.upgrade(setups[0].engine)
    with setups[0].sessions() as s:
        if not teams.list_teams(s, workspace_id=WORKSPACE):
            teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id="C0SALES",
                              managers=["U0MEI"], members=[], tz="Asia/Shanghai",
                              currency="CNY", now=CREATED)
        teams.add_members(s, workspace_id=WORKSPACE, name="East",
                          user_ids=[f"U0R{i}" for i in range(6)], now=CREATED)
    for deps in setups:  # profiles first, so the race is about the ledger
        for i in range(6):
            deps.users.profile(deps_client(deps), WORKSPACE, f"U0R{i}")
    barrier = threading.Barrier(processes)
    results: list[jobs.RunResult] = []

    def run(deps: Deps) -> None:
        barrier.wait()
        results.append(jobs.run_job(deps, "checkin-reminder", now=clock.now()))

    threads = [threading.Thread(target=run, args=(d,)) for d in setups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    posts = [c.args["channel"] for c in world.fake.find("chat.postMessage")]
    for i in range(6):
        assert posts.count(f"DU0R{i}") == 1, posts
    assert sum(r.failed for r in results) == 0
    assert sum(r.sent for r in results) == len(posts)
    for deps in setups:
        deps.engine.dispose()


def deps_client(deps: Deps):  # noqa: ANN201 - a WebClient
    from bot.slack.client import web_client

    return web_client(deps.settings)


def test_two_processes_on_postgres_send_each_reminder_once(world: World,
                                                           tmp_path: Path) -> None:
    from tests.store.test_postgres import BASE_URL

    if not BASE_URL:
        pytest.skip("PostgreSQL tests skipped: PACER_TEST_POSTGRES_URL is not set")
    url = scratch_postgres(BASE_URL)
    if url is None:
        pytest.skip(f"PostgreSQL tests skipped: no server reachable at {BASE_URL}")
    try:
        racers(world, url, processes=6)
    finally:
        drop_postgres(BASE_URL, url)


def scratch_postgres(base: str) -> str | None:
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"pacer_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - unreachable: skip
        return None
    finally:
        admin.dispose()
    return make_url(db.normalise_url(base)).set(database=name).render_as_string(
        hide_password=False)


def drop_postgres(base: str, url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def test_eight_engines_racing_for_one_key_on_postgres_one_wins(world: World) -> None:
    from tests.store.test_postgres import BASE_URL

    url = scratch_postgres(BASE_URL) if BASE_URL else None
    if url is None:
        pytest.skip("PostgreSQL tests skipped: PACER_TEST_POSTGRES_URL is not set or no "
                    "server is reachable")
    engines = [db.make_engine(url) for _ in range(8)]
    try:
        db.upgrade(engines[0])
        barrier = threading.Barrier(8)
        won: list[bool] = []
        due = datetime(2026, 11, 18, 1, 30, tzinfo=UTC)

        def racer(engine) -> None:  # noqa: ANN001
            with db.session_factory(engine)() as s:
                barrier.wait()
                won.append(deliveries.claim(
                    s, key="k", job="checkin-reminder", workspace_id=WORKSPACE, team_id=None,
                    user_id="U0BO", period="2026-11-18", due_at=due, now=due,
                    owner="racer") is not None)

        threads = [threading.Thread(target=racer, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(won) == [False] * 7 + [True]
    finally:
        for engine in engines:
            engine.dispose()
        drop_postgres(BASE_URL, url)


def test_a_team_sets_its_own_checkin_time(world: World) -> None:
    with world.deps.sessions() as session:
        teams.set_time(session, workspace_id=WORKSPACE, name="East", which="checkin",
                       at="10:00")
    shanghai = ZoneInfo("Asia/Shanghai")
    assert world.tick(datetime(2026, 11, 18, 9, 31, tzinfo=shanghai)).sent == 0
    assert world.to("U0BO") == []
    world.tick(datetime(2026, 11, 18, 10, 1, tzinfo=shanghai))
    assert len(world.to("U0BO")) == 1  # Bo is in Shanghai: his 10:00 has come
    with pytest.raises(teams.TeamError), world.deps.sessions() as session:
        teams.set_time(session, workspace_id=WORKSPACE, name="East", which="lunch",
                       at="12:00")


def test_nothing_is_given_up_from_before_a_rep_joined(world: World) -> None:
    """A rep added to a team owed no reminder that fell due before they joined (the ten-week
    simulation: Gus joined on a Monday and his Sunday, a make-up working day, was given up).
    U0STRAY (London) joins East at 09:00 Shanghai on Thursday, 01:00 his time."""
    with world.deps.sessions() as s:
        teams.add_members(s, workspace_id=WORKSPACE, name="East", user_ids=["U0STRAY"],
                          now=local(SHANGHAI, "2026-11-19 09:00"))
    result = world.tick(local(SHANGHAI, "2026-11-19 09:35"), job="checkin-reminder")
    assert key("U0STRAY", "2026-11-18") not in world.ledger()
    assert result.gave_up == 2  # BO's and Alice's Wednesday only
    world.tick(local(SHANGHAI, "2026-11-19 17:35"), job="checkin-reminder")  # 09:35 in London
    assert world.ledger()[key("U0STRAY", "2026-11-19")][0] == "sent"
