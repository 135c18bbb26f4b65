"""Parse the text of the ``/log`` slash command (English / Simplified Chinese).

Pure module: no I/O, no clock reads (the caller passes ``now``), no Slack, no SQL.
Grammar, in any reasonable order: ``<kind> [count] [customer] [when] [amount] [note]``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import dateparser

MAX_LEN = 500
MAX_COUNT = 100
MAX_CUSTOMER = 200  # the customer column's length


@dataclass(frozen=True)
class Kind:
    id: str
    en: tuple[str, ...]
    zh: tuple[str, ...]
    needs_amount: bool = False  # amount required; kinds without it reject amounts
    needs_customer: bool = False
    tracks_new_customer: bool = False  # accepts new/existing customer flags


DEFAULT_KINDS: tuple[Kind, ...] = (
    Kind("call", ("call", "phone"), ("电话", "打电话")),
    Kind("visit", ("visit", "meeting"), ("拜访", "上门")),
    Kind("email", ("email", "mail"), ("邮件",)),
    Kind("discovery", ("discovery", "interview"), ("需求挖掘", "访谈", "深度访谈")),
    Kind("report", ("report", "needs-report", "analysis"), ("需求分析报告", "报告")),
    Kind("demo", ("demo", "presentation"), ("演示", "方案呈现")),
    Kind("objection", ("objection",), ("异议", "异议处理")),
    Kind("followup", ("followup", "follow-up", "follow_up", "follow up"), ("回访", "跟进")),
    Kind("lead", ("lead",), ("线索",), needs_customer=True),
    Kind(
        "deal", ("deal", "won"), ("签约", "成交"),
        needs_amount=True, needs_customer=True, tracks_new_customer=True,
    ),
    Kind("payment", ("payment", "collected"), ("回款",), needs_amount=True, needs_customer=True),
    Kind("training", ("training",), ("培训",)),
    Kind("certification", ("certification", "cert"), ("认证",)),
)

# code -> params it carries, all str (plus "lang": "en" | "zh", on every error).
# kind_id is the canonical id, kind its label in the user's language; day/today/oldest are ISO.
ERROR_CODES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "too_long": ("length", "max"),
    "unbalanced_quote": ("quote",),
    "no_kind": (),
    "unknown_kind": ("word", "suggestion"),  # suggestion only when a close match exists
    "bad_date": ("word",),
    "future_date": ("word", "day", "today"),
    "too_old": ("word", "day", "oldest"),
    "bad_amount": ("word",),
    "amount_required": ("kind_id", "kind"),
    "amount_not_allowed": ("word", "kind_id", "kind"),
    "customer_required": ("kind_id", "kind"),
    "bad_count": ("word", "max"),
    "customer_too_long": ("length", "max"),
    # Two values for one field, or stray words after list/undo.
    # field: "date" | "amount" | "count" | "new_customer" | "period" | "undo"
    "ambiguous": ("word", "field"),
})


class LogParseError(ValueError):
    def __init__(self, code: str, example: str, **params: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"undocumented error code {code!r}")
        super().__init__(f"{code}: {params}")
        self.code = code
        self.example = example
        self.params = params


@dataclass(frozen=True)
class LogEntry:
    kind: str
    count: int
    customer: str | None
    day: date
    amount: Decimal | None
    new_customer: bool | None
    note: str | None
    amount_due: Decimal | None = None  # payments: what was owed ...
    due_on: date | None = None  # ... and when (for the on-time collection rate)


@dataclass(frozen=True)
class LogCommand:
    action: str  # "log" | "undo" | "list" | "help"
    entry: LogEntry | None = None
    period: str | None = None  # for list: "today" | "week" | "month"


def kind_label(kind_id: str, lang: str, kinds: Sequence[Kind] = DEFAULT_KINDS) -> str:
    for k in kinds:
        if k.id == kind_id:
            aliases = k.zh if lang == "zh" else k.en
            return aliases[0] if aliases else k.id
    return kind_id


# --------------------------------------------------------------------------- amounts

_UNITS = {
    "k": 1000, "m": 1_000_000, "b": 1_000_000_000, "bn": 1_000_000_000, "w": 10_000,
    "千": 1000, "万": 10_000, "百万": 1_000_000, "千万": 10_000_000, "亿": 100_000_000,
}
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_UNIT = r"(?:千万|百万|bn|[kmbw千万亿])"
_AMOUNT_RE = re.compile(
    rf"(?P<cur>[¥￥$]|rmb|usd)?\s*(?P<num>{_NUM})\s*(?P<unit>{_UNIT})?\s*(?P<yuan>元|块|块钱|rmb)?",
    re.I,
)
# Amount inside unspaced Chinese text ("腾讯12万"): needs a currency sign, a unit or 元.
_ZH_AMOUNT = (
    rf"[¥￥$]{_NUM}{_UNIT}?(?:元|块)?|{_NUM}{_UNIT}(?:元|块)?|{_NUM}(?:元|块)"
)
_LOOKS_LIKE_AMOUNT = re.compile(r"-?[¥￥$]?[\d.,]*\d[\d.,]*(?:[kmbw千万亿元])?", re.I)


MAX_AMOUNT = Decimal(10) ** 16  # amounts are Numeric(18, 2): 16 digits before the point


def parse_amount(token: str) -> Decimal | None:
    """``120k`` / ``1.2m`` / ``120,000`` / ``12万`` / ``¥50,000`` -> Decimal; None if not one."""
    m = _AMOUNT_RE.fullmatch(token.strip())
    if not m:
        return None
    try:
        value = Decimal(m["num"].replace(",", ""))
    except InvalidOperation:
        return None
    if m["unit"]:
        value *= _UNITS[m["unit"].lower()]
    if value == value.to_integral_value():
        value = value.to_integral_value()  # quantize() fails past 28 digits; this does not
    return value


def storable_amount(value: Decimal) -> bool:
    """More than 0, whole cents, and small enough for the amount columns."""
    return 0 < value < MAX_AMOUNT and value == value.quantize(Decimal("0.01"))


def _is_strong_amount(token: str) -> bool:
    """An amount with a marker (currency, unit, separator, decimals), not just a bare integer."""
    return parse_amount(token) is not None and not token.strip().isdecimal()


# --------------------------------------------------------------------------- dates

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_NUM = "[一二两三四五六七八九十]+"
_EN_WORD_NUMS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def cn_int(text: str) -> int | None:
    """Chinese numerals 一..九十九 (also 两) -> int."""
    if text.isdecimal():
        return int(text)
    if not text or any(c not in _CN_DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


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
_NUMERIC_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?"
_ZH_WD = "[一二三四五六日天1-7]"
_ZH_DATE = (
    r"今天|今日|昨天|昨日|大前天|前天|明天|大后天|后天"
    rf"|(?:\d{{1,3}}|{_CN_NUM})(?:天|日)前|(?:\d{{1,2}}|{_CN_NUM})个?(?:周|星期|礼拜)前"
    rf"|(?:[上下]个?|本|这个?)?(?:周|星期|礼拜){_ZH_WD}"
    r"|(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]?"
    r"|[上下]个?(?:周|星期|礼拜|月)|本周|这周|本月"  # too vague: rejected as bad_date
)
_DATE_RE = re.compile(rf"(?:on\s+)?(?:{_EN_DATE}|{_NUMERIC_DATE})|{_ZH_DATE}", re.I)

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

    zh = bool(_CJK_RE.search(p))
    if zh:
        # Own code: dateparser knows 3天前 and 昨天 but not 三天前 / 两天前 / 今日 / 昨日.
        p = p.replace("今日", "今天").replace("昨日", "昨天").replace("大后天", "3天后")
        p = re.sub(_CN_NUM, lambda mm: str(cn_int(mm[0]) or mm[0]), p)
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


# --------------------------------------------------------------------------- lexicon

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NEW_EN = {"new customer": True, "new client": True, "existing customer": False,
           "existing client": False, "repeat customer": False}
_NEW_EN_SINGLE = {"new": True, "existing": False, "repeat": False, "renewal": False}
_NEW_ZH = {"新客户": True, "新客": True,
           "老客户": False, "老客": False, "续约": False, "复购": False}
_COUNT_RE = re.compile(
    rf"[x×*](\d+)|(\d+)[x×]|(\d+|{_CN_NUM})(?:次|个|通|回|趟)|(\d+)\s*times", re.I)
_PERIODS = {
    "today": "today", "day": "today", "今天": "today", "今日": "today",
    "week": "week", "this week": "week", "本周": "week", "这周": "week", "本星期": "week",
    "这星期": "week", "month": "month", "this month": "month", "本月": "month",
    "这个月": "month", "这月": "month",
}
_ACTION_RE = re.compile(
    r"(?P<help>help|帮助|\?|？)|(?P<undo>undo|撤销|撤回)|(?P<list>list|列表)", re.I)


@dataclass(frozen=True)
class _Lexicon:
    kinds: dict[str, Kind]  # lower-cased alias (incl. plurals) -> kind
    en_aliases: tuple[str, ...]
    zh_aliases: tuple[str, ...]
    zh_prefix: re.Pattern[str]  # kind / date / count / amount / flag at the start of CJK text
    zh_suffix: re.Pattern[str]  # date / count / amount / flag at the end of CJK text


@lru_cache(maxsize=16)
def _lexicon(kinds: tuple[Kind, ...]) -> _Lexicon:
    table: dict[str, Kind] = {}
    for k in kinds:
        for alias in k.en:
            a = alias.lower()
            forms = {a, a + "s", a + "es", a[:-1] + "ies" if a.endswith("y") else a}
            for form in forms:
                table.setdefault(form, k)
        for alias in k.zh:
            table.setdefault(alias, k)
    en = tuple(a.lower() for k in kinds for a in k.en)
    zh = tuple(sorted((a for k in kinds for a in k.zh), key=len, reverse=True))
    flags = "|".join(sorted(_NEW_ZH, key=len, reverse=True))
    inner = rf"{_ZH_DATE}|{_NUMERIC_DATE}|(?:\d+|{_CN_NUM})(?:次|个|通|回|趟)|{_ZH_AMOUNT}|{flags}"
    kind_alt = "|".join(map(re.escape, zh)) or "(?!)"
    return _Lexicon(
        kinds=table,
        en_aliases=en,
        zh_aliases=zh,
        zh_prefix=re.compile(rf"(?:{inner}|{kind_alt})", re.I),
        zh_suffix=re.compile(rf"(?:{inner})$", re.I),
    )


# --------------------------------------------------------------------------- tokens

@dataclass
class _Tok:
    text: str  # raw text (quoted: the inside of the quotes)
    start: int  # span in the cleaned command text (quoted: including the quotes)
    end: int
    quoted: bool = False

    @property
    def key(self) -> str:
        return self.text.lower().rstrip(".,;:!?")


_OPEN_QUOTES = {'"': '"”', "“": '”"', "”": "”", "「": "」", "『": "』"}
_SEPARATORS = "，、；。！？"
_MARKER_RE = re.compile(r"notes?\s*[:：]|备注\s*[:：]?|--+|—+", re.I)
_MID_MARKER_RE = re.compile(r"备注\s*[:：]")
_SLACK_LINK_RE = re.compile(
    r"<(?:https?|mailto|tel):[^|>]*\|([^>]*)>|<((?:https?|mailto|tel):[^>]*)>")


def _clean(text: str) -> str:
    """Slack links -> their label; Slack's &amp; escapes -> plain text. Mentions stay as-is."""
    text = _SLACK_LINK_RE.sub(lambda m: m[1] if m[1] is not None else m[2], text)
    text = re.sub(r"([¥￥$])\s+(?=\d)", r"\1", text)  # "¥ 50,000" is one amount
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _tokenize(text: str, lang: str) -> tuple[list[_Tok], int]:
    """Split into tokens; returns tokens and where a note marker starts (len(text) if none)."""
    toks: list[_Tok] = []
    buf_start: int | None = None
    i, n = 0, len(text)

    def flush(end: int) -> None:
        nonlocal buf_start
        if buf_start is not None and end > buf_start:
            toks.append(_Tok(text[buf_start:end], buf_start, end))
        buf_start = None

    while i < n:
        ch = text[i]
        marker = (_MARKER_RE if buf_start is None else _MID_MARKER_RE).match(text, i)
        if marker:
            flush(i)
            return toks, i
        if ch in _OPEN_QUOTES:
            flush(i)
            closers = _OPEN_QUOTES[ch]
            j = next((j for j in range(i + 1, n) if text[j] in closers), -1)
            if j < 0:
                raise LogParseError("unbalanced_quote", f"/log {text}{closers[0]}",
                                    quote=ch, lang=lang)
            if inner := text[i + 1:j].strip():
                toks.append(_Tok(inner, i, j + 1, quoted=True))
            i = j + 1
            continue
        if ch.isspace() or ch in _SEPARATORS:
            flush(i)
        elif buf_start is None:
            buf_start = i
        i += 1
    flush(n)
    return toks, n


