"""Calendar arithmetic and the dateparser calls shared by the English (dates.py) and Chinese
(dates_zh.py) date readers: what a phrase means (Read), the latest such day not in the future,
a Mon-Sun week, and dateparser asked one phrase and checked. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateparser.date import DateDataParser


@dataclass(frozen=True)
class Read:
    """What a phrase means, before the policy (future, too old) is applied."""
    day: date | None
    vague: bool = False  # names a period, not a day
    future: bool = False  # vague, but surely ahead (`next week`, 下个月)
    mismatch: date | None = None  # the weekday typed does not fit this date
    weak: bool = False  # a bare weekday / day of month: in Chinese text it needs a space after
    name_like: bool = False  # a day word at the start of a Chinese name (今日头条)


NO_SUCH_DAY = Read(None)

def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def latest_month_day(today: date, month: int, day: int) -> date | None:
    """The latest month/day not after today (29 Feb goes back to the last leap year)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return next((d for y in range(today.year, today.year - 8, -1)
                 if (d := valid(y, month, day)) and d <= today), None)


def latest_day_of_month(today: date, day: int) -> date | None:
    """The latest day-of-month `day` not after today (the 31st skips 30-day months)."""
    for back in range(13):
        y, m = add_months(today, -back)
        if (d := valid(y, m, day)) and d <= today:
            return d
    return None


def add_months(d: date, months: int) -> tuple[int, int]:
    k = d.year * 12 + d.month - 1 + months
    return k // 12, k % 12 + 1


def one_year_before(today: date) -> date:
    """The oldest day a /log may be for."""
    return valid(today.year - 1, today.month, today.day) or date(today.year - 1, 2, 28)


@lru_cache(maxsize=64)
def _parser(lang: str, base: datetime, order: str) -> DateDataParser:
    """One dateparser per language and reference time. RELATIVE_BASE is `now` in the rep's
    zone, naive (so dateparser converts no zone); PREFER_DATES_FROM past gives the latest
    `Nov 20` not after today; only the relative-time and absolute-time parsers, since
    `timestamp` reads 10-digit numbers as dates and `no-spaces-time` reads 20241120."""
    return DateDataParser(languages=[lang], settings={
        "RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": order, "PARSERS": ["relative-time", "absolute-time"]})


def dp_day(text: str, lang: str, base: datetime, order: str = "MDY",
           any_period: bool = False) -> date | None:
    period, day = _dp_read(text, lang, base, order)
    if day is None or not (any_period or period in ("day", "time")):
        return None
    return day


# What dateparser made of a phrase on a given day: (period, date). Its parser is built per
# reference time (`now`, so afresh for every /log) and asked anew: ~3 ms of CPU for a
# `demo Globex on monday`. A reading that depends on the day only (all but a time of day:
# `3 hours ago` may cross midnight) is the same all that day, so it is kept for it.
_READS: dict[tuple[str, str, date, str], tuple[str | None, date | None]] = {}
_READS_MAX = 4096  # phrases x days; past it, start over


def _dp_read(text: str, lang: str, base: datetime, order: str
             ) -> tuple[str | None, date | None]:
    key = (text, lang, base.date(), order)
    hit = _READS.get(key)
    if hit is not None:
        return hit
    data = _parser(lang, base, order).get_date_data(text)
    found = (data.period, data.date_obj.date() if data.date_obj is not None else None)
    if data.period != "time":
        if len(_READS) >= _READS_MAX:
            _READS.clear()
        _READS[key] = found
    return found


def dp_checked(text: str, lang: str, base: datetime, order: str, month: int, dom: int,
               year: int | None, today: date) -> Read:
    """dateparser reads it, and must have read the month, day and year typed; if not, the
    same rule by hand (latest such day, or that year's)."""
    if valid(year or 2000, month, dom) is None:
        return NO_SUCH_DAY  # Feb 30, 13/45
    d = dp_day(text, lang, base, order, any_period=True)
    if d is None or (d.month, d.day) != (month, dom) or (year and d.year != year):
        d = valid(year, month, dom) if year else latest_month_day(today, month, dom)
    return Read(d)


def weekday_check(wd: int, r: Read, today: date, explicit_year: bool) -> Read:
    """Own code: a weekday beside a date picks the year (dateparser ignores the weekday and
    moves `Monday, Feb 18` to last year's Feb 18, a Saturday)."""
    assert r.day is not None
    if r.day.weekday() == wd:
        return r
    ahead = valid(today.year, r.day.month, r.day.day)
    if not explicit_year and ahead and ahead > today and ahead.weekday() == wd:
        return Read(ahead)  # this year's: in the future, and refused as such
    return Read(None, mismatch=r.day)


def read_numeric(p: str, today: date, base: datetime, order: str) -> Read | None:
    """2026-11-20, 11/20/2026 (dateparser); 11/20 and 20/11 (own code: with zh dateparser
    reads 11/20 as 2011-11-20; the rep's order, and a first part over 12 is a day)."""
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", p):
        return dp_checked(p, "en", base, "YMD", int(m[2]), int(m[3]), int(m[1]), today)
    if m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})", p):
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        month, dom = (a, b) if order.startswith("M") else (b, a)
        return dp_checked(p, "en", base, order, month, dom, y + (2000 if y < 100 else 0), today)
    if m := re.fullmatch(r"(\d{1,2})[/-](\d{1,2})", p):
        a, b = int(m[1]), int(m[2])
        month, dom = (a, b) if order.startswith(("M", "Y")) else (b, a)
        if month > 12 >= dom:
            month, dom = dom, month
        return Read(latest_month_day(today, month, dom))
    return None
