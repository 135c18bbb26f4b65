"""The day a /log entry happened, as reps type it, in English or Chinese: find the phrase in
the line, read it, and judge it (SPEC §1: never the future; at most a year back).

Pure: the caller passes an aware `now` and the rep's zone. bot/grammar/when.py reads the days
to come (/calibrate move); a payment's due date (resolve_due) may be ahead too.

Policy (issue 13): a date without a year is the latest such day not in the future (`Nov 20` on
12 Nov 2026 is 20 Nov 2025, and DateHit.show_year tells the confirmation to print the year);
a phrase naming a future day (`明日`, `7天后`, `in 2 days`, `next tuesday`, `Monday, Feb 18`
when 18 Feb is a Monday only this year) is refused, never moved back a year; a period
(`last week`, `上个月`) is refused as vague.

Libraries first: dateparser reads the day words, `N units ago` / `in N units` / `N天前`,
`last friday`, month-name dates, dates with a year and `20 of last month`; text2num and cn2an
turn number words into digits first. dateparser is only handed a phrase one of our patterns
matched whole, and its answer is checked against the numbers typed: it silently drops words
it does not know (`last month's 20th` -> a month ago). Each `Own code:` says what it misses.
The Chinese phrases are read in dates_zh.py, the calendar arithmetic both share is days.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from text_to_num import text2num

from bot.grammar.dates_zh import CHARS as ZH_CHARS
from bot.grammar.dates_zh import glue_guard, read_zh
from bot.grammar.days import (
    NO_SUCH_DAY,
    Read,
    add_months,
    dp_checked,
    dp_day,
    latest_day_of_month,
    latest_month_day,
    monday_of,
    one_year_before,
    read_numeric,
    valid,
    weekday_check,
)
from bot.grammar.lexer import CJK, Piece, Span, fold, pieces, scan

MAX_PIECES = 14  # 二〇二五年十一月二十日 is 11 CJK pieces; "the first monday of last month" 6


@dataclass(frozen=True)
class DateHit:
    day: date
    text: str  # the phrase as typed
    start: int  # its span in the line
    end: int
    show_year: bool  # the confirmation prints the year: not this year's


@dataclass(frozen=True)
class DateRefusal:
    # future | too_old | vague | weekday_mismatch | no_such_day | two_dates | name_or_date |
    # unreadable
    reason: str
    text: str
    start: int = 0
    end: int = 0
    day: date | None = None  # the day the phrase names, when it names one (for the reply)


WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "weds": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
# Own code (guard): "sun", "sat", "mon" alone are words and names (Sun Microsystems, "sat with
# the CFO") that dateparser reads as weekdays: only with "on" or a qualifier.
_SHORT_WD = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
_WD = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)"
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "fifth": 5, "5th": 5, "last": -1}
_SHIFT = {"this": 0, "current": 0, "last": -1, "past": -1, "previous": -1, "next": 1,
          "following": 1, "coming": 1}
_SHIFTS = "|".join(_SHIFT)


# --------------------------------------------------------------------------- English

_EN_UNITS = {"d": "day", "day": "day", "days": "day", "w": "week", "wk": "week", "wks": "week",
             "week": "week", "weeks": "week", "fortnight": "fortnight",
             "fortnights": "fortnight", "mo": "month", "mos": "month", "month": "month",
             "months": "month", "y": "year", "yr": "year", "yrs": "year", "year": "year",
             "years": "year"}
_UNIT = "|".join(sorted(_EN_UNITS, key=len, reverse=True))
_NUMW = (r"(?:\d{1,3}|a|an|(?:a )?couple(?: of)?|one|two|three|four|five|six|seven|eight|nine"
         r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
         r"|twenty(?:[- ]\w+)?|thirty)")
_QTY = rf"{_NUMW} ?(?:{_UNIT})"
_EN_VOCAB = set(WEEKDAYS) | set(MONTHS) | set(_EN_UNITS) | set(_ORDINALS) | set(_SHIFT) | {
    "a", "an", "the", "of", "on", "in", "after", "from", "now", "ago", "back", "before",
    "earlier", "later", "hence", "prior", "yesterday", "today", "tomorrow", "tonight", "and",
    "couple", "few", "morning", "afternoon", "evening", "night", "noon", "at", "am", "pm",
    "other", "weekend", "recently", "days", "weeks", "months", "week's", "month's", "within",
    "one", "two", "three",
    "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "thirty",
} | {w + "s" for w in WEEKDAYS}
_EN_TOKEN = re.compile(
    rf"\d{{1,4}}{_ORD}?|\d{{1,4}}(?:[-/.]\d{{1,4}}){{1,2}}|\d{{1,2}}(?::\d\d)?(?:am|pm)"
    rf"|(?:{_MON})\.?\d{{1,2}}{_ORD}?|\d+(?:{_UNIT})")
_EN_FILLER = {"a", "an", "the", "of", "on", "in", "at", "and", "one", "two", "three"}


def _en_gate(p: str) -> bool:
    """Cheap pre-check: every word is date vocabulary, and one of them carries meaning."""
    words = re.split(r"[\s,]+", p.strip(" ,"))
    return (all(map(_en_date_word, words))
            and any(w not in _EN_FILLER and not w.isdecimal() for w in words))


def _en_date_word(w: str) -> bool:
    return w in _EN_VOCAB or bool(_EN_TOKEN.fullmatch(w))


def _en_int(word: str) -> int | None:
    """`2`, `two`, `a`, `couple` -> int. Library: text2num for the words."""
    if word.isdecimal():
        return int(word)
    if word in ("a", "an"):
        return 1
    if "couple" in word:
        return 2
    try:
        return text2num(word, "en")
    except ValueError:
        return None


def _norm_qty(q: str) -> str:
    """Own code: dateparser does not know "couple" nor number words past ten; "3d" -> "3 days"."""
    q = re.sub(rf"\b({_NUMW}) ?({_UNIT})\b",
               lambda m: f"{_en_int(m[1])} {_EN_UNITS[m[2]]}s", q)
    return q


def _read_en(p: str, today: date, base: datetime, order: str) -> Read | None:  # noqa: C901
    had_on = p.startswith("on ")
    p = p.removeprefix("on ").strip(" ,")
    monday = monday_of(today)

    # Own code: a period names no day (SPEC: refused, never guessed).
    if m := re.fullmatch(rf"(?:the )?({_SHIFTS}) (week|month|year|weekend)|the other day|recently"
                         rf"|(?:a )?few (?:days|weeks|months) (?:ago|back)"
                         rf"|weekend|(?:in|last|this|next) (?:{_MON})", p):
        return Read(None, vague=True, future=bool(m[1]) and _SHIFT[m[1]] > 0)

    # A time of day after the day ("yesterday afternoon", "last friday 3pm"): /log keeps
    # the day. Own code: dateparser reads some of these, not all.
    if ((m := re.fullmatch(r"(.+?),? (?:in the |at )?(?:morning|afternoon|evening|night|noon"
                           r"|\d{1,2}(?::\d\d)? ?(?:am|pm)|\d{1,2}:\d\d)", p))
            and (r := _read_en(m[1], today, base, order)) is not None):
        return r

    # Weekday + date ("Sunday, Feb 10"): the weekday picks the year.
    if (m := re.fullmatch(rf"({_WD})\.?,? (.+)", p)) and re.search(_MON, m[2]) and (
            (r := _read_en(m[2], today, base, order)) is not None and r.day is not None):
        return weekday_check(WEEKDAYS[m[1]], r, today, bool(re.search(r"\d{4}", m[2])))

    # Own code: a weekday of a named week, "X after next", "X before last" (dateparser reads
    # none of them).
    for pat in (rf"({_WD}),? (?:of |from |in )?(?:the )?({_SHIFTS}) week",
                rf"()({_SHIFTS}) week'?s ({_WD})"):
        if m := re.fullmatch(pat, p):
            wd = WEEKDAYS[m[1] or m[3]]
            return Read(monday + timedelta(days=7 * _SHIFT[m[2]] + wd))
    if m := re.fullmatch(rf"({_WD}) (after next|before last)", p):
        wd = WEEKDAYS[m[1]]
        if m[2] == "after next":
            return Read(today + timedelta(days=(wd - today.weekday() - 1) % 7 + 8))
        return Read(today - timedelta(days=(today.weekday() - wd - 1) % 7 + 8))

    # "last/past/previous X": dateparser reads "last X" right (strictly before today), not
    # "past"/"previous", nor "weds"/"thurs". Own code: "this X" is X of this Mon-Sun week,
    # "next X" of next week (dateparser gives the nearest X ahead for both).
    if m := re.fullmatch(rf"({_SHIFTS}) ({_WD})", p):
        wd = WEEKDAYS[m[2]]
        if _SHIFT[m[1]] < 0:
            full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                    "sunday")[wd]
            return Read(dp_day(f"last {full}", "en", base))
        if m[1] == "coming":
            return Read(today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1))
        return Read(monday + timedelta(days=7 * _SHIFT[m[1]] + wd))

    # Own code: "2 thursdays ago" (dateparser reads nothing).
    if m := re.fullmatch(rf"({_NUMW}) ({_WD})s (?:ago|back|before)", p):
        if (n := _en_int(m[1])) is None:
            return None
        back = (today.weekday() - WEEKDAYS[m[2]] - 1) % 7 + 1
        return Read(today - timedelta(days=back + 7 * (n - 1)))

    # Own code: "the first monday of last month" (dateparser reads nothing).
    if m := re.fullmatch(rf"(?:the )?({'|'.join(_ORDINALS)}) ({_WD}) (?:of|in) (?:the )?"
                         rf"(?:({_SHIFTS}) month|({_MON}))", p):
        return _nth_weekday(_ORDINALS[m[1]], WEEKDAYS[m[2]], m[3], m[4], today)

    # Own code: a bare weekday is the latest one, today included (dateparser gives a week ago
    # when said on that weekday).
    if m := re.fullmatch(rf"({_WD})", p):
        if m[1] in _SHORT_WD and not had_on:
            return None
        return Read(today - timedelta(days=(today.weekday() - WEEKDAYS[m[1]]) % 7), weak=True)

    # A day of a named month: dateparser reads "20 of last month"; not "the previous month"
    # (said as "last month") nor "last month's 20th" (it drops the 20th): checked.
    if m := (re.fullmatch(rf"(?:the )?(\d{{1,2}}){_ORD}? (?:of )?(?:the )?({_SHIFTS}) month", p)
             or re.fullmatch(rf"()(?:the )?({_SHIFTS}) month'?s (\d{{1,2}}){_ORD}?", p)):
        n = int(m[1] or m[3])
        shift = {-1: "last", 0: "this", 1: "next"}[_SHIFT[m[2]]]
        day = dp_day(f"{n} of {shift} month", "en", base)
        if day is None or day.day != n:
            y, mo = add_months(today, _SHIFT[m[2]])
            return Read(valid(y, mo, n))
        return Read(day)
    # Own code: "the 20th" is the latest 20th not ahead (dateparser gives this month's even
    # when ahead); a bare "3rd" without the/on is too often something else ("3rd floor").
    if m := re.fullmatch(rf"the (\d{{1,2}}){_ORD}?|(\d{{1,2}}){_ORD}", p):
        if m[2] and not had_on:
            return None
        return Read(latest_day_of_month(today, int(m[1] or m[2])), weak=True)

    if re.fullmatch(r"(?:the )?(?:day before yesterday|yesterday|today|tomorrow|day after "
                    r"tomorrow|tonight|last night|this (?:morning|afternoon|evening)|now)", p):
        return Read(dp_day(p, "en", base))

    # N units ago / in N units: dateparser, once normalised. Own code: back/earlier/prior
    # -> ago, hence/from today -> in; a bare "3 days" is not a date (dateparser reads it as
    # 3 days ago; it is as often a duration: "3 days workshop").
    qty = rf"{_QTY}(?:,? (?:and )?{_QTY})*"
    if m := re.fullmatch(rf"({qty}) (ago|back|before|earlier|prior)", p):
        return Read(dp_day(f"{_norm_qty(m[1])} ago", "en", base, any_period=True))
    if m := re.fullmatch(rf"(?:in|after|within) ({qty})|({qty}) (later|from now|from today"
                         rf"|hence|after)", p):
        return Read(dp_day(f"in {_norm_qty(m[1] or m[2])}", "en", base, any_period=True))

    # Month-name dates, with or without a year: dateparser, checked.
    if m := re.fullmatch(rf"(?:({_MON})\.? ?(\d{{1,2}}){_ORD}?|(?:the )?(\d{{1,2}}){_ORD}? "
                         rf"(?:of )?({_MON})\.?)(?:,? (\d{{4}}))?", p):
        month, dom = MONTHS[m[1] or m[4]], int(m[2] or m[3])
        year = int(m[5]) if m[5] else None
        return dp_checked(f"{dom} {m[1] or m[4]}" + (f" {year}" if year else ""), "en", base,
                          "DMY", month, dom, year, today)
    return read_numeric(p, today, base, order)


def _nth_weekday(n: int, wd: int, shift: str | None, month_name: str | None,
                 today: date) -> Read:
    if shift is not None:
        y, mo = add_months(today, _SHIFT[shift])
    else:  # "the first monday of march": the latest March
        mo = MONTHS[month_name or ""]
        y = today.year if mo <= today.month else today.year - 1
    if n > 0:
        first = date(y, mo, 1)
        d = first + timedelta(days=(wd - first.weekday()) % 7 + 7 * (n - 1))
        return Read(d) if d.month == mo else NO_SUCH_DAY
    y2, m2 = add_months(date(y, mo, 1), 1)
    end = date(y2, m2, 1) - timedelta(days=1)
    return Read(end - timedelta(days=(end.weekday() - wd) % 7))


# --------------------------------------------------------------------------- policy and API

def _read(phrase: str, local: datetime, order: str, zh: bool) -> Read | None:
    p = re.sub(r"\s+", " ", fold(phrase).lower().replace("’", "'")).strip(" ,;.")
    if not p:
        return None
    base = local.replace(tzinfo=None, second=0, microsecond=0)
    today = local.date()
    if CJK.search(p):
        return read_zh(p, today, base)
    # Own code: zh reps write 11.20 for 20 Nov (dateparser reads 11:20); only for zh reps and
    # only standing alone, since 3.5 is a number everywhere else.
    if zh and (m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})", p)):
        return Read(latest_month_day(today, int(m[1]), int(m[2])))
    return _read_en(p, today, base, order) if _en_gate(p) else None


def _judge(r: Read, text: str, span: Span, today: date) -> DateHit | DateRefusal:
    start, end = span
    if r.name_like:
        return DateRefusal("name_or_date", text, start, end)
    if r.vague:
        return DateRefusal("future" if r.future else "vague", text, start, end)
    if r.mismatch is not None:
        return DateRefusal("weekday_mismatch", text, start, end, day=r.mismatch)
    if r.day is None:
        return DateRefusal("no_such_day", text, start, end)
    if r.day > today:
        return DateRefusal("future", text, start, end, day=r.day)
    if r.day < one_year_before(today):
        return DateRefusal("too_old", text, start, end, day=r.day)
    return DateHit(r.day, text, start, end, show_year=r.day.year != today.year)


def _order(lang: str, order: str | None) -> str:
    return order or ("YMD" if lang == "zh" else "MDY")


def read_date(phrase: str, now: datetime, tz: ZoneInfo, *, lang: str = "en",
              order: str | None = None) -> DateHit | DateRefusal | None:
    """One whole phrase, judged; None when it is no date phrase at all."""
    local = now.astimezone(tz)
    r = _read(phrase, local, _order(lang, order), lang == "zh")
    return None if r is None else _judge(r, phrase, (0, len(phrase)), local.date())


def resolve_date(phrase: str, *, now_local: datetime, lang: str = "en") -> date | None:
    """The day a whole phrase names, not judged (future and old days too); None if none."""
    r = _read(phrase, now_local, _order(lang, None), lang == "zh")
    return r.day if r is not None and not r.vague and r.mismatch is None else None


def resolve_due(phrase: str, now_local: datetime) -> date | None:
    """Due dates lean forward: 'Nov 30' said on Nov 20 is this year's, not last year's."""
    day = resolve_date(phrase, now_local=now_local)
    if day is None:
        return None
    if not re.search(r"\d{4}|年", phrase) and day < now_local.date():
        ahead = valid(day.year + 1, day.month, day.day)
        if ahead and (ahead - now_local.date()).days < 183:
            return ahead
    return day


def scan_dates(line: str, local: datetime, *, lang: str = "en", skip: tuple[Span, ...] = (),
               order: str | None = None) -> list[tuple[Span, Read]]:
    """Every date phrase in the line, leftmost-longest, read but not judged."""
    folded = fold(line)
    return _scan(folded, pieces(folded, skip), local, lang, order)


def _scan(folded: str, ps: list[Piece], local: datetime, lang: str, order: str | None,
          ) -> list[tuple[Span, Read]]:
    """scan_dates on the line's pieces, made by the caller (find_date looks at them again)."""
    order = _order(lang, order)

    def accept(w):  # type: ignore[no-untyped-def]
        text = folded[w.start:w.end]
        if (w.glued_left or w.glued_right) and re.fullmatch(r"[\d.]+", text):
            return None  # 1.5亿, 3.14人民币: a number, not zh's dotted 1.5 = 5 Jan
        r = _read(text, local, order, lang == "zh")
        if r is not None and CJK.search(text):
            return glue_guard(r, w, local.date())
        return r

    return [((w.start, w.end), r) for w, r in scan(ps, MAX_PIECES, accept, _may_hold_date)]


