"""Comparisons with own history, team average and best (seed 002); the quadrant (seed 004)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.scoring.compare import compare, quadrant
from bot.scoring.rules import Rules


def test_compare_with_history_average_and_best() -> None:
    c = compare({"U1": D(100), "U2": D(300), "U3": D(200)}, "U1", previous=D(80))
    assert (c.value, c.previous, c.change) == (D(100), D(80), D(20))
    assert (c.team_average, c.team_best, c.best_user_ids, c.reps) == (
        D(200), D(300), ("U2",), 3)


def test_ties_for_best_name_everyone() -> None:
    c = compare({"U2": 5, "U1": 5, "U3": 1}, "U3")
    assert c.best_user_ids == ("U1", "U2") and c.team_average == pytest.approx(11 / 3)


@pytest.mark.parametrize(("values", "user", "previous", "value", "change", "average"), [
    ({}, "U1", None, None, None, None),
    ({"U1": None, "U2": 4.0}, "U1", 3.0, None, None, 4.0),
    ({"U1": 2.0}, "U1", None, 2.0, None, 2.0),
    ({"U1": 2.0, "U2": None}, "U1", 3.0, 2.0, -1.0, 2.0),
])
def test_missing_values(values: dict, user: str, previous, value, change, average) -> None:
    c = compare(values, user, previous)
    assert (c.value, c.change, c.team_average) == (value, change, average)


@pytest.mark.parametrize(("results", "satisfaction", "name"), [
    (100, 95, "star"), (85, 80, "star"), (120, 79.9, "pusher"), (84.9, 80, "nurturer"),
    (40, 50, "struggling")])
def test_quadrant(results: float, satisfaction: float, name: str) -> None:
    q = quadrant(results, satisfaction)
    assert q is not None and q.name == name


@pytest.mark.parametrize(("results", "satisfaction"), [(None, 90), (90, None)])
def test_quadrant_needs_both(results, satisfaction) -> None:
    assert quadrant(results, satisfaction) is None


def test_quadrant_thresholds_are_rules() -> None:
    rules = Rules.from_mapping({"analysis": {"quadrant_results": 100,
                                             "quadrant_satisfaction": 60}})
    assert quadrant(90, 60, rules).name == "nurturer"  # type: ignore[union-attr]
