"""Targets (seed 001 §一2): a rolling forecast from the trailing 12 months, manual targets on
top, pro-rating for members who joined mid-period, and attainment within the ±15% band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.scoring.facts import Member, Period, Target
from bot.scoring.periods import joined_share, period_months
from bot.scoring.rules import DEFAULT_RULES, Rules

BELOW, ON_TARGET, ABOVE, NO_TARGET = "below", "on_target", "above", "no_target"
_CENTS = Decimal("0.01")
_RATE = Decimal("0.0001")
# A forecast means something only with this many months of history behind it (from the first
# month with any activity); with less the card says so and the manager sets a target.
MIN_HISTORY_MONTHS = 3
COUNT_METRICS = ("new_customers", "touches")
MONEY_METRICS = ("sales", "sales_new", "sales_repeat")


def history_span(history: Mapping[str, Sequence[Decimal]], months: int = 12) -> int:
    """How many of the trailing `months` months lie on or after the first month with any
    activity at all (any metric): the history a forecast stands on. Months before it are the
    zero-fill of a rep (or team) that was not there yet."""
    # The months are right-aligned (the latest last), so a metric whose first non-zero month
    # is j of its n trailing months says n - j; the history's span is the longest of these.
    span = 0
    for values in history.values():
        trailing = tuple(values)[-months:]
        for j, value in enumerate(trailing):
            if value:
                span = max(span, len(trailing) - j)
                break
    return span


def sensible(metric: str, value: Decimal, rules: Rules = DEFAULT_RULES) -> Decimal | None:
    """A forecast as a person would set it: counts whole (never 0.1 of a customer), money to
    three significant figures (15,400, not 15,384.62), rates to a whole percent; None when
    that leaves nothing (a target of 0 is no target)."""
    if metric in rules.targets.rate_metrics:
        value = value.quantize(_CENTS, ROUND_HALF_UP)
    elif metric in MONEY_METRICS:
        if value > 0:
            step = Decimal(10) ** max(0, value.adjusted() - 2)
            value = (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step
    else:
        value = value.quantize(Decimal(1), ROUND_HALF_UP)
    return value if value > 0 else None


def forecast(history: Sequence[Decimal], period: Period, *, rate: bool = False,
             months: int = 12) -> Decimal | None:
    """The period's target from monthly actuals (oldest first): the average month of the
    trailing `months` times the months the period spans; for a rate metric, the average rate.
    Fewer months of history use what exists; none gives no target (None)."""
    trailing = list(history)[-months:]
    if not trailing:
        return None
    average = sum(trailing, Decimal(0)) / len(trailing)
    if rate:
        return average.quantize(_RATE, ROUND_HALF_UP)
    return (average * period_months(period)).quantize(_CENTS, ROUND_HALF_UP)


def prorate(value: Decimal, *, period: Period, joined_at: date) -> Decimal:
    """`value` scaled to the calendar days of `period` a member was on the team."""
    return (value * joined_share(period, joined_at)).quantize(_CENTS, ROUND_HALF_UP)


def target_for(metric: str, *, member: Member, period: Period, manual: Target | None = None,
               fallback_history: Sequence[Decimal] = (), fallback_span: int | None = None,
               rules: Rules = DEFAULT_RULES, own_span: int | None = None) -> Target | None:
    """The target that applies to `member` for `metric` in `period`.

    A manual target wins and is taken as set (the manager knew the start date). Otherwise the
    rolling forecast of the member's own history, or of `fallback_history` (e.g. the team's
    average rep, `fallback_span` months long) when they have none, pro-rated if they joined
    during the period (rates are not pro-rated), rounded as a person would set it. None when
    there is nothing to forecast from, or fewer than MIN_HISTORY_MONTHS months of it.
    `own_span`: the member's `history_span` when known (a report asks for every metric).
    """
    if manual is not None:
        return manual
    rate = metric in rules.targets.rate_metrics
    months = rules.targets.history_months
    span = history_span(member.history, months) if own_span is None else own_span
    history = member.history.get(metric, ()) if span else None
    if history is None:  # no activity of their own yet: the fallback (e.g. the average rep)
        history, span = tuple(fallback_history), (
            history_span({metric: fallback_history}, months) if fallback_span is None
            else fallback_span)
    if span < MIN_HISTORY_MONTHS:
        return None
    value = forecast(list(history)[-span:], period, rate=rate, months=months)
    value = sensible(metric, value, rules) if value is not None else None
    if value is None:
        return None
    share = joined_share(period, member.joined_at)
    if rate or share == 1:
        return Target(metric=metric, value=value, source="forecast")
    days_in = (period.end - period.start).days + 1
    on_team = max(0, (period.end - max(member.joined_at, period.start)).days + 1)
    shared = sensible(metric, prorate(value, period=period, joined_at=member.joined_at), rules)
    if shared is None:
        return None
    return Target(metric=metric, value=shared, source="forecast", prorated=(on_team, days_in))


@dataclass(frozen=True)
class Attainment:
    metric: str
    actual: Decimal
    target: Target | None
    ratio: Decimal | None  # actual / target; None without a (positive) target
    band: str  # below | on_target | above | no_target
    extra_reward: bool  # above the band: flagged for an extra reward (seed 001 §一2)

    @property
    def percent(self) -> Decimal | None:
        return None if self.ratio is None else (self.ratio * 100).quantize(_CENTS, ROUND_HALF_UP)


def attainment(metric: str, actual: Decimal, target: Target | None,
               rules: Rules = DEFAULT_RULES) -> Attainment:
    """Actual against target with the ±15% band; both edges (85%, 115%) count as on target."""
    if target is None or target.value <= 0:
        return Attainment(metric, actual, target, None, NO_TARGET, False)
    t = rules.targets
    # Compare products, not a rounded ratio, so 85% and 115% land exactly on the edges.
    if actual < target.value * t.band_low:
        band = BELOW
    elif actual > target.value * t.band_high:
        band = ABOVE
    else:
        band = ON_TARGET
    return Attainment(metric, actual, target, actual / target.value, band, band == ABOVE)
