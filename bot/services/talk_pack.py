"""The talk pack: what the manager has in hand a working day before the result conversation
(seed 000 面谈前的充分准备): the rep's self-assessment first, then the period's numbers against
target beside the team's average and best (用数据说话), the controllable and uncontrollable
factors (from the rating and the period's calibrations), the competencies rated with their
examples, and the grade the rep has not heard yet. The conversation's order and the pitfalls
to avoid are words, in bot/render/review_talk.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.periods import parse_period
from bot.scoring.compare import compare
from bot.scoring.targets import Attainment
from bot.services.reports import team_report
from bot.services.review import competencies_of, level_for, rules_of
from store import reviews as store
from store import teams
from store.models import Review

METRICS = ("sales", "sales_new", "sales_repeat", "new_customers", "collection_rate",
           "lead_conversion", "touches")


@dataclass(frozen=True)
class DataLine:
    """One number of the period: the rep's, against target, beside the team."""

    metric: str
    attainment: Attainment  # actual, target (or None), band
    team_average: Decimal | None
    team_best: Decimal | None
    best: bool  # the rep holds the team's best


@dataclass(frozen=True)
class Competency:
    key: str
    name: str  # in the reader's language (the team's rules name each)
    rating: str  # strength | solid | develop
    example: str


@dataclass(frozen=True)
class TalkPack:
    review: Review
    currency: str
    level: str
    level_name: str
    data: tuple[DataLine, ...]
    total: float | None  # the scorecard when the review opened
    score_grade: str | None
    competencies: tuple[Competency, ...]
    factors: tuple[tuple[str, str], ...]  # (controllable, uncontrollable): rating, then 1:1s
    top: bool  # S or A: a stretch goal, a newcomer to mentor (seed 000 FAQ)
    low: bool  # C or D: root causes by questions, never attitude alone


def talk_pack(session: Session, *, review: Review, now: datetime, lang: str) -> TalkPack:
    team = teams.team_by_id(session, team_id=review.team_id)
    rules = rules_of(session, review)
    chosen = parse_period(review.period, review.period_end)
    data: list[DataLine] = []
    if chosen is not None:
        report = team_report(session, team=team, period=chosen, now=now, rules=rules)
        mine = report.reps.get(review.user_id)
        for metric in METRICS if mine else ():
            found = {u: r.attainments[metric].actual for u, r in report.reps.items()
                     if metric in r.attainments}
            c = compare(found, review.user_id)
            a = mine.attainments[metric]
            if a.actual or a.target is not None:  # a number that means something
                data.append(DataLine(metric, a, c.team_average, c.team_best,
                                     review.user_id in c.best_user_ids and c.reps > 1))
    tz = ZoneInfo(team.tz)
    start = datetime.combine(chosen.start if chosen else review.period_end, time(0),
                             tzinfo=tz).astimezone(UTC)
    end = datetime.combine(review.period_end + timedelta(days=1), time(0),
                           tzinfo=tz).astimezone(UTC)
    factors = [(review.controllable, review.uncontrollable)] if (
        review.controllable or review.uncontrollable) else []
    factors += store.calibration_factors(session, team_id=team.id, rep=review.user_id,
                                         start=start, end=end)
    c = rules.competencies
    level = review.level or level_for(session, review, rules)
    return TalkPack(
        review=review, currency=team.currency, level=level, level_name=c.name(level, lang),
        data=tuple(data), total=review.score_total, score_grade=review.score_grade,
        competencies=tuple(Competency(x["key"], c.name(x["key"], lang), x.get("rating", ""),
                                      x.get("example", "")) for x in competencies_of(review)),
        factors=tuple(factors), top=review.grade in ("S", "A"),
        low=review.grade in ("C", "D"))
