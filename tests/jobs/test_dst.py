"""Daylight saving (issue 17 item 5): every scheduled job of bot/jobs/registry.py JOBS, run
across the clock changes of zones that have them, as the scheduler runs them: each job asks
what is due by `now` (registry.run_job), against the fake Slack over HTTP. Each message must
go out once, at its local time: nothing twice in fall-back's repeated hour, nothing skipped
or an hour off across spring-forward's gap.

The zones: America/New_York and Europe/Berlin change on a Sunday night, which no job's
Monday-to-Friday schedule touches directly, so their weeks test that every time before and
after a change is read in the right offset (a Friday at -05:00, the Monday after at -04:00).
The gap and the repeated hour fall on a working day in Asia/Jerusalem (spring forward on
Friday 27 March 2026, 02:00 -> 03:00) and Africa/Cairo (fall back at the end of Thursday
29 October 2026, 24:00 -> 23:00): a team time set inside them is the test of what a job does
with a wall-clock time that happens never, or twice.

The rule for those (bot/calendar/workdays.py at_local, Python's PEP 495 fold=0): a time in
the gap is read with the offset before the change, so 02:30 on the spring-forward day fires
at 03:30 (the same hour after the jump); a time in the repeated hour fires at its first
occurrence, once.

Ticks: every hour on the hour, each expected message's minute and the minute before it, and
every minute of the two hours around the change: a message due at an unexpected time shows
up at the first tick after it (an hour early is seen at the hour, never hidden), and one
sent in both passes of a repeated hour is seen twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.workdays import after_working_hours, working_hours_between
from bot.clock import FixedClock
from bot.jobs import registry as jobs
from bot.jobs.scheduler import run_once
from bot.services.teams import SharedTick
from store import customers, teams
from store.models import ActionItem
from tests.conftest import WORKSPACE, make_deps
from tests.fakes import FakeSlack

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
JERUSALEM, CAIRO = ZoneInfo("Asia/Jerusalem"), ZoneInfo("Africa/Cairo")
REP, BOSS, CHANNEL = "U0DSTREP", "U0DSTBOSS", "C0DST"
CREATED = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Sent:
    job: str
    at: datetime  # the tick (UTC) that sent it
    channel: str
    text: str


class Dst:
    """One team in `zone` (a rep and a manager who live there too), its channel, and every job
    ticked across a stretch of days."""

    def __init__(self, database_url: str, fake: FakeSlack, zone: ZoneInfo, *,
                 times: dict[str, str] | None = None, calibration: str | None = None) -> None:
        self.zone, self.fake = zone, fake
        for user in (REP, BOSS):
            fake.users[user] = {"tz": zone.key, "locale": "en-US"}
        self.clock = FixedClock(CREATED)
        self.settings, self.deps = make_deps(database_url, fake, self.clock)
        self.sent: list[Sent] = []
        with self.deps.sessions() as s:
            teams.create_team(s, workspace_id=WORKSPACE, name="Dst", channel_id=CHANNEL,
                              managers=[BOSS], members=[REP], tz=zone.key, currency="USD",
                              now=CREATED)
            for which, at in (times or {}).items():
                teams.set_time(s, workspace_id=WORKSPACE, name="Dst", which=which, at=at)
            if calibration:
                day, at = calibration.split()
                teams.set_calibration(s, workspace_id=WORKSPACE, name="Dst",
                                      anchor=date.fromisoformat(day), at=at)

    def local(self, text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=self.zone)

    def lead(self, at: str, name: str = "Acme") -> None:
        """A new lead of the rep's: its idle clock starts then."""
        with self.deps.sessions() as s:
            team = teams.get_team(s, workspace_id=WORKSPACE, name="Dst")
            customers.create(s, workspace_id=WORKSPACE, team_id=team.id, name=name,
                             owner_user_id=REP, now=self.local(at).astimezone(UTC),
                             by_user_id=REP)

    def action(self, due: date, created: str) -> None:
        with self.deps.sessions() as s:
            team = teams.get_team(s, workspace_id=WORKSPACE, name="Dst")
            at = self.local(created).astimezone(UTC)
            s.add(ActionItem(workspace_id=WORKSPACE, team_id=team.id, rep_user_id=REP,
                             owner_user_id=REP, text="Send Acme the quote", due_on=due,
                             created_by=BOSS, created_at=at, updated_at=at))

    def sweep(self, start: str, end: str, *, around: Iterable[datetime] = (),
              nights: Iterable[date] = ()) -> None:
        """Tick every job from `start` to `end` (local): hourly, at each moment in `around`
        and the minute before it, and every minute around the change on each day in
        `nights`."""
        first, last = self.local(start).astimezone(UTC), self.local(end).astimezone(UTC)
        ticks, at = set(), first
        while at <= last:
            ticks.add(at)
            at += timedelta(hours=1)
        for moment in around:  # not a minute early, not a minute late
            ticks |= {moment.astimezone(UTC) + timedelta(minutes=m) for m in (-1, 0)}
        for night in nights:
            change = _change(night, self.zone)
            before, after = (change + timedelta(minutes=m) for m in (-1, 1))
            # Falling back: both passes of the repeated hour; springing forward: the gap
            # takes no real time, so the minutes either side of the jump.
            reach = 65 if after.astimezone(self.zone).utcoffset() < before.astimezone(
                self.zone).utcoffset() else 5
            ticks |= {change + timedelta(minutes=m) for m in range(-reach, reach + 1)}
        for at in sorted(t for t in ticks if first <= t <= last):
            self.tick(at)

    def tick(self, at: datetime) -> None:
        """Every job once at `at`, as the scheduler's tick runs them (one shared read of the
        teams a minute; each job asks what is due by now)."""
        self.clock.set(at)
        shared = SharedTick()
        for name in jobs.JOBS:
            before = len(self.fake.find("chat.postMessage"))
            result = run_once(self.deps, name, shared)
            assert result is not None and result.failed == 0, (name, at, result)
            for call in self.fake.find("chat.postMessage")[before:]:
                assert call.status == 200, call
                self.sent.append(Sent(name, at, call.args["channel"], call.args["text"]))

    def of(self, job: str) -> list[tuple[str, str]]:
        """(local time, channel) of each message the job sent, in order."""
        return [(f"{s.at.astimezone(self.zone):%a %m-%d %H:%M}", s.channel)
                for s in self.sent if s.job == job]

    def close(self) -> None:
        self.deps.engine.dispose()


