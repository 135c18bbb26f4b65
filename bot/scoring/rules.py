"""Scoring rules as data, with SPEC §2 defaults (seed 001 §二3 and its KBI table)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    visit_day_threshold: int = 3      # a day with >= 3 visits ...
    visit_day_points: int = 20        # ... earns +20
    report_points: int = 30           # each complete needs-analysis report
    idle_lead_points: int = -10       # each lead idle > 48 h, once per lapse
    idle_lead_hours: int = 48
    weekly_touches: int = 8           # customer touches per week
    touch_kinds: tuple[str, ...] = ("call", "visit", "email")


DEFAULT_RULES = Rules()
