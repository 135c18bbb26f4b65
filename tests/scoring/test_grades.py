"""Grades and monthly bonus multipliers (seed 003)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.scoring.grades import at_least, at_most, bonus_multiplier, grade
from bot.scoring.rules import Rules


@pytest.mark.parametrize(("score", "expected"), [
    (120, "S"), (95, "S"), (94.99, "A"), (85, "A"), (84.99, "B"), (70, "B"), (69.99, "C"),
    (60, "C"), (59.99, "D"), (0, "D"),
])
def test_grade_band_edges(score: float, expected: str) -> None:
    assert grade(score) == expected


def test_grade_thresholds_are_rules() -> None:
    rules = Rules.from_mapping({"grades": {"s": 90, "a": 80}})
    assert [grade(s, rules) for s in (90, 89.9, 80, 79.9)] == ["S", "A", "A", "B"]


@pytest.mark.parametrize(("letter", "multiplier"), [
    ("S", Decimal("1.2")), ("A", Decimal(1)), ("B", Decimal("0.8")), ("C", Decimal("0.6")),
    ("D", Decimal(0))])
def test_bonus_multiplier(letter: str, multiplier: Decimal) -> None:
    assert bonus_multiplier(letter) == multiplier


def test_unknown_grade() -> None:
    with pytest.raises(ValueError):
        bonus_multiplier("E")


@pytest.mark.parametrize(("letter", "floor", "expected"), [
    ("S", "A", True), ("A", "A", True), ("B", "A", False), ("D", "C", False)])
def test_at_least(letter: str, floor: str, expected: bool) -> None:
    assert at_least(letter, floor) is expected


@pytest.mark.parametrize(("letter", "ceiling", "expected"), [
    ("C", "C", True), ("D", "C", True), ("B", "C", False)])
def test_at_most(letter: str, ceiling: str, expected: bool) -> None:
    assert at_most(letter, ceiling) is expected
