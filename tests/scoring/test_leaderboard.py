"""Leaderboards (competition ranking) and honours (seed 002 §二(二)2, seed 003 §二(三)3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from bot.scoring.facts import Member, Period, RepFacts
from bot.scoring.leaderboard import honours, leaderboard, rank

NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")


@pytest.mark.parametrize(("values", "expected"), [
    ({}, []),
    ({"U1": 5}, [(1, "U1")]),
    ({"U1": 5, "U2": 9, "U3": 1}, [(1, "U2"), (2, "U1"), (3, "U3")]),
    ({"U2": 9, "U1": 9, "U3": 1}, [(1, "U1"), (1, "U2"), (3, "U3")]),  # 1, 1, 3
    ({"U3": 1, "U2": 9, "U1": 5, "U4": 5}, [(1, "U2"), (2, "U1"), (2, "U4"), (4, "U3")]),
    ({"U3": 0, "U2": 0, "U1": 0}, [(1, "U1"), (1, "U2"), (1, "U3")]),
    ({"U1": -10, "U2": 20}, [(1, "U2"), (2, "U1")]),
])
def test_rank(values: dict, expected: list) -> None:
    assert [(s.rank, s.user_id) for s in rank(values)] == expected


REPS = [
    RepFacts("U1", totals={"call": 5, "visit": 3, "demo": 4}, sales_new=D(100), new_customers=2),
    RepFacts("U2", totals={"email": 8}, sales_new=D(60), sales_repeat=D(40), new_customers=1),
    RepFacts("U3", totals={"visit": 1}, sales_repeat=D(10), new_customers=2),
]


@pytest.mark.parametrize(("metric", "expected"), [
    ("sales", [(1, "U1", D(100)), (1, "U2", D(100)), (3, "U3", D(10))]),
    ("new", [(1, "U1", 2), (1, "U3", 2), (3, "U2", 1)]),
    ("touches", [(1, "U1", 8), (1, "U2", 8), (3, "U3", 1)]),  # demos are not touches
])
def test_leaderboards_from_facts(metric: str, expected: list) -> None:
    board = leaderboard(metric, REPS, period=NOV)
    assert board.metric == metric and board.period == NOV
    assert [(s.rank, s.user_id, s.value) for s in board.standings] == expected


def test_points_leaderboard() -> None:
    board = leaderboard("points", REPS, period=NOV, points={"U1": 50, "U2": 80, "U3": 50})
    assert [(s.rank, s.user_id) for s in board.standings] == [(1, "U2"), (2, "U1"), (2, "U3")]


@pytest.mark.parametrize("metric", ["points", "sales", "new", "touches"])
def test_empty_period_gives_an_empty_board(metric: str) -> None:
    assert leaderboard(metric, [], period=NOV).standings == ()


def test_unknown_metric() -> None:
    with pytest.raises(ValueError):
        leaderboard("charm", REPS, period=NOV)


def honour_map(found) -> dict:
    return {h.kind: h for h in found}


def test_honours() -> None:
    members = [Member("U1", date(2024, 1, 1)), Member("U2", date(2026, 9, 1)),
               Member("U3", date(2026, 10, 15))]
    found = honour_map(honours(
        REPS, period=NOV, members=members, scores={"U1": 99, "U2": 70, "U3": 88},
        satisfaction={"U1": 92, "U2": 95, "U3": None}))
    assert found["sales_star"].user_ids == ("U1", "U2")  # tied sales: both
    assert found["sales_star"].value == D(100)
    rookie = found["rookie_of_the_month"]
    assert (rookie.user_ids, rookie.basis, rookie.value) == (("U3",), "score", 88)
    assert found["best_service"].user_ids == ("U2",)
    assert found["satisfaction_star"].user_ids == ("U1", "U2")


@pytest.mark.parametrize(("joined", "rookie"), [
    (date(2026, 9, 2), True),  # 89 days before Nov 30
    (date(2026, 9, 1), False),  # 90 days: no longer a rookie
    (date(2026, 11, 30), True),
    (date(2026, 12, 1), False),  # not on the team yet
])
def test_rookie_is_under_90_days_on_the_last_day(joined: date, rookie: bool) -> None:
    found = honour_map(honours(REPS, period=NOV, members=[Member("U3", joined)],
                               scores={"U3": 50}))
    assert ("rookie_of_the_month" in found) is rookie


def test_rookie_falls_back_to_sales_without_scores() -> None:
    members = [Member("U2", date(2026, 10, 1)), Member("U3", date(2026, 10, 1))]
    found = honour_map(honours(REPS, period=NOV, members=members))
    assert (found["rookie_of_the_month"].user_ids, found["rookie_of_the_month"].basis) == (
        ("U2",), "sales")


def test_empty_period_gives_no_honours() -> None:
    assert honours([], period=NOV) == ()
    assert honours([RepFacts("U1")], period=NOV, satisfaction={"U1": None}) == ()


@pytest.mark.parametrize(("period", "rookie"), [
    (NOV, True),
    (Period("week", date(2026, 11, 23), date(2026, 11, 29), "2026-W48"), False),
    (Period("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"), False),
    (Period("year", date(2026, 1, 1), date(2026, 12, 31), "2026"), False),
])
def test_rookie_of_the_month_only_for_a_month(period: Period, rookie: bool) -> None:
    """Seed 002's 新人王 is the month's rookie; a quarter's rookie honour is seed 003's
    新人突破奖 (graded A in the first quarter: bot/scoring/recommend.py), not this."""
    members = [Member("U3", date(2026, 11, 2))]
    found = honour_map(honours(REPS, period=period, members=members, scores={"U3": 50}))
    assert ("rookie_of_the_month" in found) is rookie
    assert "sales_star" in found  # the other honours are not this rule's business
