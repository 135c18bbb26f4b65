"""Targets (seed 001 §一2): rolling forecast, manual override, pro-rating, the ±15% band."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from bot.scoring.facts import Member, Period, Target
from bot.scoring.rules import Rules
from bot.scoring.targets import (
    attainment,
    forecast,
    history_span,
    prorate,
    sensible,
    target_for,
)

NOV = Period("month", date(2026, 11, 1), date(2026, 11, 30), "2026-11")
Q4 = Period("quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
YEAR = Period("year", date(2026, 1, 1), date(2026, 12, 31), "2026")
WEEK = Period("week", date(2026, 11, 16), date(2026, 11, 22), "2026-W47")
TWELVE = tuple(D(x) for x in (100, 120, 80, 100, 90, 110, 100, 100, 95, 105, 100, 100))


@pytest.mark.parametrize(("history", "period", "expected"), [
    (TWELVE, NOV, D("100.00")),
    (TWELVE, Q4, D("300.00")),
    (TWELVE, YEAR, D("1200.00")),
    (TWELVE, WEEK, D("23.08")),  # 100 * 12 / 52
    ((D(1000),) * 6 + TWELVE, Q4, D("300.00")),  # only the trailing 12 months count
    ((D(50), D(60), D(70), D(80), D(90)), NOV, D("70.00")),  # 5 months: use what exists
    ((D(50), D(60), D(70), D(80), D(90)), Q4, D("210.00")),
    ((D(10), D(11)), Q4, D("31.50")),
    ((), NOV, None),  # no history, no target
    ((), Q4, None),
])
def test_forecast(history: tuple, period: Period, expected: D | None) -> None:
    assert forecast(history, period) == expected


@pytest.mark.parametrize(("history", "period", "expected"), [
    ((D("0.9"), D("0.8"), D("1.0")), Q4, D("0.9000")),  # a rate is averaged, not multiplied
    ((D("0.95"),) * 12, YEAR, D("0.9500")),
    ((), Q4, None),
])
def test_forecast_of_a_rate(history: tuple, period: Period, expected: D | None) -> None:
    assert forecast(history, period, rate=True) == expected


@pytest.mark.parametrize(("joined", "period", "expected"), [
    (date(2026, 1, 1), NOV, D("100.00")),
    (date(2026, 11, 1), NOV, D("100.00")),
    (date(2026, 11, 16), NOV, D("50.00")),  # 15 of 30 days
    (date(2026, 11, 30), NOV, D("3.33")),
    (date(2026, 12, 1), NOV, D("0.00")),
    (date(2026, 11, 16), Q4, D("50.00")),  # 46 of 92 days
])
def test_prorate(joined: date, period: Period, expected: D) -> None:
    assert prorate(D(100), period=period, joined_at=joined) == expected


def test_target_from_forecast() -> None:
    member = Member("U1", date(2025, 1, 1), {"sales": TWELVE})
    t = target_for("sales", member=member, period=Q4)
    assert t == Target("sales", D("300.00"), "forecast", "")


def test_manual_target_overrides_the_forecast() -> None:
    member = Member("U1", date(2026, 11, 16), {"sales": TWELVE})
    manual = Target("sales", D("500"), "manual", "new product launch")
    assert target_for("sales", member=member, period=Q4, manual=manual) is manual


def test_member_who_joined_mid_month_gets_a_pro_rated_target() -> None:
    member = Member("U1", date(2026, 11, 16), {"sales": (D(100), D(100), D(100))})
    t = target_for("sales", member=member, period=NOV)
    assert t is not None
    assert (t.value, t.source, t.prorated) == (D("50"), "forecast", (15, 30))


def test_new_member_without_history_uses_the_fallback_pro_rated() -> None:
    member = Member("U1", date(2026, 11, 16))
    assert target_for("sales", member=member, period=NOV) is None
    t = target_for("sales", member=member, period=NOV, fallback_history=(D(300),) * 12)
    assert t is not None and t.value == D("150.00")


def test_rates_are_not_pro_rated() -> None:
    member = Member("U1", date(2026, 11, 16), {"collection_rate": (D("0.8"), D("1"), D("0.9"))})
    t = target_for("collection_rate", member=member, period=NOV)
    assert t is not None and t.value == D("0.90") and t.reason == ""


def test_history_months_is_a_rule() -> None:
    rules = Rules.from_mapping({"targets": {"history_months": 3}})
    member = Member("U1", date(2020, 1, 1), {"sales": (D(1000), D(10), D(20), D(30))})
    t = target_for("sales", member=member, period=NOV, rules=rules)
    assert t is not None and t.value == D("20")


ZERO = D(0)
ONE_MONTH = {"sales": (ZERO,) * 11 + (D(200000),), "new_customers": (ZERO,) * 11 + (D(1),),
             "touches": (ZERO,) * 11 + (D(1),)}


@pytest.mark.parametrize("metric", ["sales", "new_customers", "touches"])
def test_one_month_of_history_is_no_forecast(metric: str) -> None:
    """Issue 12: a forecast from one month of history read "Customer touches: 0 / 0.1",
    "New customers: 0 / 0", "Sales: ¥0 / ¥15,384.62". Under three months: no forecast."""
    member = Member("U1", date(2026, 1, 1), ONE_MONTH)
    assert target_for(metric, member=member, period=NOV) is None
    assert target_for(metric, member=member, period=Q4) is None


def test_three_months_of_history_forecast_from_those_months_rounded() -> None:
    history = {"sales": (ZERO,) * 9 + (D(10000), D(20000), D("16153.85")),
               "new_customers": (ZERO,) * 9 + (D(1), D(0), D(0)),
               "touches": (ZERO,) * 9 + (D(30), D(31), D(31))}
    member = Member("U1", date(2026, 1, 1), history)
    assert history_span(history) == 3
    # The average of the three months, not of twelve with nine leading zeros, rounded.
    assert target_for("sales", member=member, period=NOV).value == D("15400")
    assert target_for("sales", member=member, period=Q4).value == D("46200")
    assert target_for("touches", member=member, period=NOV).value == D("31")
    assert target_for("new_customers", member=member, period=Q4).value == D("1")
    # A third of a customer a month rounds to none: no target, never "0 / 0".
    assert target_for("new_customers", member=member, period=NOV) is None


@pytest.mark.parametrize(("metric", "value", "expected"), [
    ("sales", D("15384.62"), D("15400")), ("sales", D("368852.46"), D("369000")),
    ("sales", D("7.4"), D("7")), ("sales", D("0.004"), None),
    ("new_customers", D("0.1"), None), ("new_customers", D("2.5"), D("3")),
    ("touches", D("0.4"), None), ("collection_rate", D("0.9349"), D("0.93")),
    ("sales", D(0), None),
])
def test_sensible(metric: str, value: D, expected: D | None) -> None:
    assert sensible(metric, value) == expected


def target(value: str | int) -> Target:
    return Target("sales", D(value))


@pytest.mark.parametrize(("actual", "band", "extra"), [
    ("0", "below", False),
    ("84.99", "below", False),
    ("85", "on_target", False),  # the band's lower edge is on target
    ("85.00", "on_target", False),
    ("100", "on_target", False),
    ("115", "on_target", False),  # ... and so is the upper edge
    ("115.01", "above", True),
    ("200", "above", True),
])
def test_band_edges(actual: str, band: str, extra: bool) -> None:
    a = attainment("sales", D(actual), target(100))
    assert (a.band, a.extra_reward, a.ratio) == (band, extra, D(actual) / 100)


@pytest.mark.parametrize(("actual", "value", "band"), [
    ("255000", "300000", "on_target"),  # exactly 85% of a large target
    ("254999.99", "300000", "below"),
    ("345000", "300000", "on_target"),  # exactly 115%
    ("345000.01", "300000", "above"),
    ("0.85", "1", "on_target"),
    ("2", "3", "below"),  # 66.7%
])
def test_band_edges_exact_for_any_target(actual: str, value: str, band: str) -> None:
    assert attainment("sales", D(actual), target(value)).band == band


@pytest.mark.parametrize("t", [None, target(0), target(-5)])
def test_no_target(t: Target | None) -> None:
    a = attainment("sales", D(10), t)
    assert (a.band, a.ratio, a.extra_reward, a.percent) == ("no_target", None, False, None)


def test_percent_for_display() -> None:
    assert attainment("sales", D(2), target(3)).percent == D("66.67")


def test_band_is_a_rule() -> None:
    rules = Rules.from_mapping({"targets": {"band_low": "0.9", "band_high": "1.1"}})
    assert attainment("sales", D(88), target(100), rules).band == "below"
    assert attainment("sales", D(111), target(100), rules).band == "above"