def _peel(tok: _Tok, lex: _Lexicon, allow_kind: bool) -> list[_Tok]:
    """Split unspaced Chinese like 拜访阿里巴巴昨天 into 拜访 / 阿里巴巴 / 昨天.

    Only known words are peeled off the front (kind, date, count, amount, flag) and the back
    (date, count, amount, flag); whatever stays in the middle is left whole (the customer).
    """
    front: list[_Tok] = []
    back: list[_Tok] = []
    s, start = tok.text, tok.start
    while s:
        m = lex.zh_prefix.match(s)
        if m and not allow_kind and m[0] in lex.zh_aliases:
            m = None
        if m and 0 < m.end() < len(s):
            front.append(_Tok(m[0], start, start + m.end()))
            allow_kind = allow_kind and m[0] not in lex.zh_aliases
            s, start = s[m.end():], start + m.end()
            continue
        m = lex.zh_suffix.search(s)
        if m and m.start() > 0:
            back.insert(0, _Tok(m[0], start + m.start(), start + len(s)))
            s = s[:m.start()]
            continue
        break
    return [*front, _Tok(s, start, start + len(s)), *back] if front or back else [tok]


@dataclass
class _Item:
    type: str  # "date" | "kind" | "flag" | "word" | "quoted"
    text: str  # raw text (quoted: inside of quotes)
    key: str
    start: int
    end: int
    value: object = None


