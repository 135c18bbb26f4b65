"""The idle-lead clock's fast way (WorkingClock: a binary search over the working days after a
count's start, kept per start day and shared by every lead of a calendar) gives exactly the
moments of the plain walk through the days, day by day: random starts (at midnight, a
microsecond before one, around daylight-saving changes), counts and calendars (weekends, China's
holidays and make-up days, days off, away spells, none working for months)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.workdays import SEARCH_DAYS, WorkingClock, is_working_day, person_working


def walked(start: datetime, hours: float, tz: ZoneInfo, working) -> datetime | None:  # noqa: ANN001
    """after_working_hours as it was: a walk through the days."""
    left = timedelta(hours=hours)
    start = start.astimezone(UTC)
    day = start.astimezone(tz).date()
    for _ in range(SEARCH_DAYS * 7):
        if working(day):
            midnight = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
            ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
            begins = max(start, midnight)
            if ends > begins:
                if ends - begins >= left:
                    return begins + left
                left -= ends - begins
        day += timedelta(days=1)
    return None


# Beirut and Havana change their clocks at midnight (a local day then begins twice or not at
# all), Lord Howe by half an hour.
@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Asia/Shanghai",
                                  "Australia/Lord_Howe", "Asia/Beirut", "America/Havana",
                                  "America/Santiago", "UTC"])
def test_the_clock_finds_what_the_walk_finds(zone: str) -> None:
    tz = ZoneInfo(zone)
    rng = random.Random(zone)
    off = frozenset(date(2026, 10, 1) + timedelta(days=rng.randrange(120)) for _ in range(10))
    team = lambda day: is_working_day(day, country="CN", days_off=off)  # noqa: E731
    away = person_working(team, [(date(2026, 11, 2), date(2026, 11, 13))])
    never = lambda day: not (date(2026, 9, 1) <= day <= date(2027, 12, 1))  # noqa: E731
    checked, nones = 0, 0
    # The zone's clock changes in the months looked at (by the hour), and the local midnights
    # around them: starts near them are where the days' bounds are odd.
    hourly = [datetime(2026, 9, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(150 * 24)]
    changes = [at for before, at in zip(hourly, hourly[1:], strict=False)
               if before.astimezone(tz).utcoffset() != at.astimezone(tz).utcoffset()]
    changes += [datetime.combine(at.astimezone(tz).date() + timedelta(days=d), time(0),
                                 tzinfo=tz).astimezone(UTC) for at in changes for d in (0, 1)]
    for working in (team, away, never, lambda day: True):
        clock = WorkingClock(tz, working)  # one clock for many starts, as for a team's leads
        for _ in range(400):
            base = datetime(2026, 9, 1, tzinfo=UTC) + timedelta(
                seconds=rng.randrange(150 * 86400))
            start = rng.choice((
                base, base.replace(microsecond=rng.randrange(10**6)),
                datetime.combine(base.astimezone(tz).date(), time(0), tzinfo=tz),
                datetime.combine(base.astimezone(tz).date(), time(0), tzinfo=tz)
                - timedelta(microseconds=1),
                datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
                rng.choice(changes) + timedelta(minutes=rng.randrange(-90, 90)) if changes
                else base,
            ))
            hours = rng.choice((48, 48, 24, 72, 0.5, 23.999))
            assert clock.after(start, hours) == walked(start, hours, tz, working), (
                start, hours)
            checked += 1
            nones += walked(start, hours, tz, working) is None
    assert checked == 1600 and 0 < nones < 400
