"""team_report's short cuts give what the long way gives: each rep's own working days (the
team's, from their first day, without their leave; shared between the reps without leave who
joined by the same day), the team's days off as dates, and the default rules for a team that
overrides none."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from benchmarks.seed import WORKSPACE
from bot.calendar.periods import month_period
from bot.calendar.workdays import is_away, working_days
from bot.scoring.rules import DEFAULT_RULES, Rules
from bot.services.reports import rules_for, team_report
from store import away, teams
from store.models import Team
from tests.conftest import seeded_engine

END = date(2026, 11, 30)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_own_working_days_days_off_and_rules(request, tmp_path,  # noqa: ANN001
                                             dialect: str) -> None:
    engine = seeded_engine(request, tmp_path, dialect, reps=20, days=40, end=END, rng_seed=5)
    with Session(engine) as session:
        team = session.exec(select(Team).order_by(Team.id)).first()
        for day in (date(2026, 11, 27), date(2026, 11, 11)):
            teams.add_day_off(session, workspace_id=WORKSPACE, name=team.name, day=day)
        assert teams.day_off_dates(session, team_id=team.id) == [
            date(2026, 11, 11), date(2026, 11, 27)]
        assert rules_for(session, team.id) is DEFAULT_RULES
        report = team_report(session, team=team, period=month_period(END),
                             now=datetime(2026, 11, 16, 9, tzinfo=UTC))
        reps = sorted(report.reps)
        spells = {reps[0]: (date(2026, 11, 3), date(2026, 11, 6)),
                  reps[1]: (date(2026, 11, 20), date(2026, 12, 4))}
        for user, (first, last) in spells.items():
            away.add(session, workspace_id=WORKSPACE, user_id=user, first=first, last=last,
                     reason="", set_by=user, now=datetime(2026, 10, 1, tzinfo=UTC))
        session.commit()
        period, now = month_period(END), datetime(2026, 11, 16, 9, tzinfo=UTC)
        report = team_report(session, team=team, period=period, now=now)
        team_days = working_days(period.start, period.end, country=team.holiday_country,
                                 days_off=[date(2026, 11, 11), date(2026, 11, 27)])
        assert len(team_days) < 21  # the days off are not working days
        weekly, per_week = DEFAULT_RULES.kbi.weekly_touches, DEFAULT_RULES.kbi.working_days_per_week
        for user, rep in report.reps.items():
            first = max(report.members[user].joined_at, period.start)
            spell = [spells[user]] if user in spells else []
            own = [d for d in team_days if d >= first and not is_away(d, spell)]
            [touches] = [k for k in rep.kbis if k.kbi == "touches"]
            assert touches.denominator == math.ceil(weekly * len(own) / per_week), user
        assert len({k.denominator for r in report.reps.values() for k in r.kbis
                    if k.kbi == "touches"}) > 1  # the leave made a difference
        teams.set_rule_overrides(session, team_id=team.id,
                                 overrides={"kbi": {"weekly_touches": 10}})
        assert rules_for(session, team.id) == Rules.from_mapping(
            {"kbi": {"weekly_touches": 10}}) != DEFAULT_RULES
    engine.dispose()
