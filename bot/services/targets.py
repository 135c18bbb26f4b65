"""Which target a rep's card is measured against, for any period (issue 12).

A target shows as it was set, for the period it was set for, and the month and quarter cards
never contradict each other:

- a target set for exactly this period wins: the rep's own, else the team default for each
  rep (`/target set team …`), else the team's default for every month (months ending on or
  after the day it was set), else an older team-wide target shared between the reps;
- a month without one takes an equal share of its quarter's (a third; a half for a rep who
  joined in the quarter's second month; a rate as it is), said so;
- a quarter without one is the sum of its months as each month card measures them (a year:
  of its quarters; months before the rep joined add nothing), said so unless they all come
  from the forecast;
- a week is its month's target pro rata to the working days;
- otherwise the rolling forecast (bot/scoring/targets.target_for), or nothing;
- a rep's away days (/pacer away) are not theirs to work: a count or money target of theirs
  is pro-rated to the team's working days they are not away (month target × days there /
  working days; a quarter's sum of months follows; rates stay as they are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.periods import month_period, months_of, quarter_period, quarters_of
from bot.calendar.workdays import Span, is_away, working_days
from bot.scoring.facts import Period, Target
from bot.scoring.rules import Rules
from bot.scoring.targets import sensible
from store import rosters, targets, teams
from store.models import Team

Forecast = Callable[[str, Period], Target | None]
# A team's stored targets (store/targets.py `of_periods`) and its people's away spells.
Stored = tuple[targets.Stored, dict[str, tuple[Span, ...]]]
_CENTS = Decimal("0.01")


@dataclass
class TargetResolver:
    by_label: dict[str, dict[str, dict[str, Target]]]  # label -> user ("*", "") -> metric
    every_month: dict[str, tuple[Target, date]]  # metric -> (target, team-local day set)
    reps: int
    week_share: Decimal  # a week's working days over its month's (weeks only)
    rules: Rules
    days: tuple = ()  # the team's working days from the earliest period around to the last
    away: dict[str, tuple[Span, ...]] = field(default_factory=dict)  # user -> spells
    _quarters: dict[date, Period] = field(default_factory=dict, repr=False)  # month -> quarter

    @classmethod
    def load(cls, session: Session, *, team: Team, period: Period, reps: int,
             rules: Rules, off: list[date] | None = None,
             stored: Stored | None = None) -> TargetResolver:
        """`off`: the team's days off (store/teams.py `days_off`), when read already;
        `stored`: what `read_many` read of the team's targets and away spells."""
        tz = ZoneInfo(team.tz)
        around = _around(period)
        if stored is None:
            stored = cls.read_many(session, team_ids=[team.id], period=period)[team.id]
        (by_label, every_month), away = stored
        every = {metric: (t, (at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC")))
                          .astimezone(tz).date())
                 for metric, (t, at) in every_month.items()}
        share = Decimal(1)
        if off is None:
            off = teams.day_off_dates(session, team_id=team.id)
        if period.kind == "week":
            month = month_period(period.start)
            in_month = working_days(month.start, month.end, country=team.holiday_country,
                                    days_off=off)
            in_week = [d for d in in_month if period.start <= d <= period.end]
            share = Decimal(len(in_week)) / len(in_month) if in_month else Decimal(0)
        start, end = min(p.start for p in around), max(p.end for p in around)
        days = tuple(working_days(start, end, country=team.holiday_country, days_off=off)
                     if away else ())
        return cls(by_label, every, reps, share, rules, days, away)

    @staticmethod
    def read_many(session: Session, *, team_ids: list[int],
                  period: Period) -> dict[int, Stored]:
        """What `load` reads of each team, by team id, in two reads for all of them: the
        targets of `period` and those around it, and the away spells from their start."""
        around = _around(period)
        found = targets.of_periods_many(session, team_ids=team_ids,
                                        periods=[p.label for p in around])
        since = min(p.start for p in around)
        if len(team_ids) == 1:
            spells = rosters.away(session, team_id=team_ids[0], since=since)
        else:
            spells = rosters.away(session, since=since)
        return {team: (found[team], spells.get(team, {})) for team in team_ids}

    def there(self, user: str, period: Period) -> Decimal:
        """The share of `period`'s working days `user` is not away: 1 without leave."""
        spans = self.away.get(user)
        if not spans:
            return Decimal(1)
        days = [d for d in self.days if period.start <= d <= period.end]
        if not days:
            return Decimal(1)
        return Decimal(sum(1 for d in days if not is_away(d, spans))) / len(days)

    def _prorated(self, user: str, found: Target | None, period: Period) -> Target | None:
        """`found` × the share of the period `user` is there (rates as they are)."""
        share = self.there(user, period)
        if found is None or share == 1 or self._rate(found.metric):
            return found
        value = sensible(found.metric, found.value * share, self.rules)
        return replace(found, value=value) if value else None

    def _rate(self, metric: str) -> bool:
        return metric in self.rules.targets.rate_metrics

    def explicit(self, who: str, metric: str, period: Period) -> Target | None:
        """A target set for exactly this period: `who` is a rep, TEAM_DEFAULT or TEAM."""
        found = self.by_label.get(period.label, {}).get(who, {}).get(metric)
        if found is None and who == targets.TEAM_DEFAULT and period.kind == "month":
            every = self.every_month.get(metric)
            found = every[0] if every is not None and every[1] <= period.end else None
        if found is None or who != targets.TEAM or self._rate(metric):
            return found
        if not self.reps:
            return None
        return Target(metric, (found.value / self.reps).quantize(_CENTS), "manual",
                      found.reason, shared_by=self.reps)

    def target(self, user: str, metric: str, period: Period, forecast: Forecast,
               joined: date | None = None) -> Target | None:
        """`joined`: the rep's first day on the team; months (quarters) over before it add
        nothing to a quarter's (year's) sum."""
        levels = (user, targets.TEAM_DEFAULT, targets.TEAM)
        rate = self._rate(metric)
        if period.kind == "week":
            month = self._month(user, metric, month_period(period.start), forecast, joined)
            if month is None or rate:
                return month
            value = sensible(metric, month.value * self.week_share * self.there(user, period),
                             self.rules)
            return replace(month, value=value, source="from_month") if value else None
        if period.kind == "month":
            return self._prorated(user, self._month(user, metric, period, forecast, joined),
                                  period)
        if (own := self.explicit(user, metric, period)) is not None:
            return self._prorated(user, own, period)
        children = [c for c in (months_of(period) if period.kind == "quarter"
                                else quarters_of(period))
                    if (joined is None or c.end >= joined) and self.there(user, c)]
        found = [self.target(user, metric, c, forecast, joined) for c in children]
        if not found or not all(found):
            return None
        sources = {t.source for t in found}  # type: ignore[union-attr]
        there = self.there(user, period) == 1  # with leave, the months' sum is the truth
        if sources == {"forecast"}:
            return self._prorated(user, forecast(metric, period), period)
        if sources == {"from_quarter"} and period.kind == "quarter" and there:
            # Each month a third of a quarter target: that target itself, as it was set.
            for who in levels[1:]:
                if (whole := self.explicit(who, metric, period)) is not None:
                    return whole
        values = [t.value for t in found]  # type: ignore[union-attr]
        value = (sum(values) / len(values)).quantize(_CENTS) if rate else sum(values)
        return Target(metric, value, "from_months" if period.kind == "quarter"
                      else "from_quarters")

    def forecast_only(self, user: str, period: Period) -> bool:
        """Whether `target(user, metric, period, forecast)` is `forecast(metric, period)`
        for every metric: a month with nothing set for it at any level (most months) and
        `user` not away in it (a report asks 7 metrics of 1,000 reps)."""
        if period.kind != "month" or self.away.get(user):
            return False
        quarter = self._quarter(period)
        return (not self.by_label.get(period.label) and not self.by_label.get(quarter.label)
                and all(day > period.end for _, day in self.every_month.values()))

    def _quarter(self, month: Period) -> Period:
        quarter = self._quarters.get(month.start)
        if quarter is None:
            quarter = self._quarters[month.start] = quarter_period(month.start)
        return quarter

    def _month(self, user: str, metric: str, period: Period, forecast: Forecast,
               joined: date | None) -> Target | None:
        """A month's target as set, before any leave of the rep's is taken off it."""
        quarter = self._quarter(period)
        month_set, quarter_set = self.by_label.get(period.label), self.by_label.get(quarter.label)
        every = self.every_month.get(metric)
        if not month_set and not quarter_set and (every is None or every[1] > period.end):
            return forecast(metric, period)  # nothing set for it at any level (most months)
        rate = self._rate(metric)
        for who in (user, targets.TEAM_DEFAULT, targets.TEAM):  # the rep's own overrides
            if (found := self.explicit(who, metric, period)) is not None:
                return found
            if (whole := self.explicit(who, metric, quarter)) is not None:
                # An equal share over the quarter's months the rep is on the team for.
                months = len([m for m in months_of(quarter)
                              if joined is None or m.end >= joined]) or 1
                value = whole.value if rate else (whole.value / months).quantize(
                    _CENTS, ROUND_HALF_UP)
                return Target(metric, value, "from_quarter", whole.reason)
        return forecast(metric, period)


def _around(period: Period) -> list[Period]:
    """`period` and the periods its targets can come from (its month and quarter; a
    quarter's months; a year's months and quarters)."""
    around = [period, month_period(period.start), quarter_period(period.start)]
    if period.kind == "quarter":
        around += months_of(period)
    if period.kind == "year":
        around += months_of(period) + quarters_of(period)
    return around
