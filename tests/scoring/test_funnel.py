"""Funnel conversion per stage with the bottleneck named (seed 002 §二(三)3)."""

from __future__ import annotations

import pytest

from bot.scoring.facts import FunnelLead
from bot.scoring.funnel import funnel


def lead(i: int, *stages: str, owner: str = "U1") -> FunnelLead:
    return FunnelLead(i, owner, frozenset(stages))


def test_funnel_counts_and_weakest_stage() -> None:
    leads = [lead(1, "lead"), lead(2, "lead", "contacted"),
             lead(3, "lead", "contacted", "discovery"),
             lead(4, "lead", "contacted", "discovery", "demo", "proposal"),
             lead(5, "lead", "contacted", "discovery", "demo", "proposal", "negotiation", "won")]
    f = funnel(leads)
    assert [(s.stage, s.count) for s in f.stages] == [
        ("lead", 5), ("contacted", 4), ("discovery", 3), ("demo", 2), ("proposal", 2),
        ("negotiation", 1), ("won", 1)]
    assert [s.conversion for s in f.stages] == [None, 0.8, 0.75, 2 / 3, 1.0, 0.5, 1.0]
    assert f.weakest == "negotiation" and f.overall == 0.2


def test_skipped_stages_count_as_passed() -> None:
    f = funnel([lead(1, "lead", "demo"), lead(2, "won")])
    assert [s.count for s in f.stages] == [2, 2, 2, 2, 1, 1, 1]


def test_lost_is_not_a_stage_and_ties_name_the_earlier_stage() -> None:
    f = funnel([lead(1, "lead", "contacted", "lost"), lead(2, "lead")])
    assert [s.count for s in f.stages][:3] == [2, 1, 0]
    assert f.weakest == "discovery"  # 0% into discovery; later stages have nothing to convert


def test_owner_filter() -> None:
    f = funnel([lead(1, "won", owner="U1"), lead(2, "lead", owner="U2")], owner="U2")
    assert f.stages[0].count == 1 and f.overall == 0.0


@pytest.mark.parametrize("leads", [[], [lead(1, "lead", owner="U9")]])
def test_empty_funnel(leads: list) -> None:
    f = funnel(leads, owner="U1")
    assert f.weakest is None and f.overall is None
    assert all(s.count == 0 for s in f.stages)


def test_equal_conversions_name_the_first() -> None:
    leads = [lead(1, "lead"), lead(2, "lead"), lead(3, "contacted"), lead(4, "won")]
    f = funnel(leads)
    assert [s.conversion for s in f.stages][1:3] == [0.5, 0.5]
    assert f.weakest == "contacted"
