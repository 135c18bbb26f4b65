"""Message catalogues (one TOML file per language) rendered with Jinja, and the formats of
numbers, money, dates and periods per language, from CLDR through Babel.

Every inserted value is escaped the Slack way (&, <, >) so user text can never ping or link;
values wrapped in `Raw` (mentions, dates we format ourselves) go in as they are.

Which language. A person's language is their `/pacer me lang en|zh` override, else their Slack
locale (`users.info`, e.g. en-US, en-GB, zh-CN, zh-TW): any `zh-*` reads the Chinese catalogue
(Simplified; zh-TW included, as we have no Traditional one), everything else the English one.

Which formats. Formats follow the catalogue language, not the region, so one message reads the
same to everyone who shares a language: `en` formats as CLDR's `en`, `zh` as `zh_Hans_CN`.
en-US and en-GB differ mostly in date order; we sidestep it by always naming the month
("Wed 18 Nov", "18 Nov 2026") and never printing an all-numeric date, which neither reader
can misread. ISO dates appear only where the user types them back (holidays, periods in
examples, the audit log). Clock times are 24-hour "09:30" in both languages, as teams set them.
Money is exact in both languages with the locale's symbol and grouping (en "CN¥120,000",
"$1,234.50"; zh "¥120,000", "US$1,234.50"); Chinese input like 12万 is read, but amounts are
not shown as 12万, because a confirmation must say exactly what was recorded and reports must
compare row by row. Periods get their calendar names ("November 2026" / "2026年11月",
"Q4 2026" / "2026年第4季度").
"""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.numbers import (
    NumberPattern,
    get_currency_precision,
    get_currency_symbol,
    get_plus_sign_symbol,
)
from jinja2 import Environment, StrictUndefined, Template, pass_context
from jinja2.runtime import Context

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
CATALOGUES = Path(__file__).parent / "locales"

LOCALES = {"en": "en", "zh": "zh_Hans_CN"}  # the CLDR locale behind each catalogue
# CLDR date patterns: the names (weekdays, months) come from CLDR; the order is ours, above.
DAY_PATTERNS = {"en": "EEE d MMM", "zh": "M月d日 EEE"}
DAY_YEAR_PATTERNS = {"en": "EEE d MMM y", "zh": "y年M月d日 EEE"}
DATE_PATTERNS = {"en": "d MMM y", "zh": "y年M月d日"}
PERIOD_SKELETONS = {"month": "yMMMM", "quarter": "yQQQ", "year": "y"}
CURRENCY_ALIASES = {"RMB": "CNY"}  # what Chinese teams often type; ISO 4217 says CNY
_PERIOD_LABEL = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|W(\d{2})))?$")


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


def _lang(lang: str) -> str:
    return lang if lang in LANGS else lang_for(lang)


@cache
def locale_of(lang: str) -> Locale:
    """The CLDR locale a catalogue language formats with (a Slack locale works too)."""
    return Locale.parse(LOCALES[_lang(lang)])


@cache
def _environment() -> Environment:
    env = Environment(undefined=StrictUndefined, finalize=_finalize, autoescape=False,
                      keep_trailing_newline=False)

    # Filters for templates: {{ amount | money(currency) }}, {{ n | number }}, {{ r | percent }}
    # and {{ day | day }}, in the language t() is rendering.
    def lang_filter(fn):  # noqa: ANN001, ANN202
        return pass_context(lambda ctx, value, *args: Raw(fn(value, *args, lang=_ctx_lang(ctx))))

    env.filters["money"] = lang_filter(format_money)
    env.filters["number"] = lang_filter(format_number)
    env.filters["percent"] = lang_filter(format_percent)
    env.filters["day"] = lang_filter(format_day)
    return env


def _ctx_lang(ctx: Context) -> str:
    return ctx.get("_lang") or DEFAULT_LANG


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


_NAME = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}")


@cache
def _plain(lang: str, key: str) -> tuple[str, ...] | None:
    """A text that is only words and `{{ name }}`s, split into (words, name, words, ...), which
    `t` fills in itself: Jinja's render (a context, a generator) was most of a /log
    confirmation's rendering. None for any other text (filters, ifs, loops), which Jinja
    renders. Jinja would give the same: it reads such words as they are."""
    source = catalogue(lang).get(key)
    if source is None:
        source = catalogue(DEFAULT_LANG)[key]
    parts = tuple(_NAME.split(source))
    if any(c in part for part in parts[::2] for c in ("{{", "{%", "{#", "\r")) or any(
            name.lower() in ("true", "false", "none") for name in parts[1::2]):
        return None  # Jinja's syntax, or a name Jinja reads as a constant
    return parts


def t(lang: str, key: str, /, **params: object) -> str:
    """The message `key` in `lang` (a Slack locale works too), with params escaped for Slack.

    `lang` and `key` are positional-only, so a catalogue text may name a parameter `key` or
    `lang` like any other (tests/test_i18n_params.py)."""
    lang = _lang(lang)
    parts = _plain(lang, key)
    if parts is not None and all(name in params for name in parts[1::2]):
        return "".join(part if i % 2 == 0 else str(_finalize(params[part]))
                       for i, part in enumerate(parts)).strip()
    # Anything else, and a missing parameter (StrictUndefined raises as it always did).
    return _template(lang, key).render(**params, _lang=lang).strip()


