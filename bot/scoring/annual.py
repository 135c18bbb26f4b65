"""The year end (seed 003 §二(二)1 年度考核, §二(三)): the annual grade from the quarters' final
grades, the annual bonus signal, and the promotion and management-trainee recommendations.
Pure: the quarters' final (appealed) grades and the year's collaboration score come in.

The seed says the year "combines the whole year's performance" without a formula; Pacer takes
the mean of the quarters' grades (S 5, A 4, B 3, C 2, D 1) rounded half up, so A, A, B, B is
an A and a single S does not lift three Bs. A rep who joined during the year is graded on the
quarters they had. The manager sees every quarter beside the result and can say otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.scoring.facts import Period
from bot.scoring.grades import GRADES
from bot.scoring.recommend import GradeRecord, Recommendation, recommend
from bot.scoring.rules import DEFAULT_RULES, Rules

POINTS = {"S": 5, "A": 4, "B": 3, "C": 2, "D": 1}
EXTRA_MONTH, NO_BONUS, STANDARD = "extra_month", "none", "standard"


@dataclass(frozen=True)
class AnnualResult:
    year: Period
    grade: str
    mean: Decimal  # of the quarters' points, 1-5, two places
    quarters: tuple[GradeRecord, ...]  # the final quarter grades it came from, oldest first
    bonus_signal: str  # extra_month (S) | none (D) | standard
    bonus_months: int  # extra months' salary the signal stands for (S)
    collaboration: float | None  # the year's collaboration score (peer ratings), if shown
    previous: GradeRecord | None  # last year's annual grade, when there was one
    recommendations: tuple[Recommendation, ...]  # promotion_candidate, management_trainee


def annual_grade(quarters: Sequence[str]) -> tuple[str, Decimal]:
    """The annual grade of the quarters' grades, and the mean it rounds."""
    if not quarters:
        raise ValueError("an annual grade needs at least one graded quarter")
    mean = Decimal(sum(POINTS[g] for g in quarters)) / Decimal(len(quarters))
    points = int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    grade = next(g for g in GRADES if POINTS[g] == points)
    return grade, mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def year_end(year: Period, quarters: Sequence[GradeRecord], *, collaboration: float | None,
             previous: GradeRecord | None, rules: Rules = DEFAULT_RULES) -> AnnualResult:
    """A rep's year from their final quarter grades (oldest first)."""
    ordered = tuple(sorted(quarters, key=lambda q: q.period.start))
    grade, mean = annual_grade([q.grade for q in ordered])
    this = GradeRecord(period=year, grade=grade, collaboration=collaboration)
    years = [previous, this] if previous is not None else [this]
    recs = recommend((), years, rules=rules)
    months = rules.recommend.annual_s_extra_months
    signal = EXTRA_MONTH if grade == "S" else NO_BONUS if grade == "D" else STANDARD
    return AnnualResult(year=year, grade=grade, mean=mean, quarters=ordered,
                        bonus_signal=signal, bonus_months=months if grade == "S" else 0,
                        collaboration=collaboration, previous=previous,
                        recommendations=recs)
