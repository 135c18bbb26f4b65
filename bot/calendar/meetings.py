"""A time for a meeting of two (or more) people in their own time zones: the first free
slot inside everyone's working hours on the team's working days. Pure: `now`, the zones and
the busy times come in.

Pacer knows people's zones and the team's calendar, not their diaries, so "working hours" are
09:00-18:00 in each person's own zone. Two people with no such hours in common (Shanghai and
New York share none) get the first slot in a stretched day (08:00-19:00, then 07:00-21:00, as
people accept for a call across the world), and the result says it was stretched; with none
even then, the first slot in the first person's hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.workdays import Working

WORKING_HOURS = (time(9, 0), time(18, 0))
STRETCHED_HOURS = ((time(8, 0), time(19, 0)), (time(7, 0), time(21, 0)))
STEP = timedelta(minutes=30)
SEARCH = timedelta(days=14)


@dataclass(frozen=True)
class Slot:
    at: datetime  # aware UTC
    stretched: bool  # outside someone's usual 09:00-18:00
    shared: bool = True  # False: only the first person's hours could be met


def _fits(at: datetime, length: timedelta, tz: ZoneInfo, hours: tuple[time, time],
          working: Working) -> bool:
    start, end = at.astimezone(tz), (at + length).astimezone(tz)
    return (start.date() == end.date() and working(start.date())
            and hours[0] <= start.time() and end.time() <= hours[1])


def _free(at: datetime, length: timedelta, busy: Sequence[tuple[datetime, timedelta]]) -> bool:
    return all(at + length <= b or b + b_length <= at for b, b_length in busy)


def _scan(start: datetime, length: timedelta, zones: Sequence[ZoneInfo],
          hours: tuple[time, time], working: Working,
          busy: Sequence[tuple[datetime, timedelta]]) -> datetime | None:
    at = start
    while at < start + SEARCH:
        if all(_fits(at, length, tz, hours, working) for tz in zones) and _free(at, length,
                                                                             busy):
            return at
        at += STEP
    return None


def first_slot(day: date, prefer: time, team_tz: ZoneInfo, zones: Sequence[ZoneInfo],
               working: Working, *, length: timedelta, not_before: datetime,
               busy: Sequence[tuple[datetime, timedelta]] = ()) -> Slot:
    """The first slot of `length` from `prefer` o'clock (team time) on `day`, in everyone's
    working hours on working days (each person's own date against the team's calendar), not
    on top of `busy` (start, length) and not before `not_before`."""
    start = max(datetime.combine(day, prefer, tzinfo=team_tz).astimezone(UTC), not_before)
    # Whole half hours, so a talk reads "10:00", not "10:07".
    start = start.replace(second=0, microsecond=0)
    if start.minute % 30:
        start += timedelta(minutes=30 - start.minute % 30)
    for hours in (WORKING_HOURS, *STRETCHED_HOURS):
        found = _scan(start, length, zones, hours, working, busy)
        if found is not None:
            return Slot(found, stretched=hours != WORKING_HOURS)
    found = _scan(start, length, zones[:1], WORKING_HOURS, working, busy)
    return Slot(found or start, stretched=True, shared=False)
