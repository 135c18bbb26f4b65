"""How far the idle-lead clock (working hours, bot/calendar/workdays.py) can run ahead of the
wall clock, so a gap between two events can be ruled out without asking the calendar.

The clock counts only working days, so it is never ahead of real time, except that a whole
working day counts as its local wall-clock length (00:00 to 24:00 compared in the same zone:
24 h even on a 23-hour spring-forward day). Over any stretch, the clock can therefore run
ahead of real time by at most the total change of the zone's UTC offset during it. A gap of
real length at most `hours - variation` can never hold `hours` of working time: such gaps
need no calendar, which is what lets SQL pick the few candidates (store/idle_gaps.py) and
lets `lapses` skip most gaps. (store/zones.py samples offsets the same way for SQL: store/ and
the scoring core may not import each other.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache

STEP = timedelta(hours=6)  # tz database offset changes are months apart, never within 6 h


@lru_cache(maxsize=4096)
def offset_bounds(tz: tzinfo, year: int) -> tuple[float, float, float]:
    """(lowest, highest UTC offset, total change of the offset) of `tz` during `year` and the
    day either side, in seconds, sampled every 6 hours."""
    at = datetime(year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    offsets = []
    while at <= end:
        offsets.append(at.astimezone(tz).utcoffset().total_seconds())  # type: ignore[union-attr]
        at += STEP
    variation = sum(abs(b - a) for a, b in zip(offsets, offsets[1:], strict=False))
    return min(offsets), max(offsets), variation


def span_bounds(tz: tzinfo, first: date, last: date) -> tuple[float, float, float]:
    """`offset_bounds` over every year from `first` to `last` (the variation summed)."""
    parts = [offset_bounds(tz, year) for year in range(first.year, last.year + 1)]
    return (min(p[0] for p in parts), max(p[1] for p in parts), sum(p[2] for p in parts))


def ahead_at_most(tz: tzinfo, start: datetime, end: datetime) -> timedelta:
    """How much more working time than real time [start, end] can count in `tz`."""
    if start.year < 2 or end.year > 9998:  # beyond what can be sampled: assume the worst
        return timedelta(days=365 * 10_000)
    return timedelta(seconds=span_bounds(tz, start.date(), end.date())[2])