def _change(day: date, zone: ZoneInfo) -> datetime:
    """The moment (UTC) `zone` changes its offset on `day` (local)."""
    at = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(hours=3)
    offset = at.astimezone(zone).utcoffset()
    for minutes in range(0, 30 * 60, 15):
        moment = at + timedelta(minutes=minutes)
        if moment.astimezone(zone).utcoffset() != offset:
            return moment
    raise AssertionError(f"{zone.key} does not change its offset on {day}")


@pytest.fixture
def make(database_url: str, fake_slack: FakeSlack) -> Iterator:
    made: list[Dst] = []

    def build(zone: ZoneInfo, **kwargs: object) -> Dst:
        made.append(Dst(database_url, fake_slack, zone, **kwargs))
        return made[-1]

    yield build
    for dst in made:
        dst.close()
    assert fake_slack.problems == [], fake_slack.problems


# ----------------------------------------------------------------- the weeks around a change

FRIDAY, MONDAY, TUESDAY, WEDNESDAY = 0, 3, 4, 5  # days after the Friday before the change
BOTH = (REP, BOSS)

# What a team with every default time gets in the week around a change, from the Friday
# before it to the Wednesday after (day, local time, job, recipients; "#" is the channel).
# The seeds: a calibration cadence on the Monday after at 10:00, an action item due that
# Monday, a lead of the rep's created on the Friday at 10:00 and never touched.
WEEK = [
    (FRIDAY, "09:00", "actions", [REP]),  # due1: the working day before it is due
    (FRIDAY, "09:30", "checkin-reminder", [REP]),
    (FRIDAY, "10:00", "calibration", BOTH),  # the pack a working day ahead
    (FRIDAY, "15:00", "friday-brief", [REP]),
    (FRIDAY, "17:00", "friday-report", [REP, "#"]),
    (MONDAY, "09:00", "alerts", [BOSS]),  # growth: no new customers three weeks running
    (MONDAY, "09:00", "calibration", BOTH),  # the pack an hour before
    (MONDAY, "09:00", "actions", [REP]),  # due0: on the day
    (MONDAY, "09:30", "checkin-reminder", [REP]),
    (MONDAY, "10:45", "calibration", [BOSS]),  # record the minutes
    (TUESDAY, "09:30", "checkin-reminder", [REP]),
    (TUESDAY, "10:00", "calibration", BOTH),  # no minutes: the nudge
    (TUESDAY, "11:00", "alerts", [REP]),  # the lead: 48 working hours (Fri 14 + Mon 24 + Tue 10)
    (WEDNESDAY, "09:30", "checkin-reminder", [REP]),
    (WEDNESDAY, "11:00", "alerts", [BOSS]),  # ... 72: to the managers
    (WEDNESDAY, "12:00", "alerts", [BOSS]),  # pace: no touches by Wednesday noon
]
MONTH_END = [("month-end", [REP, BOSS, "#"])]
MONTH_AND_QUARTER_END = [("month-end", [REP, BOSS, "#"]), ("quarter-end", [REP, BOSS, "#"])]

