"""KBI pace (seed 001 §二2's table): done, expected by now and target, for any period."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.scoring.facts import Period, RepFacts
from bot.scoring.periods import period_months
from bot.scoring.rules import DEFAULT_RULES, Rules

AHEAD, ON_PACE, BEHIND, NO_DATA = "ahead", "on_pace", "behind", "no_data"


@dataclass(frozen=True)
class KbiPace:
    """One KBI's standing. Counts (touches, followups) compare `done` with `expected_by_now`,
    the target pro rata by working days elapsed; ratios (discovery, demo, objections) compare
    the share that complied (`numerator` of `denominator`) with the target share."""

    kbi: str  # touches | discovery | demo | objections | followups
    unit: str  # count | ratio
    done: float  # a count, or a share 0..1
    expected_by_now: float
    target: float
    status: str  # ahead | on_pace | behind | no_data
    numerator: int
    denominator: int  # ratio: customers, deals or conversations judged; count: the target


def _count(kbi: str, done: int, target: int, elapsed: int, working_days: int,
           due_at_end: bool = False) -> KbiPace:
    """`due_at_end`: each of the target is owed once by the period's end, any day (a signed
    customer's monthly follow-up), so what is due by now rounds down: rounded up, one
    customer's follow-up was "behind" from the month's first morning."""
    if target <= 0:
        return KbiPace(kbi, "count", done, 0, 0, NO_DATA, done, 0)
    share = max(0, min(elapsed, working_days))
    rounded = math.floor if due_at_end else math.ceil
    expected = rounded(target * share / working_days) if working_days else target
    ahead = done >= target or done > expected
    status = AHEAD if ahead else ON_PACE if done == expected else BEHIND
    return KbiPace(kbi, "count", done, expected, target, status, done, target)


def _ratio(kbi: str, numerator: int, denominator: int, target: float) -> KbiPace:
    if denominator <= 0:
        return KbiPace(kbi, "ratio", 0.0, target, target, NO_DATA, 0, 0)
    share = numerator / denominator
    # Ratios have no "by now": what was judged so far either complied or did not.
    status = ON_PACE if share >= target else BEHIND
    return KbiPace(kbi, "ratio", share, target, target, status, numerator, denominator)


def kbi_pace(facts: RepFacts, *, period: Period, working_days: int, working_days_elapsed: int,
             rules: Rules = DEFAULT_RULES) -> tuple[KbiPace, ...]:
    """The five KBIs for one rep and one period. The caller counts working days (holidays are
    the team's): `working_days` in the period, `working_days_elapsed` over by now."""
    k = rules.kbi
    touches = sum(facts.totals.get(kind, 0) for kind in k.touch_kinds)
    touch_target = math.ceil(k.weekly_touches * working_days / k.working_days_per_week)
    # "One follow-up per signed customer per month" (签约后每月1次): for a month, quarter or year
    # the facts count customer-months from the month after signing (a quarter expects a
    # customer signed before it three times, one signed in its first month twice), each
    # expected once; a week expects its share of a month (12/52) of those signed before it.
    months = period_months(period)
    followup_target = (facts.signed_customers if months >= 1
                       else math.ceil(facts.signed_customers * months))
    return (
        _kept(_count, "touches", touches, touch_target, working_days_elapsed, working_days),
        _kept(_ratio, "discovery", sum(1 for r in facts.discovery_rounds
                                       if r >= k.discovery_rounds),
              len(facts.discovery_rounds), k.discovery_share),
        _kept(_ratio, "demo", facts.deals_with_demo, facts.deals, k.demo_share),
        _kept(_ratio, "objections", facts.conversations_with_objections, facts.conversations,
              k.objection_share),
        _kept(_count, "followups", facts.signed_followed_up, followup_target,
              working_days_elapsed, working_days, True),
    )


# Paces as made before, shared: a pace is a value of a few whole numbers (and a target
# share), and most reps' repeat one made already (a month of 1,000 reps asks for 5,000); each
# made anew (a frozen dataclass) was most of `kbi_pace`'s time. Keyed by the numbers' types
# too: a count of 3.0 is not made a count of 3.
_PACES: dict[tuple, KbiPace] = {}
PACES_KEPT = 50_000  # then forgotten all at once


def _kept(make, *args) -> KbiPace:  # noqa: ANN001, ANN002
    key = (make, *args, *map(type, args))
    found = _PACES.get(key)
    if found is None:
        if len(_PACES) >= PACES_KEPT:
            _PACES.clear()
        found = _PACES[key] = make(*args)
    return found
