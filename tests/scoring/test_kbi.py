"""KBI pace (seed 001's table) for a week or any period."""

from __future__ import annotations

from datetime import date

import pytest

from bot.scoring.facts import Period, RepFacts
from bot.scoring.kbi import kbi_pace
from bot.scoring.rules import Rules

WEEK = Period("week", date(2026, 11, 16), date(2026, 11, 22), "2026-W47")
NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
Q4 = Period("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")


def pace(facts: RepFacts, period: Period = WEEK, days: int = 5, elapsed: int = 5,
         rules: Rules | None = None) -> dict:
    kw = {"rules": rules} if rules else {}
    return {k.kbi: k for k in kbi_pace(facts, period=period, working_days=days,
                                       working_days_elapsed=elapsed, **kw)}


def test_all_five_kbis_in_order() -> None:
    assert [k.kbi for k in kbi_pace(RepFacts("U1"), period=WEEK, working_days=5,
                                    working_days_elapsed=2)] == [
        "touches", "discovery", "demo", "objections", "followups"]


@pytest.mark.parametrize(("totals", "elapsed", "done", "expected", "status"), [
    ({}, 0, 0, 0, "on_pace"),
    ({"call": 2}, 1, 2, 2, "on_pace"),
    ({"call": 1}, 1, 1, 2, "behind"),
    ({"call": 1, "visit": 1, "email": 1}, 1, 3, 2, "ahead"),
    ({"demo": 5, "report": 3}, 3, 0, 5, "behind"),  # not touch kinds
    ({"visit": 4, "call": 4}, 2, 8, 4, "ahead"),  # target met mid-week
    ({"visit": 7}, 5, 7, 8, "behind"),
    ({"email": 8}, 5, 8, 8, "ahead"),
])
def test_touches_this_week(totals: dict, elapsed: int, done: int, expected: int,
                           status: str) -> None:
    k = pace(RepFacts("U1", totals=totals), elapsed=elapsed)["touches"]
    assert (k.done, k.expected_by_now, k.target, k.status) == (done, expected, 8, status)


@pytest.mark.parametrize(("period", "days", "elapsed", "target", "expected"), [
    (NOV, 21, 10, 34, 17),  # 8 per 5 working days over 21: 33.6 -> 34
    (NOV, 20, 20, 32, 32),
    (Q4, 64, 32, 103, 52),
    (WEEK, 4, 2, 7, 4),  # a holiday week of 4 working days
])
def test_touch_target_scales_with_working_days(period: Period, days: int, elapsed: int,
                                               target: int, expected: int) -> None:
    k = pace(RepFacts("U1"), period, days, elapsed)["touches"]
    assert (k.target, k.expected_by_now) == (target, expected)


@pytest.mark.parametrize(("rounds", "done", "status"), [
    ((), 0.0, "no_data"),
    ((2,), 1.0, "on_pace"),
    ((3, 2, 5), 1.0, "on_pace"),
    ((2, 1), 0.5, "behind"),
    ((0,), 0.0, "behind"),
])
def test_discovery_rounds_before_proposal(rounds: tuple, done: float, status: str) -> None:
    k = pace(RepFacts("U1", discovery_rounds=rounds))["discovery"]
    assert (k.unit, k.done, k.status, k.denominator) == ("ratio", done, status, len(rounds))


@pytest.mark.parametrize(("deals", "with_demo", "status"), [
    (0, 0, "no_data"), (3, 3, "on_pace"), (3, 2, "behind"), (1, 0, "behind")])
def test_demo_before_every_won_deal(deals: int, with_demo: int, status: str) -> None:
    assert pace(RepFacts("U1", deals=deals, deals_with_demo=with_demo))["demo"].status == status


def test_ratio_target_is_configurable() -> None:
    rules = Rules.from_mapping({"kbi": {"demo_share": 0.6}})
    k = pace(RepFacts("U1", deals=3, deals_with_demo=2), rules=rules)["demo"]
    assert (k.target, k.status) == (0.6, "on_pace")


@pytest.mark.parametrize(("conversations", "logged", "status"), [
    (0, 0, "no_data"), (4, 4, "on_pace"), (4, 3, "behind")])
def test_objections_after_each_conversation(conversations: int, logged: int,
                                            status: str) -> None:
    facts = RepFacts("U1", conversations=conversations,
                     conversations_with_objections=logged)
    assert pace(facts)["objections"].status == status


@pytest.mark.parametrize(("period", "days", "elapsed", "signed", "followed", "target",
                          "status"), [
    (NOV, 21, 21, 5, 5, 5, "ahead"),
    (NOV, 21, 21, 5, 4, 5, "behind"),
    # Each is owed by the month's end: by the 10th of 21 working days, 2 of 6 (rounded down).
    (NOV, 21, 10, 6, 3, 6, "ahead"),
    (NOV, 21, 10, 6, 2, 6, "on_pace"),
    (NOV, 21, 10, 6, 1, 6, "behind"),
    # One customer's follow-up is not "behind" on the month's first day, only at its end.
    (NOV, 21, 1, 1, 0, 1, "on_pace"),
    (NOV, 21, 20, 1, 0, 1, "on_pace"),
    (NOV, 21, 21, 1, 0, 1, "behind"),
    # A quarter counts customer-months (store/scoring.followup_windows): two customers signed
    # before it (3 months each) and one in its first month (2) expect 8 follow-ups, not 3.
    (Q4, 64, 64, 3 + 3 + 2, 8, 8, "ahead"),
    (Q4, 64, 64, 3 + 3 + 2, 3, 8, "behind"),  # one a customer a quarter is not enough
    (Q4, 64, 32, 3 + 3 + 2, 4, 8, "on_pace"),  # half the quarter's working days: 4 by now
    (WEEK, 5, 5, 9, 3, 3, "ahead"),  # a week is 12/52 of a month: ceil(9 * 0.23) = 3
    (NOV, 21, 5, 0, 0, 0, "no_data"),
])
def test_followups_per_signed_customer(period: Period, days: int, elapsed: int, signed: int,
                                       followed: int, target: int, status: str) -> None:
    facts = RepFacts("U1", signed_customers=signed, signed_followed_up=followed)
    k = pace(facts, period, days, elapsed)["followups"]
    assert (k.target, k.status) == (target, status)


def test_equal_paces_are_one_value_and_keep_their_numbers_types(monkeypatch) -> None:  # noqa: ANN001
    from bot.scoring import kbi  # noqa: PLC0415 - its private cache

    period = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
    ann = RepFacts(user_id="U1", totals={"call": 30}, deals=2, deals_with_demo=1)
    bob = RepFacts(user_id="U2", totals={"visit": 30}, deals=2, deals_with_demo=1)
    a, b = (kbi_pace(f, period=period, working_days=20, working_days_elapsed=10)
            for f in (ann, bob))
    assert a == b and all(x is y for x, y in zip(a, b, strict=True))
    assert kbi._kept(kbi._count, "touches", 3.0, 5, 1, 2).done == 3.0
    assert type(kbi._kept(kbi._count, "touches", 3, 5, 1, 2).done) is int
    monkeypatch.setattr(kbi, "PACES_KEPT", 1)
    monkeypatch.setattr(kbi, "_PACES", {})
    assert kbi_pace(ann, period=period, working_days=20, working_days_elapsed=10) == a
    assert len(kbi._PACES) == 1
