"""Working days: Monday to Friday, less the team's public holidays (the `holidays` package,
by country) and its own days off."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _public(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(day: date, *, country: str | None = None,
                   days_off: Iterable[date] = ()) -> bool:
    if day.weekday() >= 5 or day in set(days_off):
        return False
    return not (country and day in _public(country, day.year))


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