def _items(toks: list[_Tok], text: str, lex: _Lexicon) -> list[_Item]:
    """Group tokens into items: multi-word dates ("last friday"), kinds, flags, single words."""
    items: list[_Item] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.quoted:
            items.append(_Item("quoted", t.text, t.key, t.start, t.end))
            i += 1
            continue
        for width in (4, 3, 2, 1):
            window = toks[i:i + width]
            if len(window) < width or any(w.quoted for w in window):
                continue
            key = " ".join(w.key for w in window)
            if _DATE_RE.fullmatch(key):
                typ, value = "date", None
            elif key in lex.kinds:
                typ, value = "kind", lex.kinds[key]
            elif key in _NEW_EN or key in _NEW_ZH:
                typ, value = "flag", _NEW_EN.get(key, _NEW_ZH.get(key))
            else:
                continue
            start, end = window[0].start, window[-1].end
            items.append(_Item(typ, text[start:end], key, start, end, value))
            i += width
            break
        else:
            items.append(_Item("word", t.text, t.key, t.start, t.end))
            i += 1
    return items


# --------------------------------------------------------------------------- parser

_FILLER_RE = re.compile(r"^(?:(?:with|at)\s+|[了和跟与]\s*)", re.I)
_PLACEHOLDER = {"en": {"customer": "Acme", "amount": "120k", "today": "today", "kind": "visit",
                       "note": "note:"},
                "zh": {"customer": "阿里巴巴", "amount": "12万", "today": "今天", "kind": "拜访",
                       "note": "备注："}}