def _may_hold_date(piece: Piece) -> bool:
    """Whether a date phrase `_read` reads can hold this piece: each of its characters is one
    of zh's date phrases (`read_zh`), or each of its words is English date vocabulary (the
    gate of `_read_en`). Asked once a piece, where `_read` was asked of every window (9 a
    line, the line's costliest part)."""
    text = piece.text.lower().replace("’", "'")
    return (all(c in ZH_CHARS for c in text)
            or all(_en_date_word(w) for w in text.split(",") if w))


# A word only a date phrase has: left over unread, it is refused rather than let into the
# customer's name or the note ("a few days back", "2 days hence", 三天以前).
_DATE_ONLY_WORD = re.compile(r"\b(?:ago|yesterday|tomorrow|from now|(?:days?|weeks?|months?"
                             r"|years?) (?:back|before|earlier|later|hence))\b"
                             r"|昨天|昨日|明天|明日|后天|前天|天前|天后|周前|周后|月前|月后|年前|年后",
                             re.I)


def find_date(line: str, now: datetime, tz: ZoneInfo, *, lang: str = "en",
              skip: tuple[Span, ...] = (), order: str | None = None,
              ) -> DateHit | DateRefusal | None:
    """The one date phrase of a /log line (after the kind), read and judged; None: no date.

    `skip`: spans not to look into (the kind, a known customer's name: 明日科技 or Friday
    Motors are then never dates). Quoted text is never looked into. `lang` is the rep's: it
    sets the order of 3/4 (en: MDY unless `order` says DMY) and allows zh's dotted 11.20.
    Two phrases side by side are refused (`two_dates`); a later one after other words is
    part of the note ("yesterday, follow up next week").
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(tz)
    folded = fold(line)
    ps = pieces(folded, skip)
    found = _scan(folded, ps, local, lang, order)
    real = [f for f in found if not f[1].name_like]
    found = real or found  # 今日头条 昨天: 昨天 is the date, 今日头条 a name
    if not found:  # a date word left unread? (quoted text and `skip` spans blanked out)
        rest = list(line)
        for p in ps:
            if p.kind == "quote":
                rest[p.start:p.end] = " " * (p.end - p.start)
        if m := _DATE_ONLY_WORD.search("".join(rest)):
            return DateRefusal("unreadable", m[0], m.start(), m.end())
        return None
    (start, end), r = found[0]
    if len(found) > 1 and not re.search(r"[^\s,，、;；]", line[end:found[1][0][0]]):
        return DateRefusal("two_dates", line[start:found[1][0][1]], start, found[1][0][1])
    return _judge(r, line[start:end], (start, end), local.date())
