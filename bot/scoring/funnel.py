"""Funnel conversion per stage with the bottleneck named (seed 002 §二(三)3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.scoring.facts import FunnelLead
from bot.scoring.rules import DEFAULT_RULES, Rules


@dataclass(frozen=True)
class FunnelStage:
    stage: str
    count: int  # leads that reached this stage (or any later one)
    conversion: float | None  # count / the previous stage's count; None for the first stage
    #                           or when the previous stage is empty


@dataclass(frozen=True)
class Funnel:
    stages: tuple[FunnelStage, ...]
    weakest: str | None  # the stage with the lowest conversion into it; None without data
    overall: float | None  # last stage / first stage


def funnel(leads: Iterable[FunnelLead], *, owner: str | None = None,
           rules: Rules = DEFAULT_RULES) -> Funnel:
    """Conversion through the team's stages, for one owner or (owner None) everyone.

    A lead that reached a later stage is counted in every earlier one too, even if it skipped
    one in the logs ("lead" -> "demo" has been contacted); "lost" is not a stage.
    """
    order = rules.analysis.funnel_stages
    counts = [0] * len(order)
    for lead in leads:
        if owner is not None and lead.owner != owner:
            continue
        depth = max((order.index(s) for s in lead.reached if s in order), default=0)
        for i in range(depth + 1):
            counts[i] += 1
    stages = []
    for i, stage in enumerate(order):
        before = counts[i - 1] if i else 0
        stages.append(FunnelStage(stage, counts[i], counts[i] / before if before else None))
    scored = [s for s in stages if s.conversion is not None]
    # Lowest conversion wins; on a tie the earlier stage, where the leak starts.
    weakest = min(scored, key=lambda s: s.conversion).stage if scored else None  # type: ignore
    overall = counts[-1] / counts[0] if counts[0] else None
    return Funnel(tuple(stages), weakest, overall)
