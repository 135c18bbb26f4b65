"""Each number beside the rep's own history, the team average and the team's best (seed 002
§一1), and the performance x quality quadrant (seed 004)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.scoring.rules import DEFAULT_RULES, Rules

Number = Decimal | float | int


@dataclass(frozen=True)
class Comparison:
    value: Number | None  # the rep's own value this period
    previous: Number | None  # the rep's own value last period
    change: Number | None  # value - previous
    team_average: Number | None  # over reps with a value (Decimal in, Decimal out)
    team_best: Number | None
    best_user_ids: tuple[str, ...]  # everyone holding the best value, sorted
    reps: int  # how many reps had a value


def _average(values: list[Number]) -> Number:
    if all(isinstance(v, Decimal) for v in values):
        return sum(values, Decimal(0)) / len(values)  # type: ignore[arg-type]
    return sum(float(v) for v in values) / len(values)


def compare(values_by_rep: Mapping[str, Number | None], user_id: str,
            previous: Number | None = None) -> Comparison:
    """`user_id`'s value against their previous period and the team; reps with None are left
    out of the average and the best."""
    present = {u: v for u, v in values_by_rep.items() if v is not None}
    value = present.get(user_id)
    change = None if value is None or previous is None else value - previous  # type: ignore
    if not present:
        return Comparison(value, previous, change, None, None, (), 0)
    best = max(present.values())
    return Comparison(value=value, previous=previous, change=change,
                      team_average=_average(list(present.values())), team_best=best,
                      best_user_ids=tuple(sorted(u for u, v in present.items() if v == best)),
                      reps=len(present))


# Seed 004: high/low performance x high/low quality, each with its own incentive or coaching.
STAR = "star"  # high results, high satisfaction: keep it up, share how
PUSHER = "pusher"  # high results, low satisfaction: coach service quality
NURTURER = "nurturer"  # low results, high satisfaction: coach conversion
STRUGGLING = "struggling"  # low on both: coaching plan


@dataclass(frozen=True)
class Quadrant:
    name: str  # star | pusher | nurturer | struggling
    high_performance: bool
    high_quality: bool
    results: float
    satisfaction: float


def quadrant(results: float | None, satisfaction: float | None,
             rules: Rules = DEFAULT_RULES) -> Quadrant | None:
    """The quadrant of a results score (0-120) and a satisfaction score (0-100); a threshold
    met counts as high. None when either is missing."""
    if results is None or satisfaction is None:
        return None
    a = rules.analysis
    high_p, high_q = results >= a.quadrant_results, satisfaction >= a.quadrant_satisfaction
    name = {(True, True): STAR, (True, False): PUSHER, (False, True): NURTURER,
            (False, False): STRUGGLING}[(high_p, high_q)]
    return Quadrant(name, high_p, high_q, results, satisfaction)
