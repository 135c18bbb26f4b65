"""Period arithmetic the scoring core needs: lengths in months, consecutiveness, pro-rating."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot.scoring.facts import Period

# A week is 12/52 of a month, so 52 weekly targets add up to 12 monthly ones.
_MONTHS = {"week": Decimal(12) / Decimal(52), "month": Decimal(1), "quarter": Decimal(3),
           "year": Decimal(12)}


def period_months(period: Period) -> Decimal:
    """How many months' worth of target a period carries (week 12/52, quarter 3, year 12)."""
    try:
        return _MONTHS[period.kind]
    except KeyError:
        raise ValueError(f"unknown period kind {period.kind!r}") from None


def days(period: Period) -> int:
    return (period.end - period.start).days + 1


def follows(previous: Period, current: Period) -> bool:
    """True when `current` starts the day after `previous` ends (consecutive periods)."""
    return previous.kind == current.kind and previous.end + timedelta(days=1) == current.start


def joined_share(period: Period, joined_at: date) -> Decimal:
    """The share of the period a member who joined on `joined_at` was on the team, by calendar
    day, both ends inclusive: 1 if they joined before it started, 0 if after it ended."""
    if joined_at <= period.start:
        return Decimal(1)
    if joined_at > period.end:
        return Decimal(0)
    return Decimal((period.end - joined_at).days + 1) / Decimal(days(period))
