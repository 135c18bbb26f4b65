"""Property tests: arbitrary text at every command grammar (issue 7 §8)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.parsing import LogParseError, parse_log
from bot.periods import parse_period
from handlers import target as target_handler

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)

# ------------------------------------------------------------------------- what they found


def test_a_period_in_year_zero_is_not_a_period() -> None:
    today = date(2026, 11, 18)
    for text in ("0000", "0000-01", "0000-Q1", "0001", "9999-Q4"):
        assert parse_period(text, today) is None, text
    assert parse_period("2026-Q4", today).label == "2026-Q4"


def test_an_amount_too_large_to_store_is_refused_not_a_crash() -> None:
    with pytest.raises(LogParseError) as info:
        parse_log("deal Acme 9999999999999999999999999999999999999999亿", now=NOW, tz=UTC)
    assert info.value.code == "bad_amount"
    with pytest.raises(LogParseError) as info:
        parse_log("deal Acme 99999999999999999", now=NOW, tz=UTC)  # 10^17: over Numeric(18, 2)
    assert info.value.code == "bad_amount"
    with pytest.raises(target_handler.Usage):
        target_handler._value("sales", "9999999999999999999999999999999999999999亿")
    with pytest.raises(target_handler.Usage):
        target_handler._value("sales", "1000000亿")  # 10^14: over Numeric(18, 4)


def test_an_amount_below_a_cent_is_refused_not_stored_as_zero() -> None:
    with pytest.raises(LogParseError) as info:
        parse_log("deal Acme 0.001", now=NOW, tz=UTC)
    assert info.value.code == "bad_amount"
    assert parse_log("deal Acme 0.5k", now=NOW, tz=UTC).entry.amount == 500


def test_a_customer_name_longer_than_its_column_is_refused() -> None:
    with pytest.raises(LogParseError) as info:
        parse_log("call " + "a" * 250, now=NOW, tz=UTC)
    assert info.value.code == "customer_too_long"
    assert info.value.params["length"] == "250"
    assert info.value.example.startswith("/log call Acme note: aaaa")


def test_a_superscript_digit_is_a_word_not_a_crash() -> None:
    # "²".isdigit() is True but int("²") fails: counts, amounts and ids use isdecimal().
    assert parse_log("call ²", now=NOW, tz=UTC).entry.customer == "²"
    assert parse_log("电话 ²", now=NOW, tz=UTC).entry.count == 1
    assert parse_log("visit ٣ yesterday", now=NOW, tz=UTC).entry.count == 3  # Arabic-Indic 3
