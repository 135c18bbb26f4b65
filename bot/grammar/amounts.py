"""Numbers as people type them: amounts (120k, 1.2m, 120,000, 12万, ¥50,000) and Chinese
numerals (三, 十二, 两). Pure: text in, Decimal or int out.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

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
ZH_AMOUNT = (
    rf"[¥￥$]{_NUM}{_UNIT}?(?:元|块)?|{_NUM}{_UNIT}(?:元|块)?|{_NUM}(?:元|块)"
)
# Anything that looks like it meant to be an amount (to refuse it rather than call it a name).
LOOKS_LIKE_AMOUNT = re.compile(r"-?[¥￥$]?[\d.,]*\d[\d.,]*(?:[kmbw千万亿元])?", re.I)

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


def is_strong_amount(token: str) -> bool:
    """An amount with a marker (currency, unit, separator, decimals), not just a bare integer."""
    return parse_amount(token) is not None and not token.strip().isdecimal()


# Own code, until cn2an: counts (三次), relative days (三天前) and hours (三点) need only 1-99.
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
CN_NUM = "[一二两三四五六七八九十]+"


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

