"""Every team's lead touches read together (store/lead_life.py `lead_touches_many`, the
month-end reports) are exactly those read one team at a time (store/idle.py `lead_touches`; the
reports built on them: tests/services/test_reports_many.py), and both are what every touch and
stage change (`lead_touches` without `after`) leaves once those superseded before `after` are
left out by hand: the latest touch at or before it, and the last stage change (by moment, then
stage, as `lapses` orders them). A seeded world of five teams (three time zones, two teams
sharing one; closed leads, back-dated and undone logs), random periods and clocks, some teams
asked at another moment than the rest; on SQLite and on PostgreSQL when
PACER_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from benchmarks.seed import seed
from bot.scoring.facts import LeadTouches
from bot.services.reports import _lead_window
from store import db, idle
from store.idle import lead_touches_many
from store.models import Team
from tests.store.test_idle_gaps import END, random_moment


def world(url: str) -> tuple[Session, list[Team]]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    seed(engine, reps=90, days=150, end=END, rng_seed=11)
    session = Session(engine)
    return session, list(session.exec(select(Team).order_by(Team.id)).all())


def left_out(lead: LeadTouches, after: datetime) -> LeadTouches:
    """`lead` (every touch and stage change) less what is superseded before `after`."""
    before = [at for at in lead.touches if at <= after]
    touches = ([max(before)] if before else []) + [at for at in lead.touches if at > after]
    changes = [change for change in lead.stages if change[0] <= after]
    stages = ([max(changes)] if changes else []) + sorted(
        change for change in lead.stages if change[0] > after)
    return replace(lead, touches=tuple(touches), stages=tuple(stages))


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
            every = idle.lead_touches(session, team_id=team_id, since=since, until=until)
            assert alone == [left_out(lead, min(after, until)) for lead in every]
            seen += sum(len(lead.touches) + len(lead.stages) for lead in alone)
    return seen


@pytest.mark.parametrize("rng_seed", [3, 20])
def test_lead_touches_of_many_teams_equal_each_team_alone_on_sqlite(
        tmp_path, rng_seed: int) -> None:  # noqa: ANN001
    session, teams = world(f"sqlite:///{tmp_path / 'w.db'}")
    assert compare(session, teams, random.Random(rng_seed)) > 0  # the test can fail
    session.close()


def test_lead_touches_of_many_teams_equal_each_team_alone_on_postgres(pg_url: str) -> None:
    session, teams = world(pg_url)
    assert compare(session, teams, random.Random(7)) > 0
    session.close()
    session.get_bind().dispose()

