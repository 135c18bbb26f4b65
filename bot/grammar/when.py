"""A future day and time as people type them, in English or Chinese: pure.

`/calibrate move tomorrow 15:00`, `move next tue 10am`, `move 2026-12-01 9:30`, `move Dec 1`,
`move 明天下午3点`, `move 下周二 10:00`, `move 12月1日 9点半`. bot/grammar/dates.py reads
*past* dates for /log; this reads dates to come. dateparser reads English month names; the
weekday, relative-day and Chinese forms are our own code because dateparser has no "next
Tuesday" that means the coming week's, and does not read 下周二 or 3点半.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dateparser

from bot.grammar.amounts import cn_int

_WEEKDAYS = {"mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
             "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4,
             "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6}
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE = {"today": 0, "tonight": 0, "今天": 0, "今日": 0, "tomorrow": 1, "tmr": 1,
             "明天": 1, "明日": 1, "后天": 2, "day after tomorrow": 2}

_TIME_RE = re.compile(
    r"(?:(?P<half>上午|早上|中午|下午|晚上)\s*)?"
    r"(?:(?P<h>\d{1,2})\s*[:：]\s*(?P<m>\d{2})(?:\s*(?P<ampm1>am|pm|a\.m\.|p\.m\.))?|(?P<h2>\d{1,2}|[一二两三四五六七八九十]+)\s*"
    r"(?:(?P<ampm>am|pm|a\.m\.|p\.m\.)|[点點時时](?:\s*(?P<m2>\d{1,2}|半)\s*分?)?))",
    re.I)
_ISO_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ZH_MONTH_DAY_RE = re.compile(r"(\d{1,2})月(\d{1,2})[日号]?")
_SLASH_RE = re.compile(r"(?<![\d:])(\d{1,2})/(\d{1,2})(?![\d/])")
_EN_WEEKDAY_RE = re.compile(r"\b(?:(next|this|on)\s+)?(" + "|".join(
    sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b\.?", re.I)
_ZH_WEEKDAY_RE = re.compile(r"(下个?|本|这个?)?(?:周|星期|礼拜)([一二三四五六日天1-7])")
_RELATIVE_RE = re.compile(r"(?<![a-z])(?:" + "|".join(sorted(
    (re.escape(k) for k in _RELATIVE), key=len, reverse=True)) + r")(?![a-z])", re.I)


class WhenError(ValueError):
    """The text holds no day or time we can read, or one that is not valid."""


@dataclass(frozen=True)
class Moment:
    day: date | None
    at: time | None


def _time(match: re.Match) -> time:
    hour = int(match["h"]) if match["h"] else cn_int(match["h2"]) if not match["h2"].isdigit() \
        else int(match["h2"])
    minute = int(match["m"]) if match["m"] else 30 if match["m2"] == "半" else \
        int(match["m2"]) if match["m2"] else 0
    ampm = (match["ampm"] or match["ampm1"] or "").lower().replace(".", "")
    half = match["half"] or ""
    if hour is None or hour > 23 or minute > 59:
        raise WhenError("bad_time")
    if (ampm == "pm" or half in ("下午", "晚上")) and hour < 12:
        hour += 12
    elif (ampm == "am" or half in ("上午", "早上")) and hour == 12:
        hour = 0
    elif half == "中午" and hour < 11:
        hour += 12
    return time(hour, minute)


def _weekday_after(today: date, weekday: int, *, next_week: bool, this_week: bool) -> date:
    monday = today - timedelta(days=today.weekday())
    if next_week:
        return monday + timedelta(days=7 + weekday)
    if this_week:
        return monday + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _day(text: str, today: date) -> date | None:
    if m := _ISO_RE.search(text):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    if m := _ZH_MONTH_DAY_RE.search(text):
        return _coming(today, int(m[1]), int(m[2]))
    if m := _SLASH_RE.search(text):
        return _coming(today, int(m[1]), int(m[2]))
    if m := _ZH_WEEKDAY_RE.search(text):
        prefix = m[1] or ""
        return _weekday_after(today, _ZH_WEEKDAYS[m[2]], next_week=prefix.startswith("下"),
                              this_week=prefix.startswith(("本", "这")))
    if m := _RELATIVE_RE.search(text):
        return today + timedelta(days=_RELATIVE[m[0].lower()])
    if m := _EN_WEEKDAY_RE.search(text):
        which = (m[1] or "").lower()
        return _weekday_after(today, _WEEKDAYS[m[2].lower()], next_week=which == "next",
                              this_week=which == "this")
    rest = text.strip(" ,，")
    if not rest:
        return None
    parsed = dateparser.parse(rest, languages=["en"], settings={
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime.combine(today, time(0)),
        "REQUIRE_PARTS": ["day", "month"]})
    if parsed is None:
        raise WhenError("bad_day")
    return parsed.date()


def _valid(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise WhenError("bad_day") from exc


def _coming(today: date, month: int, day: int) -> date:
    """M/D or M月D日: this year's, or next year's once this year's is past."""
    found = _valid(today.year, month, day)
    return found if found >= today else _valid(today.year + 1, month, day)


def parse_moment(text: str, *, today: date) -> Moment:
    """The day and/or time in `text` (either may be None when not given). Raises WhenError
    ("empty", "bad_time", "bad_day") when there is nothing, or something unreadable."""
    text = " ".join(text.split())
    if not text:
        raise WhenError("empty")
    at = None
    if m := _TIME_RE.search(text):
        at = _time(m)
        text = (text[:m.start()] + " " + text[m.end():]).strip()
    day = _day(text.replace(" at ", " ").removesuffix(" at").strip(), today)
    return Moment(day, at)