def _one_year_before(today: date) -> date:
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # Feb 29
        return today.replace(year=today.year - 1, day=28)


def _suggest_kind(word: str, lex: _Lexicon) -> tuple[str, str] | None:
    """(suggested alias, rest of word) for a misspelled kind, via difflib."""
    if _CJK_RE.search(word):
        # Chinese aliases are 2-6 chars, so one wrong char is a low ratio; only judge a whole
        # word, or a 3+ char prefix, so a customer such as 上海电气 is not taken for 上门.
        best: tuple[float, str, int] | None = None
        for alias in lex.zh_aliases:
            n = len(alias)
            if len(word) < n or (n < 3 and len(word) != n):
                continue
            ratio = difflib.SequenceMatcher(None, word[:n], alias).ratio()
            if ratio >= 0.5 and (best is None or (ratio, n) > (best[0], best[2])):
                best = (ratio, alias, n)
        return (best[1], word[best[2]:]) if best else None
    match = difflib.get_close_matches(word.lower(), lex.en_aliases, n=1, cutoff=0.7)
    return (match[0], "") if match else None


def _has_content(item: _Item) -> bool:
    return any(c.isalnum() for c in item.text) and not item.text.startswith("<!")


def parse_log(
    text: str, *, now: datetime, tz: ZoneInfo, kinds: Sequence[Kind] = DEFAULT_KINDS
) -> LogCommand:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    raw = text or ""
    lang = "zh" if _CJK_RE.search(raw) else "en"
    ph = _PLACEHOLDER[lang]
    if len(raw) > MAX_LEN:
        raise LogParseError("too_long", f"/log {ph['kind']} {ph['customer']}",
                            length=str(len(raw)), max=str(MAX_LEN), lang=lang)
    body = _clean(raw)
    if not body:
        return LogCommand("help")
    if action := _parse_action(body, lang):
        return action

    lex = _lexicon(tuple(kinds))
    toks, marker_at = _tokenize(body, lang)
    peeled: list[_Tok] = []
    for t in toks:
        has_kind = any(p.key in lex.kinds for p in peeled)
        if not t.quoted and _CJK_RE.search(t.text) and t.key not in lex.kinds:
            peeled.extend(_peel(t, lex, allow_kind=not has_kind))
        else:
            peeled.append(t)
    items = _items(peeled, body, lex)
    parser = _Parser(body, items, marker_at, lex, now.astimezone(tz), lang)
    entry = parser.parse()
    if entry.kind == "payment" and (due := _payment_due(body, now.astimezone(tz))):
        rest, amount_due, due_on = due
        entry = parse_log(rest, now=now, tz=tz, kinds=kinds).entry or entry
        entry = replace(entry, amount_due=amount_due, due_on=due_on)
    return LogCommand("log", entry=entry)


