"""Calendar periods in local dates: weeks run Monday to Sunday."""

from __future__ import annotations

from datetime import date, timedelta


def week_bounds(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def period_bounds(period: str, today: date) -> tuple[date, date]:
    if period == "today":
        return today, today
    if period == "month":
        return month_bounds(today)
    return week_bounds(today)


def weekdays_before(day: date) -> int:
    """Working days (Mon–Fri) of this week that are over by the start of `day`."""
    return min(day.weekday(), 5)
