"""Calendar periods in local dates: weeks run Monday to Sunday; reporting periods."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.scoring.facts import Period


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


# Reporting periods (bot/scoring/facts.Period): week, month, quarter, year.

def month_period(day: date) -> Period:
    start, end = month_bounds(day)
    return Period("month", start, end, f"{start:%Y-%m}")


def quarter_period(day: date) -> Period:
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end = month_bounds(date(day.year, 3 * q + 3, 1))[1]
    return Period("quarter", start, end, f"{day.year}-Q{q + 1}")


def year_period(day: date) -> Period:
    return Period("year", date(day.year, 1, 1), date(day.year, 12, 31), str(day.year))


def months_of(period: Period) -> list[Period]:
    """The calendar months `period` touches, whole, in order."""
    found, day = [], period.start
    while day <= period.end:
        found.append(month_period(day))
        day = found[-1].end + timedelta(days=1)
    return found


def quarters_of(period: Period) -> list[Period]:
    """The four quarters of `period`'s year."""
    return [quarter_period(date(period.start.year, m, 1)) for m in (1, 4, 7, 10)]


def week_period(day: date) -> Period:
    start, end = week_bounds(day)
    iso = start.isocalendar()
    return Period("week", start, end, f"{iso.year}-W{iso.week:02d}")


PERIOD_OF = {"week": week_period, "month": month_period, "quarter": quarter_period,
             "year": year_period}
PERIOD_WORDS = {"week": "week", "周": "week", "本周": "week", "month": "month", "月": "month",
                "本月": "month", "quarter": "quarter", "季度": "quarter", "本季度": "quarter",
                "year": "year", "年": "year", "今年": "year", "本年": "year"}
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")
# Years a period may name: year 0 does not exist, and the period before year 1 or after 9999
# cannot be computed (scorecards compare with the previous period).
YEARS = range(1900, 3000)


def parse_period(text: str, today: date) -> Period | None:
    """'week', 'month', 'quarter', 'year' (the current one), '2026-11', '2026-Q4', '2026';
    None if it isn't a period."""
    word = text.strip().lower()
    if word in PERIOD_WORDS:
        return PERIOD_OF[PERIOD_WORDS[word]](today)
    year = re.match(r"\d{4}", word)
    if year and int(year[0]) not in YEARS:
        return None
    if m := _MONTH_RE.match(word):
        if 1 <= int(m[2]) <= 12:
            return month_period(date(int(m[1]), int(m[2]), 1))
        return None
    if m := _QUARTER_RE.match(word):
        return quarter_period(date(int(m[1]), 3 * int(m[2]) - 2, 1))
    if m := _YEAR_RE.match(word):
        return year_period(date(int(m[1]), 1, 1))
    return None


def previous(period: Period) -> Period:
    return PERIOD_OF[period.kind](period.start - timedelta(days=1))
