"""Every team's lead touches read together (store/idle_touches.py `lead_touches_many`, the
month-end reports) are exactly those read one team at a time (store/idle.py `lead_touches`; the
reports built on them: tests/services/test_reports_many.py). A seeded world of
five teams (three time zones, two teams sharing one; closed leads, back-dated and undone
logs), random periods and clocks, some teams asked at another moment than the rest, and a
short, medium and long recent stretch (RECENT_DAYS: older logs read for many leads or few);
on SQLite and on PostgreSQL when PACER_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from benchmarks.seed import seed
from bot.services.reports import _lead_window
from store import db, idle
from store.idle_touches import lead_touches_many
from store.models import Team
from tests.store.test_idle_gaps import END, random_moment


def world(url: str) -> tuple[Session, list[Team]]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    seed(engine, reps=90, days=150, end=END, rng_seed=11)
    session = Session(engine)
    return session, list(session.exec(select(Team).order_by(Team.id)).all())


def compare(session: Session, teams: list[Team], rng: random.Random) -> int:
    """Asks for random windows; the leads, touches and stage changes compared."""
    assert len({t.tz for t in teams}) < len(teams)  # a zone's teams are read together
    seen = 0
    for _ in range(4):
        period, now = random_moment(rng, back_days=110)
        windows = {t.id: _lead_window(t, period, now - timedelta(
            hours=rng.choice((0, 0, 30)))) for t in teams}
        many = lead_touches_many(session, windows=windows)
        assert set(many) == set(windows)
        for team_id, (since, until, after) in windows.items():
            alone = idle.lead_touches(session, team_id=team_id, since=since, until=until,
                                      after=after)
            assert many[team_id] == alone, (team_id, period, now)
            seen += sum(len(lead.touches) + len(lead.stages) for lead in alone)
    return seen


@pytest.mark.parametrize("recent_days", [3, 20, 60])
def test_lead_touches_of_many_teams_equal_each_team_alone_on_sqlite(
        tmp_path, monkeypatch, recent_days: int) -> None:  # noqa: ANN001
    monkeypatch.setattr(idle, "RECENT_DAYS", recent_days)
    monkeypatch.setattr("store.idle_touches.RECENT_DAYS", recent_days)
    session, teams = world(f"sqlite:///{tmp_path / 'w.db'}")
    assert compare(session, teams, random.Random(recent_days)) > 0  # the test can fail
    session.close()


def test_lead_touches_of_many_teams_equal_each_team_alone_on_postgres(pg_url: str) -> None:
    session, teams = world(pg_url)
    assert compare(session, teams, random.Random(7)) > 0
    session.close()
    session.get_bind().dispose()

