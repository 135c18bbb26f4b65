"""Message catalogues (one TOML file per language) rendered with Jinja.

Every inserted value is escaped the Slack way (&, <, >) so user text can never ping or link;
values wrapped in `Raw` (mentions, dates we format ourselves) go in as they are.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from jinja2 import Environment, StrictUndefined, Template

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
CATALOGUES = Path(__file__).parent / "locales"

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥",
                    "HKD": "HK$", "SGD": "S$", "TWD": "NT$", "AUD": "A$", "CAD": "C$"}
WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Raw(str):
    """Text that is already valid Slack mrkdwn (a mention, a formatted number)."""


def slack_escape(text: str) -> str:
    # Slack's escaping, not HTML's: only these three characters are control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finalize(value: object) -> object:
    if isinstance(value, Raw) or not isinstance(value, str):
        return value
    return slack_escape(value)


def lang_for(locale: str | None) -> str:
    """Slack locales look like 'zh-CN', 'zh-TW', 'en-US': pick our catalogue."""
    if locale and locale.lower().startswith("zh"):
        return "zh"
    return DEFAULT_LANG


@cache
def _environment() -> Environment:
    env = Environment(undefined=StrictUndefined, finalize=_finalize, autoescape=False,
                      keep_trailing_newline=False)
    env.filters["money"] = lambda v, cur="": Raw(format_money(v, cur))
    return env


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All of a language's files (bot/locales/<lang>/*.toml, one per feature) as one map."""
    merged: dict[str, str] = {}
    for path in sorted((CATALOGUES / lang).glob("*.toml")):
        with open(path, "rb") as f:
            entries = _flatten(tomllib.load(f))
        clash = merged.keys() & entries.keys()
        if clash:
            raise ValueError(f"{path.name} redefines {sorted(clash)}")
        merged.update(entries)
    return merged


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


@cache
def _template(lang: str, key: str) -> Template:
    source = catalogue(lang).get(key)
    if source is None:
        source = catalogue(DEFAULT_LANG)[key]  # a KeyError here is a bug a test catches
    return _environment().from_string(source)


def t(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang`, with params escaped for Slack."""
    return _template(lang if lang in LANGS else DEFAULT_LANG, key).render(**params).strip()


def format_money(amount: Decimal | int | float | None, currency: str = "") -> str:
    if amount is None:
        return ""
    value = Decimal(amount)
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), f"{currency.upper()} " if currency else "")
    return f"{symbol}{text}"


def format_day(day: date, lang: str) -> str:
    weekday = WEEKDAYS[lang if lang in WEEKDAYS else DEFAULT_LANG][day.weekday()]
    if lang == "zh":
        return f"{day.month}月{day.day}日 {weekday}"
    return f"{weekday} {day.day} {MONTHS_EN[day.month - 1]}"


def team_error_text(error: Exception, lang: str) -> str:
    """A store TeamError in words (its params are shown quoted, escaped)."""
    params = {k: str(v) for k, v in getattr(error, "params", {}).items()}
    return t(lang, f"teamerr.{getattr(error, 'code', 'unknown')}", **params)
