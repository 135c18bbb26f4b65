"""Texts that are only words and `{{ name }}`s are filled in by t() itself, not by Jinja
(bot/i18n.py: _plain): for every such text in every catalogue, the same words as Jinja's."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from jinja2 import UndefinedError

from bot.i18n import LANGS, Raw, _plain, _template, catalogue, t

# What callers pass: text to escape, mrkdwn to keep, numbers, nothing.
VALUES = ["Acme & <Co> *1*", Raw("<@U1> & <#C2>"), 3, Decimal("12.50"), None, True, " pad "]


def _keys() -> list[tuple[str, str]]:
    return [(lang, key) for lang in LANGS for key in sorted(catalogue(lang))]


def test_most_texts_skip_jinja() -> None:
    plain = [k for k in _keys() if _plain(*k) is not None]
    assert len(plain) > len(_keys()) / 2  # the fast path is taken at all


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_plain_texts_read_as_jinja_renders_them(value: object) -> None:
    checked = 0
    for lang, key in _keys():
        parts = _plain(lang, key)
        if parts is None:
            continue
        params = {name: value for name in parts[1::2]}
        assert (
            t(lang, key, **params) == _template(lang, key).render(**params, _lang=lang).strip()
        ), (lang, key)
        checked += 1
    assert checked


def test_jinja_syntax_and_constants_stay_with_jinja() -> None:
    for lang, key in _keys():
        source = catalogue(lang)[key]
        if "{%" in source or re.search(r"\{\{[^}]*[|(.\[]", source):  # tags, filters, calls
            assert _plain(lang, key) is None, key


def test_a_missing_parameter_still_raises() -> None:
    lang, key = next(k for k in _keys() if (_plain(*k) or ())[1::2])
    with pytest.raises(UndefinedError):
        t(lang, key)
