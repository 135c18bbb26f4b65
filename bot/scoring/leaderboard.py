"""Leaderboards and honours (seed 002 §二(二)2, seed 003 §二(三)3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.scoring.facts import Member, Period, RepFacts
from bot.scoring.rules import DEFAULT_RULES, Rules

Number = Decimal | float | int
METRICS = ("points", "sales", "new", "touches")

SALES_STAR = "sales_star"
ROOKIE_OF_THE_MONTH = "rookie_of_the_month"
BEST_SERVICE = "best_service"
SATISFACTION_STAR = "satisfaction_star"


@dataclass(frozen=True)
class Standing:
    rank: int  # competition ranking: ties share a rank and the next rank skips (1, 1, 3)
    user_id: str
    value: Number


@dataclass(frozen=True)
class Leaderboard:
    metric: str  # points | sales | new | touches
    period: Period
    standings: tuple[Standing, ...]  # best first; ties in user id order
    # Reps a public board leaves off for points below zero (`in_public`): counted so that an
    # empty board does not say nobody has points when some lost them.
    below_zero: int = 0


def in_public(board: Leaderboard) -> Leaderboard:
    """The board as a channel sees it: only those above zero. A public zero or a negative
    (lapses) would name the reps who struggled, which the reports only ever count, and a
    medal for a negative score (ranked third behind two zeros) would read as a joke. The
    scheduled posts and `/leaderboard` typed in the team's channel alike."""
    return replace(board, standings=tuple(s for s in board.standings if s.value > 0),
                   below_zero=sum(1 for s in board.standings if s.value < 0))


def rank(values: Mapping[str, Number]) -> tuple[Standing, ...]:
    """Highest first, ties sharing a rank (1, 1, 3), equal values listed by user id."""
    ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    standings: list[Standing] = []
    for position, (user_id, value) in enumerate(ordered, start=1):
        tied = standings and standings[-1].value == value
        standings.append(Standing(standings[-1].rank if tied else position, user_id, value))
    return tuple(standings)


def metric_value(facts: RepFacts, metric: str, rules: Rules = DEFAULT_RULES) -> Number:
    if metric == "sales":
        return facts.sales_new + facts.sales_repeat
    if metric == "new":
        return facts.new_customers
    if metric == "touches":
        return sum(facts.totals.get(kind, 0) for kind in rules.kbi.touch_kinds)
    raise ValueError(f"unknown leaderboard metric {metric!r}")


def leaderboard(metric: str, facts: Iterable[RepFacts], *, period: Period,
                points: Mapping[str, int] | None = None,
                rules: Rules = DEFAULT_RULES) -> Leaderboard:
    """Rank reps by `metric`. "points" ranks `points` (user id -> the period's behaviour points,
    e.g. PointsBreakdown.total); the others read each rep's facts."""
    if metric not in METRICS:
        raise ValueError(f"unknown leaderboard metric {metric!r}")
    if metric == "points":
        values: dict[str, Number] = dict(points or {})
    else:
        values = {f.user_id: metric_value(f, metric, rules) for f in facts}
    return Leaderboard(metric, period, rank(values))


@dataclass(frozen=True)
class Honour:
    kind: str  # sales_star | rookie_of_the_month | best_service | satisfaction_star
    user_ids: tuple[str, ...]  # ties: all of them, sorted
    value: Number  # the winning value (sales, score or satisfaction)
    basis: str  # what was compared: sales | score | satisfaction


def _top(kind: str, values: Mapping[str, Number], basis: str) -> Honour | None:
    positive = {u: v for u, v in values.items() if v > 0}
    if not positive:
        return None
    best = max(positive.values())
    return Honour(kind, tuple(sorted(u for u, v in positive.items() if v == best)), best, basis)


def honours(facts: Sequence[RepFacts], *, period: Period, members: Iterable[Member] = (),
            scores: Mapping[str, float | None] | None = None,
            satisfaction: Mapping[str, float | None] | None = None,
            rules: Rules = DEFAULT_RULES) -> tuple[Honour, ...]:
    """The period's honours; none for an empty period.

    Rookie of the month (seed 002's 新人王) is a month's honour only: never in a week's, a
    quarter's or a year's (a quarter's rookie honour is seed 003's 新人突破奖, graded A in the
    first quarter: bot/scoring/recommend.py). It goes to the member under `rookie_days` on
    the team on the month's last day with the best total score (`scores`: the scorecards'
    totals), because a rookie's first months are mostly behaviour, not closed deals; when no
    rookie has a score, best sales.
    Best service is the top satisfaction; the satisfaction star every rep at or above the
    star threshold.
    """
    found: list[Honour] = []
    sales = {f.user_id: f.sales_new + f.sales_repeat for f in facts}
    if star := _top(SALES_STAR, sales, "sales"):
        found.append(star)
    rookies = {m.user_id for m in members
               if period.kind == "month" and m.joined_at <= period.end
               and (period.end - m.joined_at).days < rules.honours.rookie_days}
    rookie_scores = {u: s for u, s in (scores or {}).items() if u in rookies and s is not None}
    if rookie_scores:
        rookie = _top(ROOKIE_OF_THE_MONTH, rookie_scores, "score")
    else:
        rookie = _top(ROOKIE_OF_THE_MONTH, {u: v for u, v in sales.items() if u in rookies},
                      "sales")
    if rookie:
        found.append(rookie)
    rated = {u: s for u, s in (satisfaction or {}).items() if s is not None}
    if best := _top(BEST_SERVICE, rated, "satisfaction"):
        found.append(best)
    stars = {u: s for u, s in rated.items() if s >= rules.honours.satisfaction_star}
    if stars:
        found.append(Honour(SATISFACTION_STAR, tuple(sorted(stars)),
                            rules.honours.satisfaction_star, "satisfaction"))
    return tuple(found)
