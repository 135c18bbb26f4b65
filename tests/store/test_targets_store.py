"""Managers' targets in the store: a rep's own, a team default for one period or for every
month (with the day it was set), and an older team-wide target, side by side."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session

from store import db, targets, teams

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def test_team_defaults_and_own_targets_are_kept_apart(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with Session(engine) as s:
        team = teams.create_team(s, workspace_id="T0", name="East", channel_id="C0",
                                 managers=["U0MEI"], members=["U0A"], tz="Asia/Shanghai",
                                 currency="CNY", now=NOW)
        for user, period, value in ((targets.TEAM_DEFAULT, targets.EVERY_MONTH, 500000),
                                    (targets.TEAM_DEFAULT, "2026-11", 400000),
                                    ("U0A", "2026-11", 800000), (targets.TEAM, "2026-11", 1)):
            assert targets.set_target(s, team_id=team.id, user_id=user, metric="sales",
                                      period=period, value=Decimal(value), reason="",
                                      by_user_id="U0MEI", now=NOW) is None
        s.commit()
        november = targets.manual_targets(s, team_id=team.id, period="2026-11")
        assert {u: (t.value, t.source) for u, m in november.items() for t in m.values()} == {
            "*": (Decimal(400000), "team"), "U0A": (Decimal(800000), "manual"),
            "": (Decimal(1), "manual")}
        [(metric, (default, at))] = targets.every_month(s, team_id=team.id).items()
        assert (metric, default.value, default.source) == ("sales", Decimal(500000), "team")
        assert at.replace(tzinfo=UTC) == NOW
        # The report's read of them all at once: the same, a label without any present too.
        by_label, every = targets.of_periods(s, team_id=team.id,
                                             periods=["2026-11", "2026-Q4", "2026-11"])
        assert by_label == {"2026-11": november, "2026-Q4": {}}
        assert every == targets.every_month(s, team_id=team.id)
        assert targets.clear_target(s, team_id=team.id, user_id=targets.TEAM_DEFAULT,
                                    metric="sales", period=targets.EVERY_MONTH)
        assert targets.every_month(s, team_id=team.id) == {}


def test_an_older_team_wide_target_is_still_shared_between_the_reps(database_url: str) -> None:
    """Databases from before team defaults hold team-wide targets (user id ""), which meant
    the team's total: each rep's share is the total over the reps, as it was then, and a rep's
    own target or a team default still wins over it."""
    from bot.calendar.periods import month_period
    from bot.scoring.rules import DEFAULT_RULES
    from bot.services.targets import TargetResolver

    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with Session(engine) as s:
        team = teams.create_team(s, workspace_id="T0", name="East", channel_id="C0",
                                 managers=["U0MEI"], members=["U0A", "U0B", "U0C"],
                                 tz="Asia/Shanghai", currency="CNY", now=NOW)
        for user, value in ((targets.TEAM, 900000), ("U0C", 50000)):
            targets.set_target(s, team_id=team.id, user_id=user, metric="sales",
                               period="2026-11", value=Decimal(value), reason="old",
                               by_user_id="U0MEI", now=NOW)
        s.commit()
        november = month_period(datetime(2026, 11, 1).date())

        def no_forecast(metric, period):  # noqa: ANN001, ANN202
            return None

        shared = TargetResolver.load(s, team=team, period=november, reps=3, rules=DEFAULT_RULES)
        a = shared.target("U0A", "sales", november, no_forecast)
        assert (a.value, a.shared_by) == (Decimal(300000), 3)
        assert shared.target("U0C", "sales", november, no_forecast).value == Decimal(50000)
        nobody = TargetResolver.load(s, team=team, period=november, reps=0, rules=DEFAULT_RULES)
        assert nobody.target("U0A", "sales", november, no_forecast) is None


def _east_with_targets(s: Session):  # noqa: ANN202
    """East with U0A and U0B: 90 touches every month from November (set then), and U0B's
    2026-Q4 sales 300,000."""
    team = teams.create_team(s, workspace_id="T0", name="East", channel_id="C0",
                             managers=["U0MEI"], members=["U0A", "U0B"],
                             tz="Asia/Shanghai", currency="CNY", now=NOW)
    targets.set_target(s, team_id=team.id, user_id=targets.TEAM_DEFAULT, metric="touches",
                       period=targets.EVERY_MONTH, value=Decimal(90), reason="",
                       by_user_id="U0MEI", now=NOW)
    targets.set_target(s, team_id=team.id, user_id="U0B", metric="sales", period="2026-Q4",
                       value=Decimal(300000), reason="", by_user_id="U0MEI", now=NOW)
    return team


def test_a_month_without_any_target_set_is_the_forecast_and_one_with_is_not(
        database_url: str) -> None:
    """TargetResolver's short cut: a month with nothing set for it or its quarter at any level
    (and no every-month default in force yet) is the forecast, asked once."""
    from bot.calendar.periods import month_period
    from bot.scoring.facts import Target
    from bot.scoring.rules import DEFAULT_RULES
    from bot.services.targets import TargetResolver

    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with Session(engine) as s:
        team = _east_with_targets(s)
        s.commit()
        asked = []

        def forecast(metric, period):  # noqa: ANN001, ANN202
            asked.append((metric, period.label))
            return Target(metric, Decimal(7), "forecast")

        october, november = (month_period(datetime(2026, m, 1).date()) for m in (10, 11))
        resolver = TargetResolver.load(s, team=team, period=october, reps=2, rules=DEFAULT_RULES,
                                       off=[])
        # October: the every-month default was set in November, so not in force; U0B's Q4
        # target is a third of it.
        assert resolver.target("U0A", "touches", october, forecast).source == "forecast"
        assert resolver.target("U0B", "sales", october, forecast).value == Decimal(100000)
        assert resolver.target("U0A", "sales", october, forecast).source == "forecast"
        assert asked == [("touches", "2026-10"), ("sales", "2026-10")]
        assert resolver.target("U0A", "touches", november, forecast).value == Decimal(90)
        empty = TargetResolver.load(s, team=team, period=month_period(datetime(2026, 6, 1).date()),
                                    reps=2, rules=DEFAULT_RULES)
        june = month_period(datetime(2026, 6, 1).date())
        assert empty.target("U0B", "sales", june, forecast).value == Decimal(7)
        january = month_period(datetime(2027, 1, 1).date())  # only the default in force
        later = TargetResolver.load(s, team=team, period=january, reps=2, rules=DEFAULT_RULES)
        assert later.target("U0A", "touches", january, forecast).value == Decimal(90)
        assert later.target("U0A", "sales", january, forecast).value == Decimal(7)


def test_forecast_only_says_so_exactly_when_every_metric_is_the_forecast(
        database_url: str) -> None:
    """bot/services/reports.py asks `forecast_only` once per rep instead of `target` for each
    metric: where it says yes, every metric's target must be the forecast; where targets are
    set (month, quarter, every month in force), for leave, or not a month, it says no."""
    from bot.calendar.periods import month_period, quarter_period
    from bot.scoring.facts import Target
    from bot.scoring.rules import DEFAULT_RULES
    from bot.services.reports import TARGET_METRICS
    from bot.services.targets import TargetResolver

    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with Session(engine) as s:
        team = _east_with_targets(s)
        targets.set_target(s, team_id=team.id, user_id="U0A", metric="sales", period="2026-08",
                           value=Decimal(5000), reason="", by_user_id="U0MEI", now=NOW)
        s.commit()

        def forecast(metric, period):  # noqa: ANN001, ANN202
            return Target(metric, Decimal(7), "forecast")

        said = {}
        for month in (6, 8, 10, 11):
            period = month_period(datetime(2026, month, 1).date())
            resolver = TargetResolver.load(s, team=team, period=period, reps=2,
                                           rules=DEFAULT_RULES, off=[])
            for user in ("U0A", "U0B"):
                said[month, user] = resolver.forecast_only(user, period)
                if said[month, user]:
                    assert all(resolver.target(user, m, period, forecast) == forecast(m, period)
                               for m in TARGET_METRICS)
            resolver.away = {"U0A": ((period.start, period.start),)}
            assert not resolver.forecast_only("U0A", period)
        assert said == {(6, "U0A"): True, (6, "U0B"): True, (8, "U0A"): False,
                        (8, "U0B"): False, (10, "U0A"): False, (10, "U0B"): False,
                        (11, "U0A"): False, (11, "U0B"): False}
        q3 = quarter_period(datetime(2026, 7, 1).date())
        assert not TargetResolver.load(s, team=team, period=q3, reps=2, rules=DEFAULT_RULES,
                                       off=[]).forecast_only("U0B", q3)
