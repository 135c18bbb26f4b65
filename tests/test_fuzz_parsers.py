"""Property tests: arbitrary text at every command grammar (issue 7 §8)."""

from __future__ import annotations

from datetime import date

from bot.periods import parse_period

# ------------------------------------------------------------------------- what they found


def test_a_period_in_year_zero_is_not_a_period() -> None:
    today = date(2026, 11, 18)
    for text in ("0000", "0000-01", "0000-Q1", "0001", "9999-Q4"):
        assert parse_period(text, today) is None, text
    assert parse_period("2026-Q4", today).label == "2026-Q4"