# ----------------------------------------------------------------- numbers and money

@cache
def _pattern(lang: str, kind: str, decimals: int, fixed: bool) -> NumberPattern:
    """The locale's own pattern (symbol placement, grouping) with our number of decimals."""
    loc = locale_of(lang)
    base = {"decimal": loc.decimal_formats[None], "percent": loc.percent_formats[None],
            "currency": loc.currency_formats["standard"]}[kind]
    pattern = copy.copy(base)
    pattern.frac_prec = (decimals if fixed else 0, decimals)
    return pattern


def _decimal(value: Decimal | int | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def format_number(value: Decimal | int | float | None, lang: str = DEFAULT_LANG, *,
                  decimals: int = 1, fixed: bool = False) -> str:
    """1,234 or 1,234.5: grouped, up to `decimals` places (exactly that many if `fixed`);
    '–' for no value."""
    if value is None:
        return "–"
    return _pattern(_lang(lang), "decimal", decimals, fixed).apply(_decimal(value),
                                                                 locale_of(lang))


def format_percent(ratio: Decimal | int | float | None, lang: str = DEFAULT_LANG, *,
                   decimals: int = 0, fixed: bool = False, sign: bool = False) -> str:
    """A ratio as a percentage (0.856 -> 86%); `sign` puts + before a rise."""
    if ratio is None:
        return "–"
    loc, value = locale_of(lang), _decimal(ratio)
    text = _pattern(_lang(lang), "percent", decimals, fixed).apply(value, loc)
    return get_plus_sign_symbol(loc) + text if sign and value > 0 else text


def format_money(amount: Decimal | int | float | None, currency: str = "",
                 lang: str = DEFAULT_LANG) -> str:
    """An exact amount in the locale's style: cents only when there are any."""
    if amount is None:
        return ""
    value, loc = _decimal(amount), locale_of(lang)
    whole = value == value.to_integral_value()
    code = currency.upper()
    code = CURRENCY_ALIASES.get(code, code)
    if not code:
        return format_number(value, lang, decimals=0 if whole else 2, fixed=True)
    decimals = 0 if whole else get_currency_precision(code)
    text = _pattern(_lang(lang), "currency", decimals, True).apply(
        value, loc, currency=code, currency_digits=False)
    symbol = get_currency_symbol(code, loc)
    if symbol[-1:].isalpha() and text.startswith(symbol):
        # CLDR's currency spacing ("CHF 10", not "CHF10"), which Babel does not apply.
        text = symbol + "\u00a0" + text[len(symbol):]
    return text


# ----------------------------------------------------------------- dates and periods

# Kept: Babel reads its pattern afresh on every call (~14 µs; a /log confirmation shows one
# to three days), and the days shown are few.
@lru_cache(maxsize=4096)
def format_day(day: date, lang: str = DEFAULT_LANG, *, year: bool = False) -> str:
    """A day this year or near it: 'Wed 18 Nov', '11月18日 周三'; with `year`, for a day of
    another year: 'Thu 20 Nov 2025', '2025年11月20日 周四'."""
    lang = _lang(lang)
    patterns = DAY_YEAR_PATTERNS if year else DAY_PATTERNS
    return babel_format_date(day, patterns[lang], locale=locale_of(lang))


def format_date(day: date, lang: str = DEFAULT_LANG) -> str:
    """A day with its year: '18 Nov 2026', '2026年11月18日'."""
    lang = _lang(lang)
    return babel_format_date(day, DATE_PATTERNS[lang], locale=locale_of(lang))


def format_period(label: str, lang: str = DEFAULT_LANG) -> str:
    """A reporting period's label (bot/scoring/facts.Period: '2026-W47', '2026-11', '2026-Q4',
    '2026') by name: 'week 47 of 2026', 'November 2026', 'Q4 2026', '2026' (zh: '2026年第47周',
    '2026年11月', '2026年第4季度', '2026年'). Anything else is returned as it is."""
    m = _PERIOD_LABEL.match(label)
    if m is None:
        return label
    year, month, quarter, week = m.groups()
    if week:
        return t(lang, "periods.week", year=year, week=int(week))
    if month and not 1 <= int(month) <= 12:
        return label
    kind = "month" if month else "quarter" if quarter else "year"
    first = date(int(year), int(month) if month else 3 * int(quarter or 1) - 2, 1)
    return format_skeleton(PERIOD_SKELETONS[kind], first, locale=locale_of(lang))


def format_country(code: str, lang: str = DEFAULT_LANG) -> str:
    """A country's name from its ISO code ('CN' -> 'China', '中国'); unknown codes as given."""
    return locale_of(lang).territories.get(code.upper(), code)


def team_error_text(error: Exception, lang: str) -> str:
    """A store TeamError in words (its params are shown quoted, escaped)."""
    params = {k: str(v) for k, v in getattr(error, "params", {}).items()}
    return t(lang, f"teamerr.{getattr(error, 'code', 'unknown')}", **params)
