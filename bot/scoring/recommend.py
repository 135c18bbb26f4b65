"""Consequences of grades (seed 003 §二(三)), surfaced to the manager as recommendations and
never applied: commission raise or review, PIP, promotion, management-trainee pool, and the
rookie breakthrough honour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.scoring.facts import Period
from bot.scoring.grades import at_least, at_most
from bot.scoring.periods import follows
from bot.scoring.rules import DEFAULT_RULES, Rules

COMMISSION_RAISE = "commission_raise"
COMMISSION_REVIEW = "commission_review"
PIP = "pip"
PROMOTION = "promotion_candidate"
MANAGEMENT_TRAINEE = "management_trainee"
ROOKIE_BREAKTHROUGH = "rookie_breakthrough"


@dataclass(frozen=True)
class GradeRecord:
    """One graded review period of one rep."""

    period: Period  # a quarter or a year
    grade: str
    collaboration: float | None = None  # the collaboration part's score 0-100, if shown


@dataclass(frozen=True)
class Recommendation:
    kind: str  # commission_raise | commission_review | pip | promotion_candidate |
    #            management_trainee | rookie_breakthrough
    periods: tuple[str, ...]  # labels of the periods that triggered it, oldest first
    grades: tuple[str, ...]  # their grades
    from_rate: Decimal | None = None  # commission_raise: e.g. 1% -> 1.5%
    to_rate: Decimal | None = None
    months: int | None = None  # pip: its length; it comes with targets and a mentor


def _last_two(records: Sequence[GradeRecord]) -> tuple[GradeRecord, GradeRecord] | None:
    """The two latest records if they are consecutive periods."""
    if len(records) < 2:
        return None
    previous, latest = records[-2], records[-1]
    return (previous, latest) if follows(previous.period, latest.period) else None


def _of(kind: str, records: Sequence[GradeRecord], **extra: object) -> Recommendation:
    return Recommendation(kind, tuple(r.period.label for r in records),
                          tuple(r.grade for r in records), **extra)  # type: ignore[arg-type]


def recommend(quarters: Sequence[GradeRecord], years: Sequence[GradeRecord] = (), *,
              joined_at: date | None = None,
              rules: Rules = DEFAULT_RULES) -> tuple[Recommendation, ...]:
    """What the latest quarter (and latest year) call for. `quarters` and `years` are one rep's
    graded periods, oldest first; only the newest of each triggers anything, so a rule fires
    once, at the review that completes it."""
    r = rules.recommend
    found: list[Recommendation] = []
    quarters = sorted(quarters, key=lambda q: q.period.start)
    years = sorted(years, key=lambda y: y.period.start)
    pair = _last_two(quarters)
    if pair and all(at_least(q.grade, "A") for q in pair):
        found.append(_of(COMMISSION_RAISE, pair, from_rate=r.commission_rate,
                         to_rate=r.raised_commission_rate))
    if pair and all(at_most(q.grade, "C") for q in pair):
        found.append(_of(COMMISSION_REVIEW, pair))
    if quarters and quarters[-1].grade == "D":
        found.append(_of(PIP, quarters[-1:], months=r.pip_months))
    elif pair and all(q.grade == "C" for q in pair):
        found.append(_of(PIP, pair, months=r.pip_months))
    if years:
        latest = years[-1]
        strong = (latest.collaboration is not None
                  and latest.collaboration >= r.promotion_collaboration)
        if latest.grade == "S" and strong:
            found.append(_of(PROMOTION, years[-1:]))
        year_pair = _last_two(years)
        if year_pair and all(at_least(y.grade, "A") for y in year_pair):
            found.append(_of(MANAGEMENT_TRAINEE, year_pair))
    if (joined_at is not None and quarters and _first_quarter(quarters, joined_at, rules)
            and at_least(quarters[-1].grade, "A")):
        found.append(_of(ROOKIE_BREAKTHROUGH, quarters[-1:]))
    return tuple(found)


def _first_quarter(quarters: Sequence[GradeRecord], joined_at: date, rules: Rules) -> bool:
    """True when the latest quarter is the new hire's first: the earliest graded quarter that
    ends on or after the joining date and starts no later than shortly after it."""
    first = next((q for q in quarters if q.period.end >= joined_at), None)
    return (first is quarters[-1]
            and (first.period.start - joined_at).days <= rules.recommend.rookie_first_quarter_days)
