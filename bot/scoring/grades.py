"""Grades S/A/B/C/D and the monthly bonus multiplier (seed 003 §二(二)1, §二(三)1)."""

from __future__ import annotations

from decimal import Decimal

from bot.scoring.rules import DEFAULT_RULES, Rules

GRADES = ("S", "A", "B", "C", "D")  # best first


def grade(score: float, rules: Rules = DEFAULT_RULES) -> str:
    """The grade of a 0-100 (up to the cap) total; each threshold is the grade's minimum."""
    g = rules.grades
    for name, minimum in (("S", g.s), ("A", g.a), ("B", g.b), ("C", g.c)):
        if score >= minimum:
            return name
    return "D"


def bonus_multiplier(grade_: str, rules: Rules = DEFAULT_RULES) -> Decimal:
    """The monthly bonus multiplier for a grade (S 120% ... D 0%)."""
    if grade_ not in GRADES:
        raise ValueError(f"unknown grade {grade_!r}")
    return getattr(rules.bonus, grade_.lower())


def at_least(grade_: str, floor: str) -> bool:
    """True when `grade_` is `floor` or better (A is at least B)."""
    return GRADES.index(grade_) <= GRADES.index(floor)


def at_most(grade_: str, ceiling: str) -> bool:
    """True when `grade_` is `ceiling` or worse (D is at most C)."""
    return GRADES.index(grade_) >= GRADES.index(ceiling)
