"""The month-end reports read many teams at once (bot/services/reports.py `team_reports`:
store/scoring.py `rep_facts_many`, one query per time zone for all its teams); every card,
point and fact must be what each team's own report (`team_report`, one team's queries) gives.
Worlds from benchmarks/seed.py: teams in three time zones, two of them sharing one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from bot.calendar.periods import PERIOD_OF
from bot.services.reports import team_report, team_reports
from store import db
from store import scoring as facts_store
from store.models import Team
from tests.conftest import seeded_engine

END = date(2026, 11, 30)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_many_teams_at_once_give_each_teams_own_report(request, tmp_path,  # noqa: ANN001
                                                       dialect: str) -> None:
    engine = seeded_engine(request, tmp_path, dialect, reps=70, days=150, end=END, rng_seed=11)
    with Session(engine) as session:
        teams = list(session.exec(select(Team).order_by(Team.id)).all())
        assert len({t.tz for t in teams}) < len(teams)  # some queries read several teams
        cases = [("month", date(2026, 11, 1), datetime(2026, 12, 1, 9, tzinfo=UTC)),
                 ("month", date(2026, 10, 1), datetime(2026, 10, 17, 3, tzinfo=UTC)),
                 ("quarter", date(2026, 9, 1), datetime(2026, 12, 1, 9, tzinfo=UTC)),
                 ("week", date(2026, 11, 18), datetime(2026, 11, 19, 22, tzinfo=UTC))]
        scored = 0
        for kind, day, now in cases:
            period = PERIOD_OF[kind](day)
            many = team_reports(session, teams=teams, period=period, now=now)
            facts = facts_store.rep_facts_many(session, team_ids=[t.id for t in teams],
                                               period=period)
            for team in teams:
                alone = team_report(session, team=team, period=period, now=now)
                assert many[team.id] == alone
                assert facts[team.id] == facts_store.rep_facts(session, team_id=team.id,
                                                               period=period)
                scored += sum(1 for r in alone.reps.values()
                              if r.points.total and r.facts.sales_new and r.facts.due_total)
        assert scored > 0  # the world has points, sales and receivables to get wrong
    engine.dispose()


def test_rep_facts_many_of_no_team_and_an_unknown_team(tmp_path) -> None:  # noqa: ANN001
    engine = db.make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    db.upgrade(engine)
    period = PERIOD_OF["month"](END)
    with Session(engine) as session:
        assert facts_store.rep_facts_many(session, team_ids=[], period=period) == {}
        try:
            facts_store.rep_facts_many(session, team_ids=[42], period=period)
        except LookupError:
            pass
        else:
            raise AssertionError("an unknown team must not read as a team with no reps")
    engine.dispose()
