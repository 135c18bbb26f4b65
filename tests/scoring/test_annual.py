"""The year end's arithmetic (bot/scoring/annual.py): pure, many cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.calendar.periods import quarter_period, year_period
from bot.scoring.annual import annual_grade, year_end
from bot.scoring.recommend import MANAGEMENT_TRAINEE, PROMOTION, GradeRecord
from bot.scoring.rules import Rules


@pytest.mark.parametrize(("grades", "expected", "mean"), [
    ("AAAA", "A", "4.00"), ("AABB", "A", "3.50"),  # half rounds up
    ("ABBB", "B", "3.25"), ("SBBB", "A", "3.50"),
    ("SSSA", "S", "4.75"), ("SSAA", "S", "4.50"), ("DDDC", "D", "1.25"), ("DDCC", "C", "1.50"),
    ("C", "C", "2.00"), ("SD", "B", "3.00"),
])
def test_the_annual_grade_is_the_quarters_mean_rounded_half_up(grades: str, expected: str,
                                                               mean: str) -> None:
    assert annual_grade(list(grades)) == (expected, Decimal(mean))


def test_no_quarters_no_annual_grade() -> None:
    with pytest.raises(ValueError):
        annual_grade([])


def _quarters(grades: str, year: int = 2026) -> list[GradeRecord]:
    return [GradeRecord(quarter_period(date(year, 3 * n, 1)), g)
            for n, g in enumerate(grades, start=1)]


def test_bonus_signal_promotion_and_the_trainee_pool() -> None:
    y2026, y2025 = year_period(date(2026, 1, 1)), year_period(date(2025, 1, 1))
    s = year_end(y2026, _quarters("SSSA"), collaboration=91.7, previous=None)
    assert (s.grade, s.bonus_signal, s.bonus_months) == ("S", "extra_month", 1)
    assert [r.kind for r in s.recommendations] == [PROMOTION]
    weak = year_end(y2026, _quarters("SSSA"), collaboration=70.0, previous=None)
    assert weak.recommendations == ()  # an S needs strong collaboration to be a candidate
    unknown = year_end(y2026, _quarters("SSSS"), collaboration=None, previous=None)
    assert unknown.recommendations == ()
    two = year_end(y2026, _quarters("AAAB"), collaboration=None,
                   previous=GradeRecord(y2025, "A"))
    assert [r.kind for r in two.recommendations] == [MANAGEMENT_TRAINEE]
    assert two.recommendations[0].periods == ("2025", "2026")
    gap = year_end(y2026, _quarters("AAAB"), collaboration=None,
                   previous=GradeRecord(year_period(date(2024, 1, 1)), "A"))
    assert gap.recommendations == ()  # not consecutive years
    d = year_end(y2026, _quarters("DDCD"), collaboration=None, previous=None)
    assert (d.grade, d.bonus_signal, d.bonus_months) == ("D", "none", 0)
    b = year_end(y2026, _quarters("BBBB"), collaboration=None, previous=None)
    assert b.bonus_signal == "standard"
    two_months = Rules.from_mapping({"recommend": {"annual_s_extra_months": 2}})
    assert year_end(y2026, _quarters("SSSS"), collaboration=None, previous=None,
                    rules=two_months).bonus_months == 2
