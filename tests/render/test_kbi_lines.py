"""A KBI line says "expected … by now" only while the period still runs: a closed month's
card (all its working days passed) shows what was done against the target."""

from __future__ import annotations

from bot.render.score import kbi_lines
from bot.scoring.kbi import KbiPace


def pace(expected: float) -> KbiPace:
    return KbiPace(kbi="touches", unit="count", done=30, expected_by_now=expected, target=40,
                   status="behind", numerator=30, denominator=40)


def test_a_running_period_says_what_is_expected_by_now() -> None:
    assert "(expected 20 by now, target 40)" in kbi_lines("en", [pace(20)])[0]
    assert "目前应达 20" in kbi_lines("zh", [pace(20)])[0]


def test_a_closed_period_shows_done_against_the_target_only() -> None:
    for lang in ("en", "zh"):
        line = kbi_lines(lang, [pace(40)])[0]
        assert "by now" not in line and "目前应达" not in line
        assert "30" in line and "40" in line
