"""The /log confirmation's texts kept once made (bot/render/log.py): each is what making it
afresh gives, whatever the type of a value that prints differently (2 and 2.0, 5 and 5.00)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.i18n import Raw, format_day, format_money, t
from bot.render import log as render


def test_kept_texts_are_made_afresh_for_values_equal_but_printed_differently() -> None:
    for lang in ("en", "zh"):
        for done in (2, 2.0, 2.5):
            assert render._points(lang, "Today", "This week", 3, done, 5, "ahead") == t(
                lang, "log.points", day=Raw("Today"), week_label=Raw("This week"), points=3,
                touches=done, target=5, status=Raw(t(lang, "status.ahead")))
        assert render._points(lang, "Today", "This week", 3, 2, 5, "ahead") != render._points(
            lang, "Today", "This week", 3, 2.0, 5, "ahead")
        for amount in ("5", "5.00", "5.5", "1234.56", "0"):
            assert render._money(amount, "CNY", lang) == format_money(Decimal(amount), "CNY",
                                                                      lang)
            assert render._money(amount, "", lang) == format_money(Decimal(amount), "", lang)
        for year in (False, True):
            assert render._day(date(2026, 11, 18), lang, year) == format_day(
                date(2026, 11, 18), lang, year=year)
        assert render._what(lang, "visit", 1) == render.what(lang, "visit", 1)


def test_the_headline_kept_without_its_customer_is_t_with_it() -> None:
    for lang in ("en", "zh"):
        for customer in ("Acme Corp", "Smith & Sons <b>", " spaced ", "", None,
                         Raw("<@U1>"), "a\x00b"):
            for new in (True, False, None):
                fields = {"what": Raw("2 visits"), "customer": customer,
                          "day": Raw("Wed 18 Nov"), "amount": Raw("CN¥120,000"),
                          "new_customer": new, "amount_due": "", "due": "",
                          "no_objections": new is None}
                assert render._saved(lang, fields) == t(lang, "log.saved", **fields)
    for new in (True, 1, False, 0):  # kept apart by type: each as t makes it
        one = dict(fields, customer="Acme", new_customer=new)
        assert render._saved("en", one) == t("en", "log.saved", **one)
