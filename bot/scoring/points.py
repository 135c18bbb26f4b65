"""Behaviour points and weekly pace from per-day counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.scoring.rules import DEFAULT_RULES, Rules


def day_points(counts: Mapping[str, int], rules: Rules = DEFAULT_RULES) -> int:
    """Points one day earns from its logs by kind (idle-lead deductions are counted apart)."""
    points = counts.get("report", 0) * rules.report_points
    if counts.get("visit", 0) >= rules.visit_day_threshold:
        points += rules.visit_day_points
    return points


@dataclass(frozen=True)
class Pace:
    done: int
    expected_by_now: int
    target: int

    @property
    def status(self) -> str:
        if self.done >= self.target or self.done > self.expected_by_now:
            return "ahead"
        return "on_pace" if self.done == self.expected_by_now else "behind"


def touches_pace(touches: int, *, working_days_elapsed: int, working_days: int = 5,
                 rules: Rules = DEFAULT_RULES) -> Pace:
    """Customer touches this week against the weekly target, pro rata by working day."""
    elapsed = max(0, min(working_days_elapsed, working_days))
    expected = -(-rules.weekly_touches * elapsed // working_days)  # ceiling division
    return Pace(done=touches, expected_by_now=expected, target=rules.weekly_touches)