_DUE_AMOUNT_RE = re.compile(r"(?:\bout\s+of|\bof|应收款?|应收金额)\s*(\S+)", re.I)
_DUE_DATE_RE = re.compile(
    rf"(?:\bdue(?:\s+(?:on|by))?|到期日?|应收日期?)\s*({_DATE_RE.pattern})"
    rf"|({_DATE_RE.pattern})\s*到期", re.I)


def _payment_due(body: str, now_local: datetime) -> tuple[str, Decimal | None, date | None]:
    """A payment's optional 'of 80k due Nov 30' / '应收 8万 11月30日到期' clause.

    Own code: this is our grammar, not a date library's; the due date may be in the future.
    Returns the text without the clause, the amount due and the due date, or None if absent.
    """
    amount_due = due_on = None
    rest = body
    if (m := _DUE_AMOUNT_RE.search(rest)) and (value := parse_amount(m[1])) is not None \
            and storable_amount(value):
        amount_due = value
        rest = rest[:m.start()] + rest[m.end():]
    if m := _DUE_DATE_RE.search(rest):
        phrase = m[1] or m[2]
        due_on = _resolve_due(phrase, now_local)
        if due_on is None:
            raise LogParseError("bad_date", "/log payment Acme 50k of 80k due Nov 30",
                                word=phrase, lang="zh" if _CJK_RE.search(body) else "en")
        rest = rest[:m.start()] + rest[m.end():]
    if amount_due is None and due_on is None:
        return None  # type: ignore[return-value]
    return re.sub(r"\s+", " ", rest).strip(), amount_due, due_on


def _resolve_due(phrase: str, now_local: datetime) -> date | None:
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


def _parse_action(body: str, lang: str) -> LogCommand | None:
    m = _ACTION_RE.match(body)
    if not m:
        return None
    rest = body[m.end():].strip()
    if rest and m[0].isascii() and m[0][-1].isalpha() and body[m.end()].isalnum():
        return None  # "listing", "undone": not an action word
    if m["help"]:
        return LogCommand("help")
    if m["undo"]:
        if rest and rest.lower() not in ("last", "上一条", "上条", "最后一条"):
            raise LogParseError("ambiguous", f"/log {m[0]}", word=rest, field="undo", lang=lang)
        return LogCommand("undo")
    period = _PERIODS.get(re.sub(r"\s+", " ", rest.lower())) if rest else "week"
    if period is None:
        raise LogParseError("ambiguous", f"/log {m[0]} {'本周' if lang == 'zh' else 'week'}",
                            word=rest, field="period", lang=lang)
    return LogCommand("list", period=period)


