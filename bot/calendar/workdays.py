"""Working days and local times: the one home of "next working day", "last Friday" and "09:00
in this zone". Monday to Friday are working days, less the team's public holidays (the
`holidays` package, by country) and its own days off, plus the weekend days its country
declares working days (China's 调休 make-up days, and their like: the package's
`weekend_workdays`); a team's test is `TeamInfo.working`.

The `holidays` package gives the days off but has no notion of "the n-th working day after",
so the stepping below is our own.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

Working = Callable[[date], bool]  # a team's working-day test

WEDNESDAY, FRIDAY = 2, 4  # date.weekday()
# No search goes further than this for a working day: a team with none in two months is
# misconfigured, and a loop over its calendar must still end.
SEARCH_DAYS = 60


@lru_cache(maxsize=64)
def _calendar(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """`country`'s public holidays in `year`, and the weekend days it declares working days
    then (China's 调休), from one `holidays` calendar."""
    found = holidays.country_holidays(country, years=year)
    make_up = frozenset(d for d in getattr(found, "weekend_workdays", ()) if d.year == year)
    return frozenset(found), make_up


def is_working_day(day: date, *, country: str | None = None,
                   days_off: Iterable[date] = ()) -> bool:
    """Monday to Friday, or a make-up working day of `country`; never one of its public
    holidays nor one of the team's own `days_off`."""
    # Callers on hot paths (the idle-lead clock asks day by day) pass a frozenset: not copied.
    if day in (days_off if isinstance(days_off, (set, frozenset)) else set(days_off)):
        return False
    if not country:
        return day.weekday() < 5
    public, make_up = _calendar(country, day.year)
    return day not in public and (day.weekday() < 5 or day in make_up)


def working_days(start: date, end: date, *, country: str | None = None,
                 days_off: Iterable[date] = ()) -> list[date]:
    """The working days from start to end, both included."""
    off = set(days_off)
    days, day = [], start
    while day <= end:
        if is_working_day(day, country=country, days_off=off):
            days.append(day)
        day += timedelta(days=1)
    return days


# ----------------------------------------------------------------- stepping through days

def next_working_day(day: date, working: Working) -> date:
    """`day` itself when the team works then, else the next day it does."""
    for _ in range(SEARCH_DAYS):
        if working(day):
            return day
        day += timedelta(days=1)
    return day


def previous_working_day(day: date, working: Working) -> date:
    """The last working day strictly before `day`."""
    day -= timedelta(days=1)
    for _ in range(SEARCH_DAYS):
        if working(day):
            return day
        day -= timedelta(days=1)
    return day


def add_working_days(day: date, count: int, working: Working) -> date:
    """The `count`-th working day after `day` (`day` itself not counted; count >= 1)."""
    for _ in range(count):
        day = next_working_day(day + timedelta(days=1), working)
    return day


def first_working_day(start: date, end: date, working: Working) -> date | None:
    """The first working day from start to end (both included); None if there is none."""
    day = next_working_day(start, working)
    return day if day <= end and working(day) else None


def weekday_on_or_before(day: date, weekday: int) -> date:
    """The latest date on or before `day` that falls on `weekday` (Monday 0)."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def last_friday(day: date) -> date:
    """`day` itself on a Friday, else the Friday before."""
    return weekday_on_or_before(day, FRIDAY)


# ----------------------------------------------------------------- a person's days
# A person works their team's working days less their away days (`/pacer away`, stored as
# spans of first and last day, both included): jobs ask TeamInfo.working_for(user), handlers
# bot/services/teams.person_working_for. Anything that expects something of a person on a
# day (a reminder, a pace, a lapse, a share of a target, a calibration) asks this test.

Span = tuple[date, date]  # an away spell: first and last day, both included


def is_away(day: date, away: Iterable[Span]) -> bool:
    """Whether one of the spells covers `day`."""
    return any(first <= day <= last for first, last in away)


def person_working(team: Working, away: Iterable[Span]) -> Working:
    """A person's working-day test: `team`'s working days that no away spell covers."""
    spans = tuple(away)
    if not spans:
        return team
    return lambda day: team(day) and not is_away(day, spans)


def both_working(*tests: Working) -> Working:
    """The days every one of `tests` works (a calibration needs the rep and the manager)."""
    tests = tuple(dict.fromkeys(tests))  # the same test twice (neither away): asked once
    if len(tests) == 1:
        return tests[0]
    return lambda day: all(test(day) for test in tests)


def away_until(day: date, away: Iterable[Span]) -> date | None:
    """The last day of the leave covering `day` (spells that touch or overlap run on as one);
    None when `day` is not an away day."""
    spans = sorted(away)
    if not is_away(day, spans):
        return None
    last = day
    for first, end in spans:
        if first <= last + timedelta(days=1) and end > last:
            last = end
    return last


def working_days_from(start: date, count: int, working: Working) -> Span:
    """The first and last of `count` working days beginning at `start` (or the next working
    day): "away 3 days" (请假3天) is three working days of leave, weekends not counted."""
    first = next_working_day(start, working)
    return first, add_working_days(first, count - 1, working) if count > 1 else first


# ----------------------------------------------------------------- local times

def at_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`at` o'clock on `day` in zone `tz` (an aware datetime)."""
    return datetime.combine(day, at, tzinfo=tz)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The end of a local day: something due on `day` is late from this moment."""
    return at_local(day + timedelta(days=1), time(0), tz)


def parse_hhmm(text: str | None, default: time) -> time:
    """A stored "HH:MM" (a team's check-in, brief, report or calibration time), else
    `default`: a value that no longer parses must not stop the jobs."""
    try:
        return time.fromisoformat(text) if text else default
    except ValueError:
        return default


def next_working_at(now: datetime, at: time, tz: ZoneInfo, working: Working, *,
                    weekday: int | None = None) -> datetime | None:
    """The first `at` o'clock in `tz` after `now` on a working day (on `weekday` only, when
    given); None if there is none in the next SEARCH_DAYS days."""
    day = now.astimezone(tz).date()
    for _ in range(SEARCH_DAYS):
        moment = at_local(day, at, tz)
        if (weekday is None or day.weekday() == weekday) and working(day) and moment > now:
            return moment
        day += timedelta(days=1)
    return None


# ----------------------------------------------------------------- working hours
# The idle-lead clock (bot/scoring/points.py): 48 hours of the team's working days, so a
# weekend, a public holiday or a team day off stops it. A working day counts whole (00:00 to
# 24:00 local, its real length across a DST change); a day off counts nothing.

def working_hours_between(start: datetime, end: datetime, tz: ZoneInfo,
                          working: Working) -> float:
    """The hours of [start, end) that fall on working days in zone `tz` (0 if end <= start)."""
    if end <= start:
        return 0.0
    # In UTC: Python subtracts two datetimes of one zone by their wall clocks, which would
    # count a 23- or 25-hour day as 24.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = 0.0
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if working(day):
            begins = max(start, at_local(day, time(0), tz).astimezone(UTC))
            ends = min(end, end_of_day(day, tz).astimezone(UTC))
            if ends > begins:
                total += (ends - begins).total_seconds() / 3600
        day += timedelta(days=1)
    return total


@lru_cache(maxsize=4096)
def _day_in_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day's first moment and its end, in UTC: the idle-lead clock asks for the same
    few days for every lead of a team (tens of thousands of times for a month's reports)."""
    return at_local(day, time(0), tz).astimezone(UTC), end_of_day(day, tz).astimezone(UTC)


def after_working_hours(start: datetime, hours: float, tz: ZoneInfo,
                        working: Working) -> datetime | None:
    """The moment (UTC) `hours` of working time have passed since `start` (the inverse of
    working_hours_between); None when the team has no working day in the next
    SEARCH_DAYS * 7 days (a calendar with no working days never lets the clock run)."""
    return WorkingClock(tz, working).after(start, hours)


_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_ZERO = timedelta(0)
_BLOCK = 64  # local days per block of a WorkingClock's table
_LAST_BLOCK = date.max.toordinal() // _BLOCK - SEARCH_DAYS  # a count from beyond it: walked


@dataclass(frozen=True)
class _Block:
    """_BLOCK local days from the one of ordinal `index * _BLOCK`: each day's first moment
    (UTC; one more entry, the block's end), the working time from the block's start to it (one
    more: to the block's end) and whether its UTC offset stays the same all day."""

    starts: list[datetime]
    held: list[timedelta]
    steady: list[bool]


@lru_cache(maxsize=64)
def hours_length(hours: float) -> timedelta:
    """`hours` as a timedelta, kept: the lapse rule asks for the same one tens of thousands of
    times in a month's reports (bot/scoring/points.py `lapses`, `WorkingClock.after`)."""
    return timedelta(hours=hours)


class WorkingClock:
    """`after_working_hours` for one zone and calendar, remembering what it found: a report
    asks it about the same few weeks for each of a rep's leads (tens of thousands of times for a
    month's reports). It keeps blocks of _BLOCK local days (`_Block`): each day's first moment
    in UTC and the working time from the block's start to it. A count is then a binary search
    for its start and one for its end, with no zone arithmetic; a count starting on a day whose
    UTC offset changes takes the older way (`_after_walking`): for each day a count starts on,
    the working days that follow, with the working time up to the end of each."""

    def __init__(self, tz: ZoneInfo, working: Working) -> None:
        self.tz, self.working = tz, working
        # A local day -> its first moment and end in UTC, or None if it is not working.
        self.days: dict[date, tuple[datetime, datetime] | None] = {}
        # (a local day, hours) -> its bounds, and of the working days after it (SEARCH_DAYS *
        # 7 from it at most) until they hold `hours`: the working time to the end of each, and
        # each one's first moment.
        self.ahead: dict[tuple[date, float], tuple[tuple[datetime, datetime] | None,
                                                   list[timedelta], list[datetime]]] = {}
        self.blocks: dict[int, _Block] = {}  # by the ordinal of their first day // _BLOCK

    def _bounds(self, day: date) -> tuple[datetime, datetime] | None:
        days = self.days
        if day in days:
            return days[day]
        bounds = days[day] = _day_in_utc(day, self.tz) if self.working(day) else None
        return bounds

    def _ahead(self, day: date, hours: float) -> tuple:
        found = self.ahead.get((day, hours))
        if found is None:
            full = timedelta(hours=hours)
            held, total, firsts = [], timedelta(0), []
            following = day
            for _ in range(SEARCH_DAYS * 7 - 1):
                if total >= full:
                    break
                following += _ONE_DAY
                bounds = self._bounds(following)
                if bounds is not None:
                    total += bounds[1] - bounds[0]
                    held.append(total)
                    firsts.append(bounds[0])
            found = self.ahead[(day, hours)] = (self._bounds(day), held, firsts)
        return found

    def _block(self, index: int) -> _Block:
        block = self.blocks.get(index)
        if block is None:
            first = date.fromordinal(index * _BLOCK)
            starts, held, steady = [], [], []
            total = timedelta(0)
            for k in range(_BLOCK):
                day = first + timedelta(days=k)
                begins, ends = _day_in_utc(day, self.tz)
                starts.append(begins)
                held.append(total)
                if self._bounds(day) is not None:
                    total += ends - begins
                # One UTC offset all day: its moments are on it in local time too.
                steady.append(begins.astimezone(self.tz).utcoffset()
                              == (ends - _ONE_MICROSECOND).astimezone(self.tz).utcoffset())
            starts.append(ends)
            held.append(total)
            block = self.blocks[index] = _Block(starts, held, steady)
        return block

    def after(self, start: datetime, hours: float) -> datetime | None:
        start = start.astimezone(UTC)  # real hours (see working_hours_between); UTC answer
        # The block of its local day, which is its UTC day, the one before or the one after.
        index = start.toordinal() // _BLOCK
        if hours <= 0 or not 1 < index < _LAST_BLOCK:
            return self._after_walking(start, hours)
        block = self.blocks.get(index) or self._block(index)
        i = bisect_right(block.starts, start) - 1
        if i < 0:
            index -= 1
            block = self._block(index)
            i = bisect_right(block.starts, start) - 1
        elif i == _BLOCK:
            index += 1
            block = self._block(index)
            i = 0
        if not block.steady[i]:
            return self._after_walking(start, hours)
        held = block.held
        target = held[i] + (start - block.starts[i] if held[i + 1] > held[i] else _ZERO)
        target += hours_length(hours)
        last = index * _BLOCK + i + SEARCH_DAYS * 7 - 1  # the last day the walk looks at
        while target > held[_BLOCK]:  # it ends in a later block
            target -= held[_BLOCK]
            index += 1
            if index * _BLOCK > last:
                return None
            block = self._block(index)
            held, i = block.held, 0
        j = bisect_left(held, target, i + 1) - 1  # the working day it ends on
        if index * _BLOCK + j > last:
            return None
        return block.starts[j] + (target - held[j])

    def _after_walking(self, start: datetime, hours: float) -> datetime | None:
        left = timedelta(hours=hours)
        bounds, held, firsts = self._ahead(start.astimezone(self.tz).date(), hours)
        if bounds is not None:  # `start`'s own day, from `start` on
            midnight, ends = bounds
            begins = start if start >= midnight else midnight
            if ends > begins:
                if ends - begins >= left:
                    return begins + left
                left -= ends - begins
        # The first working day after it whose end holds what is left.
        k = bisect_left(held, left)
        if k == len(held):
            return None
        return firsts[k] + (left - (held[k - 1] if k else timedelta(0)))
