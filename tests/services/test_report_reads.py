"""What a report reads, and how often: the team's days off once per report (the kept lapses'
fingerprint and the report's working days share the read), once for all teams in
`team_reports`; and with Python's cycle collector held off, as the caller left it after."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.calendar.periods import PERIOD_OF
from bot.services.reports import team_report, team_reports
from store import teams as teams_store
from store.models import Team
from tests.conftest import seeded_engine

END = date(2026, 11, 30)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_days_off_are_read_once_per_report_and_once_for_all_teams(
        request, tmp_path, dialect: str) -> None:  # noqa: ANN001
    engine = seeded_engine(request, tmp_path, dialect, reps=40, days=40, end=END, rng_seed=5)
    reads: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, params, context, many) -> None:  # noqa: ANN001
        if "team_holidays" in statement:
            reads.append(statement)

    period = PERIOD_OF["month"](END)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with Session(engine) as session:
        teams = list(session.exec(select(Team).order_by(Team.id)).all())
        assert len(teams) > 1
        teams_store.add_day_off(session, workspace_id=teams[0].workspace_id,
                                name=teams[0].name, day=date(2026, 11, 13))
        session.commit()
        team_report(session, team=teams[0], period=period, now=now)  # keeps the lapses
        reads.clear()
        alone = team_report(session, team=teams[0], period=period, now=now)
        assert len(reads) == 1
        reads.clear()
        many = team_reports(session, teams=teams, period=period, now=now)
        assert len(reads) == 1
        assert many[teams[0].id] == alone
    engine.dispose()


def test_the_collector_is_as_the_caller_left_it(tmp_path, request) -> None:  # noqa: ANN001
    engine = seeded_engine(request, tmp_path, "sqlite", reps=20, days=10, end=END, rng_seed=3)
    period = PERIOD_OF["month"](END)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    with Session(engine) as session:
        team = session.exec(select(Team)).first()
        assert gc.isenabled()
        team_report(session, team=team, period=period, now=now)
        team_reports(session, teams=[team], period=period, now=now)
        assert gc.isenabled()
        gc.disable()
        try:
            team_report(session, team=team, period=period, now=now)
            assert not gc.isenabled()
        finally:
            gc.enable()
    engine.dispose()