# zone, the Friday before the change, the change's day, and what else falls in the week:
# month- and quarter-end (09:00 on the first working day after) and the review cycle's
# self-assessment request (09:00 then) and its reminder (09:00 two days later).
CHANGES = {
    "new-york-spring": (NEW_YORK, date(2026, 3, 6), date(2026, 3, 8), []),
    "new-york-fall": (NEW_YORK, date(2026, 10, 30), date(2026, 11, 1), [
        (MONDAY, "09:00", MONTH_END + [("review", [REP])]),  # October ended on a Saturday
        (WEDNESDAY, "09:00", [("review", [REP])])]),
    "berlin-spring": (BERLIN, date(2026, 3, 27), date(2026, 3, 29), [
        (WEDNESDAY, "09:00", MONTH_AND_QUARTER_END + [("review", [REP])])]),  # 31 Mar: Tue
    "berlin-fall": (BERLIN, date(2026, 10, 23), date(2026, 10, 25), []),
}


Row = tuple[date, str, str, Iterable[str]]  # local day and time, job, recipients


def _expected(rows: Iterable[Row]) -> dict[str, list[tuple[str, str]]]:
    """Every job's messages as Dst.of lists them: (local time, channel), in order."""
    found: dict[str, list[tuple[str, str]]] = {job: [] for job in jobs.JOBS}
    for day, at, job, whom in sorted(rows, key=lambda r: (r[0], r[1])):
        found[job] += [(f"{day:%a %m-%d} {at}", CHANNEL if w == "#" else f"D{w}")
                       for w in whom]
    return found


def _moments(zone: ZoneInfo, rows: Iterable[Row]) -> list[datetime]:
    return [datetime.combine(day, time.fromisoformat(at), tzinfo=zone) for day, at, _, _ in rows]


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_job_across_a_weekend_change(make, change: str) -> None:  # noqa: ANN001
    zone, friday, night, extra = CHANGES[change]
    monday = friday + timedelta(days=3)
    dst = make(zone, calibration=f"{monday} 10:00")
    dst.lead(f"{friday} 10:00")
    dst.action(monday, f"{friday} 08:00")
    rows = [(friday + timedelta(days=day), at, job, whom) for day, at, job, whom in WEEK]
    rows += [(friday + timedelta(days=day), at, job, whom) for day, at, posts in extra
             for job, whom in posts]
    dst.sweep(f"{friday} 00:00", f"{friday + timedelta(days=5)} 13:00",
              around=_moments(zone, rows), nights=[night])
    # Before the change and after it, each message once, at its local time.
    assert {job: dst.of(job) for job in jobs.JOBS} == _expected(rows)


# ----------------------------------------------------------------- the gap, the repeated hour

