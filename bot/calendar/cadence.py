"""The bi-weekly calibration cadence (seed 001 §三2), in plain dates and times: pure.

A cadence is an anchor moment in a zone; its slots fall every 14 days at the anchor's wall-clock
time in that zone (so 10:00 stays 10:00 across daylight-saving changes). A slot on a day the
team does not work (a weekend, a public holiday, a day off) moves to the next working day
(bot/calendar/workdays.py); for a pair, the next day both the rep and the manager work (not
away: `/pacer away`). A slot that would move a whole cadence step (14 days) or more is not
held at all: the next slot's calibration takes its place (`held_at`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.workdays import Working, next_working_day

EVERY = timedelta(days=14)
TUESDAY = 1
DEFAULT_TIME = time(10, 0)


def default_anchor(created: date) -> date:
    """Where a team's cadence starts when nobody chose: the first Tuesday on or after the day
    it was created. Monday is for planning, and the Friday brief is fresh by Tuesday."""
    return created + timedelta(days=(TUESDAY - created.weekday()) % 7)


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
        return datetime.combine(next_working_day(slot, working), self.at, tzinfo=self.tz)

    def held_at(self, slot: date, working: Working) -> datetime | None:
        """`moment`, unless the slot's next working day (for a pair, the next day both work)
        is a whole cadence step or more away (a long leave): None, that calibration is not
        held, and the next slot's is the one that takes place."""
        day = next_working_day(slot, working)
        if day - slot >= EVERY or not working(day):
            return None
        return datetime.combine(day, self.at, tzinfo=self.tz)
