"""The bi-weekly calibration cadence (seed 001 §三2), in plain dates and times: pure.

A cadence is an anchor moment in a zone; its slots fall every 14 days at the anchor's wall-clock
time in that zone (so 10:00 stays 10:00 across daylight-saving changes). A slot on a day the
team does not work (a weekend, a public holiday, a day off) moves to the next working day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EVERY = timedelta(days=14)
TUESDAY = 1
DEFAULT_TIME = time(10, 0)
# A cadence never searches further than this for a working day (a team with none is broken).
SEARCH_DAYS = 31

Working = Callable[[date], bool]


def default_anchor(created: date) -> date:
    """Where a team's cadence starts when nobody chose: the first Tuesday on or after the day
    it was created. Monday is for planning, and the Friday brief is fresh by Tuesday."""
    return created + timedelta(days=(TUESDAY - created.weekday()) % 7)


def parse_hhmm(text: str | None, default: time = DEFAULT_TIME) -> time:
    try:
        return time.fromisoformat(text) if text else default
    except ValueError:
        return default


def next_working(day: date, working: Working) -> date:
    """`day` itself when the team works then, else the next day it does."""
    for _ in range(SEARCH_DAYS):
        if working(day):
            return day
        day += timedelta(days=1)
    return day


def previous_working(day: date, working: Working) -> date:
    """The last working day strictly before `day`."""
    day -= timedelta(days=1)
    for _ in range(SEARCH_DAYS):
        if working(day):
            return day
        day -= timedelta(days=1)
    return day


def add_working_days(day: date, count: int, working: Working) -> date:
    """The `count`-th working day after `day` (count >= 1)."""
    for _ in range(count):
        day = next_working(day + timedelta(days=1), working)
    return day


@dataclass(frozen=True)
class Cadence:
    anchor: date
    at: time
    tz: ZoneInfo

    @classmethod
    def from_moment(cls, moment: datetime, tz: ZoneInfo) -> Cadence:
        local = moment.astimezone(tz)
        return cls(local.date(), local.time().replace(second=0, microsecond=0), tz)

    def slots(self, start: date, end: date) -> list[date]:
        """The cadence dates (before any working-day shift) from start to end, inclusive."""
        steps = -((self.anchor - start).days // EVERY.days)  # ceil: the first on or after start
        day, found = self.anchor + EVERY * steps, []
        while day <= end:
            found.append(day)
            day += EVERY
        return found

    def moment(self, slot: date, working: Working) -> datetime:
        """When the slot's calibration happens: its day, or the next working day, at the
        cadence's time in its zone."""
        return datetime.combine(next_working(slot, working), self.at, tzinfo=self.tz)
