"""Both catalogues carry the same keys, every template renders, and values are escaped."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import meta

from bot.i18n import LANGS, Raw, _environment, catalogue, format_day, format_money, lang_for, t
from bot.parsing import ERROR_CODES

ROOT = Path(__file__).resolve().parents[1]


def test_catalogues_have_the_same_keys() -> None:
    en, zh = set(catalogue("en")), set(catalogue("zh"))
    assert en - zh == set(), f"missing in zh: {sorted(en - zh)}"
    assert zh - en == set(), f"missing in en: {sorted(zh - en)}"


def test_every_key_used_in_code_exists() -> None:
    used = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        used |= set(re.findall(r"""\bt\(\s*\w+,\s*["']([a-z_.]+)["']""", path.read_text()))
    used |= {f"errors.{code}" for code in ERROR_CODES}
    assert used, "found no t(...) calls"
    missing = sorted(k for k in used if k not in catalogue("en"))
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_parses(lang: str) -> None:
    env = _environment()
    for source in catalogue(lang).values():
        assert isinstance(meta.find_undeclared_variables(env.parse(source)), set)


def test_values_are_escaped_the_slack_way_unless_raw() -> None:
    text = t("en", "log.undone", what=Raw("*1 visit*"), customer="<!channel> & <@U1>",
             day=Raw("Tue 17 Nov"))
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in text and "*1 visit*" in text


def test_locale_choice_and_formats() -> None:
    assert lang_for("zh-CN") == lang_for("zh-TW") == "zh"
    assert lang_for("en-GB") == lang_for(None) == lang_for("fr-FR") == "en"
    assert format_money(Decimal("120000"), "CNY") == "¥120,000"
    assert format_money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert format_money(Decimal("10"), "CHF") == "CHF 10"
    assert format_day(date(2026, 11, 20), "en") == "Fri 20 Nov"
    assert format_day(date(2026, 11, 20), "zh") == "11月20日 周五"