class _Parser:
    """Walks the items left to right, filling the entry's fields."""

    def __init__(self, body: str, items: list[_Item], marker_at: int, lex: _Lexicon,
                 now_local: datetime, lang: str) -> None:
        self.body, self.items, self.lex, self.lang = body, items, lex, lang
        self.tail = body[marker_at:].strip()
        self.now_local = now_local
        self.today = now_local.date()
        self.ph = _PLACEHOLDER[lang]

    def example(self, replace: Mapping[int, str] | None = None, insert_at: int | None = None,
                insert: Sequence[str] = (), drop_noise: bool = False) -> str:
        """A corrected command line built from the user's own items.

        ``replace`` maps item index -> new text ("" drops it); ``insert`` goes before item
        ``insert_at``; ``drop_noise`` leaves out emoji/punctuation-only items and <!channel>.
        """
        replace = replace or {}
        parts: list[str] = []
        for i, it in enumerate(self.items):
            if i == insert_at:
                parts.extend(insert)
            raw = replace.get(i, self.body[it.start:it.end])
            if raw and (not drop_noise or _has_content(it) or i in replace):
                parts.append(raw)
        if insert_at is not None and insert_at >= len(self.items):
            parts.extend(insert)
        if self.tail:
            parts.append(self.tail)
        return "/log " + " ".join(parts)

    def fail(self, code: str, example: str, **params: str) -> LogParseError:
        return LogParseError(code, example, lang=self.lang, **params)

    def find_kind(self) -> int:
        for i, it in enumerate(self.items):
            if it.type == "kind":
                return i
        candidates = [i for i, it in enumerate(self.items)
                      if it.type == "word" and _has_content(it) and not it.text.startswith("<")
                      and _LOOKS_LIKE_AMOUNT.fullmatch(it.key) is None
                      and _COUNT_RE.fullmatch(it.key) is None and cn_int(it.key) is None]
        kind_word = self.ph["kind"]
        if not candidates:
            if not any(_has_content(it) for it in self.items):
                example = f"/log {kind_word} {self.ph['customer']}"
            else:
                example = self.example(insert_at=0, insert=[kind_word], drop_noise=True)
            raise self.fail("no_kind", example)
        idx = candidates[0]
        word = self.items[idx].text
        suggestion = _suggest_kind(word, self.lex)
        if suggestion:
            alias, rest = suggestion
            example = self.example(replace={idx: f"{alias} {rest}".strip()}, drop_noise=True)
            raise self.fail("unknown_kind", example, word=word, suggestion=alias)
        example = self.example(insert_at=0, insert=[kind_word], drop_noise=True)
        raise self.fail("unknown_kind", example, word=word)

    def parse(self) -> LogEntry:
        items = self.items
        kind_idx = self.find_kind()
        kind: Kind = items[kind_idx].value  # type: ignore[assignment]
        label = kind_label(kind.id, self.lang, (kind,))

        amount_idx = None
        if kind.needs_amount:
            strong = [i for i, it in enumerate(items)
                      if it.type == "word" and _is_strong_amount(it.key)]
            bare = [i for i, it in enumerate(items) if it.type == "word" and it.key.isdecimal()]
            amount_idx = (strong or bare or [None])[0]

        count: int | None = None
        day: date | None = None
        amount: Decimal | None = None
        new_customer: bool | None = None
        customer_parts: list[_Item] = []
        quoted_customer: str | None = None
        run_open = False  # unquoted customer words are still being collected
        field_after_kind = False  # a date/amount/flag followed the kind: stray words are note
        notes: list[str] = []
        last_customer_idx = -1

        def duplicate(field: str, i: int) -> LogParseError:
            return self.fail("ambiguous", self.example(replace={i: ""}),
                             field=field, word=items[i].text)

        for i, it in enumerate(items):
            if i == kind_idx:
                run_open = False
                continue
            have_customer = quoted_customer is not None or bool(customer_parts)
            if it.type == "quoted":
                if have_customer:
                    notes.append(it.text)
                else:
                    quoted_customer, last_customer_idx = it.text, i
                run_open = False
                continue
            if it.type == "date":
                resolved = resolve_date(it.key, now_local=self.now_local)
                fix = self.example(replace={i: self.ph["today"]})
                if resolved is None:
                    raise self.fail("bad_date", fix, word=it.text)
                if resolved > self.today:
                    raise self.fail("future_date", fix, word=it.text, day=resolved.isoformat(),
                                    today=self.today.isoformat())
                oldest = _one_year_before(self.today)
                if resolved < oldest:
                    raise self.fail("too_old", fix, word=it.text, day=resolved.isoformat(),
                                    oldest=oldest.isoformat())
                if day is not None:
                    raise duplicate("date", i)
                day, run_open = resolved, False
                field_after_kind |= i > kind_idx
                continue
            flag = self._flag(it, kind, have_customer)
            if flag is not None:
                if new_customer is not None:
                    raise duplicate("new_customer", i)
                new_customer, run_open = flag, False
                field_after_kind |= i > kind_idx
                continue
            n = self._count(it, kind, adjacent=abs(i - kind_idx) == 1)
            if n is not None:
                if not 1 <= n <= MAX_COUNT:
                    raise self.fail("bad_count", self.example(replace={i: ""}),
                                    word=it.text, max=str(MAX_COUNT))
                if count is not None:
                    raise duplicate("count", i)
                count, run_open = n, False
                continue
            if _is_strong_amount(it.key) or i == amount_idx:
                if not kind.needs_amount:
                    raise self.fail("amount_not_allowed", self.example(replace={i: ""}),
                                    word=it.text, kind_id=kind.id, kind=label)
                if i != amount_idx:
                    raise duplicate("amount", i)
                value = parse_amount(it.key)
                if value is None or not storable_amount(value):
                    raise self.fail("bad_amount", self.example(replace={i: self.ph["amount"]}),
                                    word=it.text)
                amount, run_open = value, False
                field_after_kind |= i > kind_idx
                continue
            if (kind.needs_amount and not it.key.isdecimal()
                    and _LOOKS_LIKE_AMOUNT.fullmatch(it.key)):
                raise self.fail("bad_amount", self.example(replace={i: self.ph["amount"]}),
                                word=it.text)
            # A plain word: part of the customer, or the start of a free-text note.
            if run_open or i < kind_idx or (not have_customer and not field_after_kind):
                if quoted_customer is not None:
                    notes.append(it.text)
                else:
                    customer_parts.append(it)
                    last_customer_idx, run_open = i, True
                continue
            notes.append(self.body[it.start:items[-1].end].strip())  # verbatim
            break

        customer = quoted_customer
        if customer_parts:
            span = self.body[customer_parts[0].start:customer_parts[-1].end]
            customer = re.sub(r"\s+", " ", span).strip(" ,;:")
            customer = _FILLER_RE.sub("", customer) or customer  # "meeting with Acme"
        if self.tail:
            notes.append(_MARKER_RE.sub("", self.tail, count=1).strip())
        note = " ".join(n for n in notes if n).strip() or None

        missing_amount = kind.needs_amount and amount is None
        missing_customer = kind.needs_customer and not customer
        if missing_amount or missing_customer:
            fill = [self.ph["customer"]] if missing_customer else []
            fill += [self.ph["amount"]] if missing_amount else []
            example = self.example(insert_at=max(kind_idx, last_customer_idx) + 1, insert=fill)
            code = "amount_required" if missing_amount else "customer_required"
            raise self.fail(code, example, kind_id=kind.id, kind=label)
        if customer and len(customer) > MAX_CUSTOMER:
            kind_word = self.body[items[kind_idx].start:items[kind_idx].end]
            example = f"/log {kind_word} {self.ph['customer']} {self.ph['note']} {customer[:40]}…"
            raise self.fail("customer_too_long", example,
                            length=str(len(customer)), max=str(MAX_CUSTOMER))

        return LogEntry(
            kind=kind.id,
            count=count or 1,
            customer=customer or None,
            day=day or self.today,
            amount=amount,
            new_customer=new_customer if kind.tracks_new_customer else None,
            note=note,
        )

    def _flag(self, it: _Item, kind: Kind, have_customer: bool) -> bool | None:
        if not kind.tracks_new_customer:
            return None
        if it.type == "flag":
            return bool(it.value)
        if it.type == "word" and have_customer and it.key in _NEW_EN_SINGLE:
            return _NEW_EN_SINGLE[it.key]  # single English words only after the customer
        return None

    def _count(self, it: _Item, kind: Kind, adjacent: bool) -> int | None:
        if it.type != "word":
            return None
        if m := _COUNT_RE.fullmatch(it.key):
            return cn_int(next(g for g in m.groups() if g))
        if adjacent and not kind.needs_amount:
            if it.key.isdecimal():
                return int(it.key)
            if _CJK_RE.search(it.key):
                return cn_int(it.key)
        return None
