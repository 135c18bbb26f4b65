"""Recommendations from the grade history (seed 003 §二(三)), surfaced and never applied."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.scoring.facts import Period
from bot.scoring.recommend import GradeRecord, recommend
from bot.scoring.rules import Rules

QUARTERS = [
    Period("quarter", date(2025, 10, 1), date(2025, 12, 31), "2025-Q4"),
    Period("quarter", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
    Period("quarter", date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
    Period("quarter", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
]
YEARS = [Period("year", date(2024, 1, 1), date(2024, 12, 31), "2024"),
         Period("year", date(2025, 1, 1), date(2025, 12, 31), "2025")]


def quarters(*grades: str) -> list[GradeRecord]:
    periods = QUARTERS[len(QUARTERS) - len(grades):]
    return [GradeRecord(p, g) for p, g in zip(periods, grades, strict=True)]


def kinds(*grades: str) -> list[str]:
    return [r.kind for r in recommend(quarters(*grades))]


@pytest.mark.parametrize(("grades", "expected"), [
    (("A", "A"), ["commission_raise"]),
    (("S", "A"), ["commission_raise"]),
    (("A", "S"), ["commission_raise"]),
    (("B", "A"), []),
    (("A", "B"), []),
    (("A",), []),
    ((), []),
    (("C", "C"), ["commission_review", "pip"]),
    (("D", "C"), ["commission_review"]),  # the D's PIP was raised last quarter
    (("C", "D"), ["commission_review", "pip"]),
    (("D",), ["pip"]),
    (("B", "D"), ["pip"]),
    (("B", "C"), []),
    (("C", "B"), []),
    (("A", "A", "B"), []),  # only the newest quarter triggers
    (("C", "C", "B"), []),
    (("B", "B"), []),
])
def test_quarter_sequences(grades: tuple, expected: list) -> None:
    assert kinds(*grades) == expected


def test_commission_raise_carries_the_rates() -> None:
    (raise_,) = recommend(quarters("A", "A"))
    assert (raise_.from_rate, raise_.to_rate) == (Decimal("0.01"), Decimal("0.015"))
    assert raise_.periods == ("2026-Q2", "2026-Q3") and raise_.grades == ("A", "A")
    rules = Rules.from_mapping({"recommend": {"raised_commission_rate": "0.02"}})
    assert recommend(quarters("S", "A"), rules=rules)[0].to_rate == Decimal("0.02")


def test_pip_is_three_months() -> None:
    pip = recommend(quarters("D"))[0]
    assert (pip.kind, pip.months, pip.periods) == ("pip", 3, ("2026-Q3",))


def test_quarters_must_be_consecutive() -> None:
    gap = [GradeRecord(QUARTERS[0], "A"), GradeRecord(QUARTERS[2], "A")]
    assert recommend(gap) == ()


def test_history_order_does_not_matter() -> None:
    assert [r.kind for r in recommend(list(reversed(quarters("A", "A"))))] == [
        "commission_raise"]


@pytest.mark.parametrize(("grade", "collaboration", "promoted"), [
    ("S", 90.0, True), ("S", 80.0, True), ("S", 79.9, False), ("S", None, False),
    ("A", 100.0, False)])
def test_promotion_candidate(grade: str, collaboration: float | None, promoted: bool) -> None:
    years = [GradeRecord(YEARS[-1], grade, collaboration)]
    assert ("promotion_candidate" in [r.kind for r in recommend([], years)]) is promoted


@pytest.mark.parametrize(("grades", "pool"), [
    (("A", "A"), True), (("S", "A"), True), (("A", "S"), True), (("B", "A"), False),
    (("A",), False)])
def test_management_trainee_pool(grades: tuple, pool: bool) -> None:
    years = [GradeRecord(p, g) for p, g in zip(YEARS[-len(grades):], grades, strict=True)]
    assert ("management_trainee" in [r.kind for r in recommend([], years)]) is pool


@pytest.mark.parametrize(("joined", "grades", "honoured"), [
    (date(2026, 7, 1), ("A",), True),  # joined at the quarter's start
    (date(2026, 8, 10), ("S",), True),  # joined mid-quarter
    (date(2026, 6, 20), ("A",), True),  # joined just before it; no earlier grade
    (date(2026, 7, 1), ("B",), False),
    (date(2026, 4, 2), ("A", "A"), False),  # Q3 is their second quarter
    (date(2024, 1, 1), ("A",), False),  # a veteran
])
def test_rookie_breakthrough(joined: date, grades: tuple, honoured: bool) -> None:
    found = [r.kind for r in recommend(quarters(*grades), joined_at=joined)]
    assert ("rookie_breakthrough" in found) is honoured
