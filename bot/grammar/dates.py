"""The day a /log entry happened, as people type it: today, yesterday, last friday, on Nov 20,
3 days ago, 11/20, 2026-11-20, 昨天, 上周五, 三天前, 11月20日; and a payment's due date.

Pure: the caller passes the user's local `now`. Past dates for /log; bot/grammar/when.py reads
the days and times to come (/calibrate move). dateparser does the reading where it reads our
cases right; the rest is own code, each piece saying which case dateparser misses.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import dateparser

from bot.grammar.amounts import CN_NUM, cn_int
from bot.grammar.kinds import CHINESE

_WEEKDAYS_EN = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "weds": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
_WD_ANY = "|".join(sorted(_WEEKDAYS_EN, key=len, reverse=True))
# "sun", "sat", "mon" alone are too likely to be names (Sun Microsystems); need last/on/this.
_WD_BARE = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|tues?|weds?|thu(?:rs?)?|fri"
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_EN_NUM = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
_EN_DATE = (
    r"today|yesterday|(?:the\s+)?day\s+before\s+yesterday|tomorrow"
    rf"|{_EN_NUM}\s+(?:days?|weeks?)\s+ago|in\s+{_EN_NUM}\s+(?:days?|weeks?)"
    rf"|next\s+(?:{_WD_ANY}|week|month)"
    rf"|(?:last|past|this|on)\s+(?:{_WD_ANY})|{_WD_BARE}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    r"|(?:last|this|past)\s+(?:week|month)"  # too vague: rejected as bad_date
)
_VAGUE_DATE_RE = re.compile(
    r"(?:last|this|past)\s+(?:week|month)|[上下]个?(?:周|星期|礼拜|月)|本周|这周|本月")
# The date phrases the /log grammar picks out of a line (then resolve_date reads them);
# ZH_DATE and NUMERIC_DATE also peel dates off unspaced Chinese ("拜访阿里巴巴昨天").
NUMERIC_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?"
_ZH_WD = "[一二三四五六日天1-7]"
ZH_DATE = (
    r"今天|今日|昨天|昨日|大前天|前天|明天|大后天|后天"
    rf"|(?:\d{{1,3}}|{CN_NUM})(?:天|日)前|(?:\d{{1,2}}|{CN_NUM})个?(?:周|星期|礼拜)前"
    rf"|(?:[上下]个?|本|这个?)?(?:周|星期|礼拜){_ZH_WD}"
    r"|(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]?"
    r"|[上下]个?(?:周|星期|礼拜|月)|本周|这周|本月"  # too vague: rejected as bad_date
)
DATE_RE = re.compile(rf"(?:on\s+)?(?:{_EN_DATE}|{NUMERIC_DATE})|{ZH_DATE}", re.I)

_EN_WEEKDAY_RE = re.compile(rf"(?:(last|past|this|on)\s+)?({_WD_ANY})")
_ZH_WEEKDAY_RE = re.compile(rf"([上下]个?|本|这个?)?(?:周|星期|礼拜)({_ZH_WD})")
_MONTH_DAY_RE = re.compile(r"(\d{1,2})[/-](\d{1,2})|(\d{1,2})月(\d{1,2})[日号]?")
_ZH_WEEKDAY_NUM = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def _most_recent(today: date, month: int, day: int) -> date | None:
    """Most recent month/day not after today (Feb 29 goes back to the last leap year)."""
    for year in range(today.year, today.year - 8, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            if not (1 <= month <= 12 and 1 <= day <= 31):
                return None
            continue
        if candidate <= today:
            return candidate
    return None


def resolve_date(phrase: str, *, now_local: datetime) -> date | None:
    """Resolve a candidate date phrase relative to the user's local ``now``; None if invalid.

    Does not reject future or very old dates; the caller does.
    """
    today = now_local.date()
    p = re.sub(r"\s+", " ", phrase.strip().lower())
    p = p.removeprefix("on ")
    monday = today - timedelta(days=today.weekday())
    if _VAGUE_DATE_RE.fullmatch(p):
        return None  # "last week" names no day; ask rather than guess

    # Own code: dateparser never lets a bare weekday mean today, has no Mon-Sun calendar-week
    # meaning for "this friday", and does not know 上周五 / 本周三 at all.
    if m := _EN_WEEKDAY_RE.fullmatch(p):
        wd = _WEEKDAYS_EN[m[2]]
        if m[1] in ("last", "past"):
            return today - timedelta(days=(today.weekday() - wd - 1) % 7 + 1)
        if m[1] == "this":
            return monday + timedelta(days=wd)
        return today - timedelta(days=(today.weekday() - wd) % 7)
    if m := _ZH_WEEKDAY_RE.fullmatch(p):
        wd = _ZH_WEEKDAY_NUM[m[2]] if m[2] in _ZH_WEEKDAY_NUM else int(m[2]) - 1
        shift = {"上": -7, "下": 7}.get((m[1] or " ")[0], 0)
        return monday + timedelta(days=shift + wd)
    # Own code: dateparser reads "13/45" as 1945 and zh "11/17" as 2011, and fails on 11月20日.
    if m := _MONTH_DAY_RE.fullmatch(p):
        month, day = (int(m[1]), int(m[2])) if m[1] else (int(m[3]), int(m[4]))
        if month > 12 and day <= 12:  # forgiving: 20/11 is clearly day/month
            month, day = day, month
        return _most_recent(today, month, day)

    zh = bool(CHINESE.search(p))
    if zh:
        # Own code: dateparser knows 3天前 and 昨天 but not 三天前 / 两天前 / 今日 / 昨日.
        p = p.replace("今日", "今天").replace("昨日", "昨天").replace("大后天", "3天后")
        p = re.sub(CN_NUM, lambda mm: str(cn_int(mm[0]) or mm[0]), p)
        p = re.sub(r"(\d+)日前", r"\1天前", p)
        p = re.sub(r"(\d+)个?(?:星期|礼拜)前", r"\1周前", p)
    settings = {
        "RELATIVE_BASE": now_local.replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "YMD" if zh else "MDY",
    }
    parsed = dateparser.parse(p, languages=["zh" if zh else "en"], settings=settings)
    return parsed.date() if parsed else None


def resolve_due(phrase: str, now_local: datetime) -> date | None:
    """Due dates lean forward: 'Nov 30' said on Nov 20 is this year's, not last year's."""
    day = resolve_date(phrase, now_local=now_local)
    if day is None:
        return None
    if not re.search(r"\d{4}", phrase) and day < now_local.date():
        try:
            ahead = day.replace(year=day.year + 1)
        except ValueError:
            return day
        if (ahead - now_local.date()).days < 183:
            return ahead
    return day


def one_year_before(today: date) -> date:
    """The oldest day a /log may be for."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # Feb 29
        return today.replace(year=today.year - 1, day=28)
