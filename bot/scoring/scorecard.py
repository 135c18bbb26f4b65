"""Scorecards: monthly = behaviour 40% + results 60% (seed 001 §二3); quarterly and annual =
quantitative 60% + qualitative 40% (seed 003 §二(一)). Every part is scored 0-100, attainment up
to the cap (120); a part with no data is left out and its weight spread over the others.

Grades only where the seeds grade, and only on what they grade on: a closed month (with its
bonus multiplier) once at least one result is measured against a target; a closed quarter or
year once its quantitative part has data. Without that the card has no total, grade or bonus
(`missing` says what is lacking): behaviour alone must not read as a grade. Weeks and periods
still running get no grade either, only the pace (`pace_grade`: where the total would land if
the period ended like this)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.scoring.facts import Period, Qualitative, RepFacts, Target
from bot.scoring.grades import bonus_multiplier, grade
from bot.scoring.periods import period_months
from bot.scoring.rules import DEFAULT_RULES, Rules
from bot.scoring.targets import Attainment, attainment

MONTHLY, REVIEW = "monthly", "review"
RESULT_PARTS = ("sales", "new_customers", "collection", "conversion")
QUALITATIVE_PARTS = ("satisfaction", "compliance", "collaboration", "learning")

Value = Decimal | float | int | None


@dataclass(frozen=True)
class Part:
    name: str  # behaviour | sales | new_customers | collection | conversion | satisfaction |
    #            compliance | collaboration | learning
    group: str  # monthly: behaviour | results; review: quantitative | qualitative
    weight: float  # configured share of the total, 0..1
    effective_weight: float  # share after no-data parts' weight was spread; 0 without data
    raw: Value  # what was measured (points, money, a rate 0..1, a 1-5 mean, ...); None: no data
    target: Value  # what `raw` is scored against, where there is one
    score: float | None  # 0..cap; None: no data
    attainment: Attainment | None = None
    detail: tuple[tuple[str, Value], ...] = ()  # e.g. sales: new and repeat shown apart

    @property
    def has_data(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class Scorecard:
    user_id: str
    period: Period
    kind: str  # monthly | review
    parts: tuple[Part, ...]
    total: float | None  # weighted score, 2 decimals; None when no part has data
    grade: str | None  # None when too little of the weight has data (rules.scores)
    bonus_multiplier: Decimal | None  # monthly scorecards only
    redistributed: tuple[str, ...]  # parts with no data whose weight went to the others
    # Not graded because what the seeds grade on is missing: "results" (a month's results
    # have no target) or "quantitative" (a review's quantitative part has no data).
    missing: str | None = None
    # A week or a period still running: the grade the pace points to, never a bonus.
    pace_grade: str | None = None

    def part(self, name: str) -> Part | None:
        return next((p for p in self.parts if p.name == name), None)

    @property
    def results_score(self) -> float | None:
        """The result parts' weighted score alone (for the performance x quality quadrant)."""
        scored = [p for p in self.parts if p.name in RESULT_PARTS and p.has_data]
        weight = sum(p.weight for p in scored)
        if not scored or weight <= 0:
            return None
        return round(sum(p.score * p.weight for p in scored) / weight, 2)  # type: ignore[operator]


@dataclass(frozen=True)
class _Measure:
    raw: Value
    target: Value
    score: float | None
    attainment: Attainment | None = None
    detail: tuple[tuple[str, Value], ...] = ()


_NO_DATA = _Measure(None, None, None)
_UNRATED = Qualitative()


def _clamp(value: float, top: float) -> float:
    return max(0.0, min(float(value), top))


def _attained(metric: str, actual: Decimal, target: Target | None, rules: Rules,
              detail: tuple[tuple[str, Value], ...] = ()) -> _Measure:
    done = attainment(metric, actual, target, rules)
    if done.ratio is None:
        return _Measure(actual, None, None, done, detail)
    score = _clamp(float(done.ratio * 100), rules.scores.cap)
    return _Measure(actual, target.value if target else None, score, done, detail)