def test_times_in_spring_forwards_gap_fire_once_an_hour_later(make) -> None:  # noqa: ANN001
    """Jerusalem springs forward on Friday 27 March 2026 at 02:00 (a working day): a team whose
    times are 02:30, which that Friday never reaches, gets them once, at 03:30."""
    thursday, friday, monday, tuesday = (date(2026, 3, d) for d in (26, 27, 30, 31))
    dst = make(JERUSALEM, times={"checkin": "02:30", "brief": "02:30", "report": "02:30"},
               calibration=f"{friday} 02:30")
    dst.lead(f"{thursday} 10:00")
    rows: list[Row] = [
        (thursday, "02:30", "checkin-reminder", [REP]),
        (thursday, "03:30", "calibration", BOTH),  # a day ahead, at the meeting's 03:30
        (friday, "01:30", "calibration", BOTH),  # an hour (a real one) before 03:30
        (friday, "03:30", "checkin-reminder", [REP]),
        (friday, "03:30", "friday-brief", [REP]),
        (friday, "03:30", "friday-report", [REP, "#"]),
        (friday, "04:15", "calibration", [BOSS]),  # minutes: 45 minutes after the start
        (monday, "02:30", "checkin-reminder", [REP]),
        (monday, "03:30", "calibration", BOTH),  # the nudge, at the meeting's time
        (monday, "09:00", "alerts", [BOSS]),  # growth
        # The lead: Thursday's 14 h, Friday's 23 (the day the clock lost an hour), and
        # Monday's first 11 make 48 working hours; the alert is at the next hour.
        (monday, "12:00", "alerts", [REP]),
        (tuesday, "02:30", "checkin-reminder", [REP]),
        (tuesday, "12:00", "alerts", [BOSS]),  # ... 72: Monday's 24 more and Tuesday's 11
    ]
    dst.sweep(f"{thursday} 00:00", f"{tuesday} 13:00", around=_moments(JERUSALEM, rows),
              nights=[friday])
    assert {job: dst.of(job) for job in jobs.JOBS} == _expected(rows)
    [reminder] = [s for s in dst.sent if s.job == "checkin-reminder" and "Fri 27 Mar" in s.text]
    assert reminder.at == datetime(2026, 3, 27, 0, 30, tzinfo=UTC)  # 03:30 +03:00


def test_times_in_fall_backs_repeated_hour_fire_once_the_first_time(make) -> None:  # noqa: ANN001
    """Cairo falls back at the end of Thursday 29 October 2026 (24:00 -> 23:00, a working
    day): a team whose check-in and calibration are at 23:30, which that Thursday reaches
    twice, gets each once, at the first 23:30 (+03:00), and nothing again at the second."""
    thursday, friday = date(2026, 10, 29), date(2026, 10, 30)
    dst = make(CAIRO, times={"checkin": "23:30"}, calibration=f"{thursday} 23:30")
    rows: list[Row] = [
        (thursday, "22:30", "calibration", BOTH),  # an hour before
        (thursday, "23:15", "calibration", [BOSS]),  # minutes, 45 minutes after (+02:00 by then)
        (thursday, "23:30", "checkin-reminder", [REP]),
        (friday, "15:00", "friday-brief", [REP]),
        (friday, "17:00", "friday-report", [REP, "#"]),
        (friday, "23:30", "calibration", BOTH),  # the nudge, the next working day
        (friday, "23:30", "checkin-reminder", [REP]),
    ]
    # From 03:00, so Wednesday's 23:30 is over three hours late (given up, not sent).
    dst.sweep(f"{thursday} 03:00", f"{friday + timedelta(days=1)} 01:00",
              around=_moments(CAIRO, rows), nights=[thursday])
    assert {job: dst.of(job) for job in jobs.JOBS} == _expected(rows)
    thursdays = [s.at for s in dst.sent if s.job == "checkin-reminder" and "Thu 29" in s.text]
    assert thursdays == [datetime(2026, 10, 29, 20, 30, tzinfo=UTC)]  # 23:30 +03:00, once
    packs = [s.at for s in dst.sent if s.job == "calibration"]
    assert packs[:3] == [datetime(2026, 10, 29, 19, 30, tzinfo=UTC)] * 2 + [
        datetime(2026, 10, 29, 21, 15, tzinfo=UTC)]  # 22:30 +03:00, then 23:15 +02:00


# ----------------------------------------------------------------- the calendar's own rules

@pytest.mark.parametrize(("zone", "day", "hours"), [
    (JERUSALEM, date(2026, 3, 27), 23), (NEW_YORK, date(2026, 3, 8), 23),
    (NEW_YORK, date(2026, 11, 1), 25), (CAIRO, date(2026, 10, 29), 25),
    (BERLIN, date(2026, 3, 29), 23), (BERLIN, date(2026, 10, 25), 25),
    (BERLIN, date(2026, 3, 30), 24)])
def test_a_working_day_counts_its_real_length(zone: ZoneInfo, day: date, hours: int) -> None:
    every_day = lambda d: True  # noqa: E731
    start = datetime.combine(day - timedelta(days=1), time(12), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(12), tzinfo=zone)
    assert working_hours_between(start, end, zone, every_day) == 12 + hours + 12
    assert after_working_hours(start, 12 + hours + 12, zone, every_day) == end
    assert after_working_hours(start, 12 + hours + 18, zone, every_day) == end + timedelta(
        hours=6)
