"""Amounts as reps type them, and the currency they name: find the amount in a /log line and
read it (120k, 1.2m, 82，225.00元, 5 thousand, twelve thousand, 三万五, 一百二十万, 壹万贰仟,
123元1角1分, $1.2m, 10$, CNY3, 3.14人民币, 42 bucks); Chinese numerals for counts (cn_int).

Pure. Libraries first: cn2an reads Chinese numerals (smart mode: the only one that reads digits
mixed with units, 12万, 100万三千, 1.5亿; strict refuses 三万五), text2num English number words,
Babel's currency list the ISO codes. Each `Own code:` says what they miss.

English number words: text2num (maintained, 2026) rather than number-parser (last release
2023): both read "twelve thousand" / "two hundred thousand" and refuse what they cannot read
whole (word2number turns "5 thousand" into 1000, silently), so the maintained one was chosen.

A currency that is not the team's comes back with its code (AmountHit.currency): the caller
records and shows it as such, never as the team's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an
from babel.numbers import list_currencies
from text_to_num import text2num

from bot.grammar.lexer import CJK, Piece, Span, fold, pieces, scan

MAX_PIECES = 20  # 六十四万零一百四十三元一角七分 is 15 pieces
MAX_AMOUNT = Decimal(10) ** 16  # amounts are Numeric(18, 2): 16 digits before the point


@dataclass(frozen=True)
class AmountHit:
    value: Decimal
    currency: str  # ISO 4217: the one the text names, else the team's
    text: str  # as typed
    start: int
    end: int
    weak: bool = False  # bare digits ("3", "54"): an amount only where the kind needs one


@dataclass(frozen=True)
class AmountRefusal:
    # not_positive | too_precise | too_big | ambiguous_number (1.200: 1.2 or 1200?) |
    # two_amounts | unreadable
    reason: str
    text: str
    start: int = 0
    end: int = 0


# --------------------------------------------------------------------------- currencies

ISO_CODES = frozenset(list_currencies())  # Babel (CLDR): every ISO 4217 code it knows

# Own table: no library maps the marks reps type (块, 美金, bucks, US$) to ISO codes, and
# Babel's symbols are per locale (¥ is JPY in en, CNY in zh), so the team's currency breaks a
# shared mark's tie: `$` in an SGD team is SGD, else its usual one (listed first).
_DOLLAR = ("USD", "CAD", "AUD", "HKD", "SGD", "NZD", "TWD")
_MARKS: dict[str, tuple[str, ...]] = {
    "$": _DOLLAR, "dollar": _DOLLAR, "dollars": _DOLLAR, "bucks": _DOLLAR, "buck": _DOLLAR,
    "us$": ("USD",), "usd": ("USD",), "美元": ("USD",), "美金": ("USD",),
    "¥": ("CNY", "JPY"), "元": ("CNY", "HKD", "TWD", "MOP"), "块": ("CNY",), "块钱": ("CNY",),
    "圆": ("CNY",), "人民币": ("CNY",), "rmb": ("CNY",), "cny": ("CNY",),
    "yuan": ("CNY",), "cn¥": ("CNY",),
    "€": ("EUR",), "eur": ("EUR",), "euro": ("EUR",), "euros": ("EUR",), "欧元": ("EUR",),
    "£": ("GBP",), "gbp": ("GBP",), "pound": ("GBP",), "pounds": ("GBP",), "英镑": ("GBP",),
    "hk$": ("HKD",), "hkd": ("HKD",), "港币": ("HKD",), "港元": ("HKD",), "s$": ("SGD",),
    "sgd": ("SGD",), "新币": ("SGD",), "新加坡元": ("SGD",), "c$": ("CAD",), "a$": ("AUD",),
    "日元": ("JPY",), "jpy": ("JPY",), "yen": ("JPY",),
    "円": ("JPY",), "台币": ("TWD",), "新台币": ("TWD",), "nt$": ("TWD",),
}
_MARK_ALT = "|".join(re.escape(m) for m in sorted(_MARKS, key=len, reverse=True))


def _is_mark(word: str) -> bool:
    """A currency mark: one of ours, or an ISO code in capitals (`500 CHF`). Own guard: in
    small letters only the codes in the table, since `all`, `try` and `top` are codes too."""
    return word.lower() in _MARKS or (word.isupper() and word.isalpha()
                                      and word in ISO_CODES)


def _currency(mark: str | None, team: str) -> str:
    if not mark:
        return team
    options = _MARKS.get(mark.lower().replace(" ", ""))
    if options is None:
        return mark.upper()  # an ISO code (checked by _is_mark)
    return team if team in options else options[0]


# --------------------------------------------------------------------------- numbers

_SCALES = {"k": 1000, "thousand": 1000, "grand": 1000, "千": 1000, "m": 10**6, "mm": 10**6,
           "mn": 10**6, "mil": 10**6, "million": 10**6, "millions": 10**6, "b": 10**9,
           "bn": 10**9, "billion": 10**9, "w": 10**4, "万": 10**4, "萬": 10**4,
           "百万": 10**6, "千万": 10**7, "亿": 10**8, "億": 10**8}
_SCALE_ALT = "|".join(sorted((re.escape(s) for s in _SCALES), key=len, reverse=True))
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"  # 1,200,000.50 / 1200000 / 3.14
_CN_CHARS = "零〇一二两三四五六七八九十百千万萬亿億壹贰貳叁參肆伍陆陸柒捌玖拾佰仟廿点"
_CN_NUM = f"[{_CN_CHARS}0-9.]+"
_EN_WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
             "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty",
             "seventy", "eighty", "ninety", "hundred", "and", "a"}
_EN_WORD_ALT = "|".join(sorted(_EN_WORDS, key=len, reverse=True))
CN_NUM = "[一二两三四五六七八九十]+"  # the numerals of a count (三次) or an hour (三点)


def _cn2an(text: str) -> Decimal | None:
    """cn2an, smart mode, with own fixes for what it refuses."""
    t = (text.replace("萬", "万").replace("億", "亿").replace("貳", "贰").replace("參", "叁")
         .replace("陸", "陆"))
    # Own code: a leading unit (千一 = 1100, 万九 = 19000): cn2an refuses it.
    if t[:1] in ("百", "千", "万", "亿", "佰", "仟"):
        t = "一" + t
    # Own code: 一点五万: cn2an reads 一点五 and 1.5万, not the two together.
    if m := re.fullmatch(rf"([{_CN_CHARS}]+?)点([零〇一二三四五六七八九]+)(万|亿)", t):
        whole, frac = _cn2an(m[1]), _cn2an(m[2])
        if whole is None or frac is None:
            return None
        return Decimal(f"{whole}.{''.join(str(_cn2an(c)) for c in m[2])}") * _SCALES[m[3]]
    try:  # it warns before it raises: filtered in bot/grammar/__init__.py
        value = cn2an.cn2an(t, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    # cn2an gives a float for 元角分 (11.11): repr() is its shortest exact decimal text.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _yuan_jiao_fen(t: str) -> Decimal | None:
    """Own code: cn2an reads 壹拾壹元壹角壹分 but not 块/毛/钱 nor digits mixed in
    (123元1角1分, 十块三毛): split into 元, 角, 分 and read each part."""
    t = t.replace("块钱", "元").replace("块", "元").replace("圆", "元").replace("毛", "角")
    t = t.removesuffix("钱").removesuffix("整")
    m = re.fullmatch(rf"({_CN_NUM})?元(?:({_CN_NUM})角)?(?:({_CN_NUM})分)?|({_CN_NUM})角"
                     rf"(?:({_CN_NUM})分)?", t)
    if not m or not any(m.groups()):
        return None
    whole = _cn2an(m[1]) if m[1] else Decimal(0)
    jiao = _cn2an(m[2] or m[4]) if (m[2] or m[4]) else Decimal(0)
    fen = _cn2an(m[3] or m[5]) if (m[3] or m[5]) else Decimal(0)
    if whole is None or jiao is None or fen is None or jiao > 9 or fen > 9:
        return None
    return whole + jiao / 10 + fen / 100


def _en_words(t: str) -> Decimal | None:
    """English number words, by text2num; own code for "a hundred" and "two point two"."""
    t = re.sub(r"^an? (?=hundred|thousand|million|billion)", "one ", re.sub(r"\s+", " ", t))
    if m := re.fullmatch(r"(.+?) point ((?:zero|one|two|three|four|five|six|seven|eight|nine)"
                         r"(?: (?:zero|one|two|three|four|five|six|seven|eight|nine))*)", t):
        whole = _en_words(m[1])
        digits = "".join(str(text2num(w, "en")) for w in m[2].split())
        return None if whole is None else Decimal(f"{whole}.{digits}")
    try:
        return Decimal(text2num(t, "en"))
    except ValueError:
        return None


# --------------------------------------------------------------------------- one phrase

_HEDGE = (r"(?:约|大约|大概|差不多|about|around|approx\.?|approximately|roughly|~|≈)\s*(.+)"
          r"|(.+?)\s*(?:左右|上下)")


@dataclass(frozen=True)
class _Read:
    value: Decimal
    mark: str | None
    weak: bool = False
    ambiguous: bool = False


def _read(phrase: str) -> _Read | None:  # noqa: C901
    p = re.sub(r"\s+", " ", fold(phrase).strip()).replace("￥", "¥")
    if m := re.fullmatch(_HEDGE, p, re.I):  # a hedge: the amount as said
        p = (m[1] or m[2]).strip()
    # Own code: "$20 and 43c" - dollars and cents in two pieces.
    if m := re.fullmatch(r"(.+?) and (\d{1,2}) ?(?:c|cents?)", p, re.I):
        r = _read(m[1])
        if r is None or r.value != r.value.to_integral_value():
            return None
        return _Read(r.value + Decimal(m[2]) / 100, r.mark)
    # One currency mark, before or after: "US$ 3.14", "10k$", "CNY3", "3.14人民币".
    mark = None
    if (m := re.fullmatch(rf"({_MARK_ALT}|[a-z]{{3}})\s?(.+)", p, re.I)) and _is_mark(m[1]):
        mark, p = m[1].lower(), m[2].strip()
    elif ((m := re.fullmatch(rf"(.+?)\s?({_MARK_ALT}|[a-z]{{3}})", p, re.I)) and _is_mark(m[2])
          and not (m[2] in ("元", "圆", "块", "块钱") and re.search(r"[角毛分]", p))):
        mark, p = m[2].lower(), m[1].strip()
    low = p.lower()
    if not low:
        return None
    if low.startswith("-") and (r := _read(low[1:])) is not None:  # read to be refused
        return _Read(-r.value, mark or r.mark)
    # Own guard: 1.200 / 1.234,56 / 99,5 are 1200, 1234.56, 99.5 in much of Europe: refused
    # as ambiguous rather than read as 1.2.
    if re.fullmatch(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d{1,2})?|\d+,\d{1,2}", low):
        return _Read(Decimal(0), mark, ambiguous=True)
    if re.search(r"[角毛分]", low) or re.search(r"[元块圆].+", low) or (
            mark is None and re.fullmatch(rf"{_CN_NUM}(?:元|块|圆|块钱)(?:整|钱)?", low)):
        v = _yuan_jiao_fen(low)
        return _Read(v, mark or "元") if v is not None else None
    # Own code: digits with a scale (120k, 1.2m, 5 thousand, 30w, 12万), exact in Decimal:
    # no library reads "5 thousand" (text2num refuses digits, word2number gives 1000).
    if m := re.fullmatch(rf"({_DIGITS}) ?({_SCALE_ALT})", low):
        return _Read(Decimal(m[1].replace(",", "")) * _SCALES[m[2]], mark)
    if re.fullmatch(_DIGITS, low):
        return _Read(Decimal(low.replace(",", "")), mark, weak=mark is None and low.isdecimal())
    if re.fullmatch(_CN_NUM, low) and CJK.search(low):
        v = _cn2an(low)
        # 三 or 十 alone is no amount (a count, or part of a name): it needs a unit or a mark.
        if v is None or (mark is None and not re.search(r"[百千万萬亿億佰仟]", low)):
            return None
        return _Read(v, mark)
    if m := re.fullmatch(rf"(.+?)(?: ({_SCALE_ALT}))?", low):
        words, scale = m[1], m[2]
        v = _en_words(words if scale else low)
        # "twelve" alone is no amount either; "twelve thousand" or "ten dollars" is.
        if v is not None and (scale or mark or re.search(r"hundred|thousand|million", low)):
            return _Read(v * _SCALES[scale] if scale else v, mark)
    return None


def _check(r: _Read, team: str, text: str, span: Span) -> AmountHit | AmountRefusal:
    start, end = span
    v = r.value
    if r.ambiguous:
        return AmountRefusal("ambiguous_number", text, start, end)
    v = v.to_integral_value() if v == v.to_integral_value() else v.normalize()
    if v <= 0:
        return AmountRefusal("not_positive", text, start, end)
    if v >= MAX_AMOUNT:
        return AmountRefusal("too_big", text, start, end)
    if v != v.quantize(Decimal("0.01")):
        return AmountRefusal("too_precise", text, start, end)
    return AmountHit(v, _currency(r.mark, team), text, start, end, r.weak)


def read_amount(phrase: str, team_currency: str) -> AmountHit | AmountRefusal | None:
    """One whole phrase; None when it is no amount."""
    try:
        r = _read(phrase)
    except InvalidOperation:
        return None
    return None if r is None else _check(r, team_currency, phrase, (0, len(phrase)))


def parse_amount(token: str) -> Decimal | None:
    """An amount typed alone (a CSV cell, a target): its value, whatever its currency, not
    judged (0 or 1.234 come back, for the caller to say what is wrong with them). A dot before
    three digits is a decimal point here: a CSV writes 1.234 for 1.234."""
    try:
        r = _read(token) if token.strip() else None
    except InvalidOperation:
        return None
    if r is not None and r.ambiguous:
        text = fold(token).strip()
        return Decimal(text) if re.fullmatch(r"\d+\.\d+", text) else None
    return r.value if r is not None else None


def storable_amount(value: Decimal) -> bool:
    """More than 0, whole cents, and small enough for the amount columns."""
    return 0 < value < MAX_AMOUNT and value == value.quantize(Decimal("0.01"))


def cn_int(text: str) -> int | None:
    """A count or an hour in digits or Chinese numerals (三, 十二, 两) -> int (cn2an)."""
    if text.isdecimal():
        return int(text)
    if not re.fullmatch(CN_NUM, text or ""):
        return None
    value = _cn2an(text)
    return int(value) if value is not None and value == int(value) else None


# --------------------------------------------------------------------------- in a line

_EN_AMOUNT_WORDS = _EN_WORDS | set(_SCALES) | {"point", "c", "cent", "cents", "about",
                                               "around", "approx", "approximately", "roughly"}
_ZH_AMOUNT_CHARS = (set(_CN_CHARS) | set("".join(k for k in _MARKS if CJK.search(k)))
                    | set("元块圆角分毛钱整约大概差不多左右上下"))
_TOKEN_OK = re.compile(rf"[~≈-]?(?:{_MARK_ALT})?\d[\d,.]*(?:{_SCALE_ALT})?(?:{_MARK_ALT}"
                       rf"|[a-z]{{3}})?|(?:{_MARK_ALT})|[a-z]{{3}}|\d+c", re.I)


def _gate(text: str) -> bool:
    """Cheap pre-check: every word could be part of an amount, and one is a number."""
    if CJK.search(text):
        return (all(c in _ZH_AMOUNT_CHARS for c in CJK.findall(text))
                and bool(re.search(rf"[\d{_CN_CHARS}]", text)))
    words = text.lower().split()
    return all(map(_en_amount_word, words)) \
        and any(re.search(r"\d", w) or w in _EN_WORDS - {"and", "a"} for w in words)


def _en_amount_word(w: str) -> bool:
    return w in _EN_AMOUNT_WORDS or w in _MARKS or bool(_TOKEN_OK.fullmatch(w))


def _may_hold_amount(ps: list[Piece]) -> Callable[[Piece], bool]:
    """Which pieces a window `_gate` passes can hold (lexer.scan's `may_hold`): in a line with
    Chinese, any but a Chinese character outside the amounts' (the gate asks nothing of the
    other words of a window with Chinese); in a line without, only amount words."""
    if any(p.kind == "cjk" for p in ps):
        return lambda p: p.kind != "cjk" or p.text in _ZH_AMOUNT_CHARS
    return lambda p: _en_amount_word(p.text.lower())


def find_amount(line: str, team_currency: str, *, skip: tuple[Span, ...] = (),
                ) -> AmountHit | AmountRefusal | None:
    """The amount of a /log line (after the kind), read; None: no amount.

    Strong amounts (a scale, a currency, a separator, decimals, 万) win over weak ones (bare
    digits: also a count or part of a name, `Studio 54`): the first strong one is the amount,
    a second one right beside it is refused, one further on is left to the note. With no
    strong amount the first weak one comes back, flagged: the caller uses it only where the
    kind needs an amount. `skip`: spans not to look into (the kind, a known customer, the date:
    `Acme Nov 20` must not give 20).
    """
    folded = fold(line)
    ps = pieces(folded, skip)

    def accept(w):  # type: ignore[no-untyped-def]
        text = folded[w.start:w.end]
        if not _gate(text) or (r := _read(text)) is None:
            return None
        if CJK.search(text) and not re.search(r"\d", text):
            # Own guard: numerals in a name (万科, 一汽, 三一重工, 百度, 五粮液). Glued to the text
            # after it, a numeral is no amount; glued to the text before it (腾讯三万五), only
            # with a unit.
            if w.glued_right and not re.search(r"[元块圆角分]$", text):
                return None
            if w.glued_left and not re.search(r"[百千万萬亿億佰仟元块圆]", text):
                return None
        elif w.glued_right and r.weak:
            return None  # the 58 of 58同城
        return r

    found = scan(ps, MAX_PIECES, accept, _may_hold_amount(ps))
    strong = [(w, r) for w, r in found if not r.weak]
    if strong:
        w, r = strong[0]
        if len(strong) > 1 and not re.search(r"[^\s,，、;；]", folded[w.end:strong[1][0].start]):
            w2 = strong[1][0]
            return AmountRefusal("two_amounts", line[w2.start:w2.end], w2.start, w2.end)
    elif found:
        w, r = found[0]
    else:
        # A number-shaped word nobody read (1,2345 / 12.3.4) must not become a customer name.
        for p in ps:
            if p.kind == "word" and re.fullmatch(r"[-~]?[$¥€£]?\d[\d.,]*\d\w*", p.text) \
                    and re.search(r"[.,]", p.text):
                return AmountRefusal("unreadable", line[p.start:p.end], p.start, p.end)
        return None
    return _check(r, team_currency, line[w.start:w.end], (w.start, w.end))