def _sales(facts: RepFacts, targets: Mapping[str, Target | None], rules: Rules) -> _Measure:
    # Seed 003: new-customer and repeat revenue are shown apart, so nobody "lives off old
    # customers" unnoticed; the part scores their sum against the sales target.
    target = targets.get("sales")
    new_t, repeat_t = targets.get("sales_new"), targets.get("sales_repeat")
    if target is None and new_t is not None and repeat_t is not None:
        target = Target("sales", new_t.value + repeat_t.value, new_t.source, "new + repeat")
    new = attainment("sales_new", facts.sales_new, new_t, rules)
    repeat = attainment("sales_repeat", facts.sales_repeat, repeat_t, rules)
    detail = (("sales_new", facts.sales_new), ("sales_repeat", facts.sales_repeat),
              ("sales_new_attainment", new.ratio), ("sales_repeat_attainment", repeat.ratio))
    return _attained("sales", facts.sales_new + facts.sales_repeat, target, rules, detail)


def _rate(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    return None if denominator <= 0 else Decimal(numerator) / Decimal(denominator)


def _measure(name: str, facts: RepFacts, *, targets: Mapping[str, Target | None],
             points: int | None, points_target: Decimal, qualitative: Qualitative,
             period: Period, rules: Rules) -> _Measure:
    cap = rules.scores.cap
    if name == "behaviour":
        if points is None or points_target <= 0:
            return _NO_DATA
        return _Measure(points, points_target, _clamp(points / float(points_target) * 100, cap))
    if name == "sales":
        return _sales(facts, targets, rules)
    if name == "new_customers":
        return _attained(name, Decimal(facts.new_customers), targets.get(name), rules)
    if name == "collection":
        rate = _rate(facts.paid_on_time, facts.due_total)
        detail = (("due_total", facts.due_total), ("paid_on_time", facts.paid_on_time),
                  ("collected", facts.collected))
        if rate is None:
            return _Measure(None, None, None, None, detail)
        return _attained("collection_rate", rate, targets.get("collection_rate"), rules, detail)
    if name == "conversion":
        # A cohort (seed 003: lead -> signed customer): of the leads created in the period, the
        # share won by its end, the card's date (store/scoring.rep_facts).
        rate = _rate(facts.leads_won, facts.leads_created)
        detail = (("leads_created", facts.leads_created), ("leads_won", facts.leads_won),
                  ("leads_lost", facts.leads_lost))
        if rate is None:
            return _Measure(None, None, None, None, detail)
        return _attained("lead_conversion", rate, targets.get("lead_conversion"), rules, detail)
    if name == "satisfaction":
        value = qualitative.satisfaction
        return _NO_DATA if value is None else _Measure(value, None, _clamp(value, 100))
    if name == "compliance":
        deductions = qualitative.compliance_deductions
        if deductions is None:
            return _NO_DATA
        value = _clamp(100 - deductions, 100)
        return _Measure(value, None, value, detail=(("deductions", deductions),))
    if name == "collaboration":
        ratings = qualitative.peer_scores
        # k-anonymity: with fewer ratings than the minimum, nothing (not even a mean) is shown.
        if len(ratings) < rules.scores.collaboration_min_ratings:
            return _NO_DATA
        mean = sum(ratings) / len(ratings)
        return _Measure(round(mean, 2), None, _clamp((mean - 1) / 4 * 100, 100),
                        detail=(("ratings", len(ratings)),))
    if name == "learning":
        target = Decimal(rules.scores.learning_per_quarter) * period_months(period) / 3
        if target <= 0:
            return _NO_DATA
        return _Measure(facts.learning, round(float(target), 2),
                        _clamp(facts.learning / float(target) * 100, cap))
    raise ValueError(f"unknown scorecard part {name!r}")


def _group(name: str, kind: str) -> str:
    if name == "behaviour":
        return "behaviour"
    if kind == MONTHLY:
        return "results" if name in RESULT_PARTS else "qualitative"
    return "qualitative" if name in QUALITATIVE_PARTS else "quantitative"


def points_target(working_days: int, rules: Rules = DEFAULT_RULES) -> Decimal:
    """The behaviour score's target for a period of `working_days` (see PointsRules)."""
    return (Decimal(rules.points.target_per_week) * working_days
            / rules.kbi.working_days_per_week)


def scorecard(facts: RepFacts, *, period: Period,
              targets: Mapping[str, Target | None] | None = None, points: int | None = None,
              working_days: int = 0, qualitative: Qualitative | None = None,
              closed: bool = True, rules: Rules = DEFAULT_RULES) -> Scorecard:
    """One rep's scorecard. Weeks and months use the monthly weights, quarters and years the
    review weights; `closed` is False while the period runs (and a week is never closed for
    grading), which gives a pace instead of a grade. `targets` maps a metric (sales, sales_new,
    sales_repeat, new_customers, collection_rate, lead_conversion) to its resolved target;
    `points` is the period's behaviour points, `working_days` the period's working days."""
    kind = MONTHLY if period.kind in ("week", "month") else REVIEW
    weights = [(n, w) for n, w in getattr(rules.scores, kind).items() if w > 0]
    configured = sum(w for _, w in weights)
    due = points_target(working_days, rules)
    measures = {
        name: _measure(name, facts, targets=targets or {}, points=points, points_target=due,
                       qualitative=qualitative or _UNRATED, period=period, rules=rules)
        for name, _ in weights}
    with_data = sum(w for n, w in weights if measures[n].score is not None)
    measured_parts = RESULT_PARTS  # a month's results, a review's quantitative part
    missing = None
    if not any(measures[n].score is not None for n, _ in weights if n in measured_parts):
        missing = "results" if kind == MONTHLY else "quantitative"
    parts = tuple(
        Part(name=n, group=_group(n, kind), weight=w / configured,
             effective_weight=(w / with_data if measures[n].score is not None else 0.0),
             raw=measures[n].raw, target=measures[n].target, score=measures[n].score,
             attainment=measures[n].attainment, detail=measures[n].detail)
        for n, w in weights)
    if with_data > 0 and missing is None:
        total: float | None = round(sum(p.score * p.effective_weight  # type: ignore[operator]
                                        for p in parts if p.score is not None), 2)
    else:
        total = None  # nothing measured against a target: no total to grade or rank
    # Graded on the total as shown (2 decimals), so a card never reads 85.00 and says B.
    graded = total is not None and with_data / configured >= rules.scores.min_graded_weight
    letter = grade(total, rules) if graded else None  # type: ignore[arg-type]
    final = closed and period.kind != "week"
    return Scorecard(
        user_id=facts.user_id, period=period, kind=kind, parts=parts, total=total,
        grade=letter if final else None,
        bonus_multiplier=(bonus_multiplier(letter, rules) if letter and final
                          and kind == MONTHLY else None),
        redistributed=tuple(p.name for p in parts if p.score is None), missing=missing,
        pace_grade=None if final else letter)


def score_month(facts: RepFacts, *, period: Period, points: int, working_days: int,
                targets: Mapping[str, Target | None] | None = None, closed: bool = True,
                rules: Rules = DEFAULT_RULES) -> Scorecard:
    """Monthly scorecard: behaviour 40% + results 60% (seed 001 §二3)."""
    return scorecard(facts, period=period, targets=targets, points=points,
                     working_days=working_days, closed=closed, rules=rules)


def score_review(facts: RepFacts, *, period: Period, qualitative: Qualitative | None,
                 targets: Mapping[str, Target | None] | None = None,
                 rules: Rules = DEFAULT_RULES) -> Scorecard:
    """Quarterly or annual review: quantitative 60% + qualitative 40% (seed 003 §二(一))."""
    return scorecard(facts, period=period, targets=targets, qualitative=qualitative,
                     rules=rules)
