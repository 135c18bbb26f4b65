"""How far the idle-lead clock (working hours, bot/calendar/workdays.py) can run ahead of the
wall clock, so a gap between two events can be ruled out without asking the calendar.

The clock counts only working days, so it is never ahead of real time. (It once counted a
working day as its wall-clock length, 24 h even on a 23-hour spring-forward day; it now counts
real hours, and the bound below, the total change of the zone's UTC offset over the stretch,
stays as a margin that costs nothing: a candidate too many is checked, never one too few.) A gap of
real length at most `hours - variation` can never hold `hours` of working time: such gaps
need no calendar, which is what lets SQL pick the few candidates (store/idle_gaps.py) and
lets `lapses` skip most gaps. The offsets are sampled by bot/calendar/zones.py, which the SQL
side (store/idle_gaps.py) uses too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from bot.calendar.zones import span_bounds


def ahead_at_most(tz: tzinfo, start: datetime, end: datetime) -> timedelta:
    """How much more working time than real time [start, end] can count in `tz`."""
    if start.year < 2 or end.year > 9998:  # beyond what can be sampled: assume the worst
        return timedelta(days=365 * 10_000)
    return timedelta(seconds=span_bounds(tz, start.date(), end.date())[2])
