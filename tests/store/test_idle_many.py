"""The leads waiting now, read for many teams in one statement (store/idle.waiting_many, used
by the alerts job every minute), are exactly those of the per-team query it replaced, kept
here as the reference; and the alerts' service answer (waiting_over_many) is each team's
waiting_over. Randomized worlds from benchmarks/seed.py, random clocks, hours and stages."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, select

from benchmarks.seed import seed
from bot.calendar.workdays import is_working_day
from bot.scoring.rules import Rules
from bot.services.idle import Clock, waiting_over_many
from store import db, idle
from store.models import Team
from store.scoring import C
from tests.store.test_idle_gaps import END


def reference_waiting(session: Session, team_id: int, stages: Sequence[str],
                      quiet_since: datetime) -> list[tuple]:
    touched = func.coalesce(C.c.last_touched_at, C.c.created_at)
    since = case((C.c.stage_changed_at > touched, C.c.stage_changed_at), else_=touched)
    return [tuple(r) for r in session.exec(
        select(C.c.id, C.c.owner_user_id, C.c.stage)
        .where(C.c.team_id == team_id, C.c.owner_user_id.is_not(None),
               C.c.stage.in_(list(stages)), since < quiet_since)
        .order_by(C.c.owner_user_id, since, C.c.id)).all()]


def test_waiting_many_equals_the_per_team_reads(tmp_path) -> None:  # noqa: ANN001
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    db.upgrade(engine)
    seed(engine, reps=45, days=60, end=END, rng_seed=5)
    rng = random.Random(5)
    with Session(engine) as session:
        teams = list(session.exec(select(Team).order_by(Team.id)).all())
        seen = 0
        for _ in range(6):
            now = datetime.combine(END - timedelta(days=rng.randrange(50)),
                                   time(rng.randrange(24)), tzinfo=UTC)
            asked = {t.id: (rng.choice((("lead", "contacted"), ("lead",), ("demo", "lead"))),
                            now - timedelta(hours=rng.choice((24, 48, 72)))) for t in teams}
            many = idle.waiting_many(session, teams=asked)
            for team_id, (stages, quiet) in asked.items():
                want = reference_waiting(session, team_id, stages, quiet)
                assert [(w.id, w.owner, w.stage) for w in many[team_id]] == want
                seen += len(want)
            clocks = {t.id: Clock(48, ZoneInfo(t.tz), lambda day: is_working_day(
                day, country="CN"), Rules.from_mapping({})) for t in teams}
            together = waiting_over_many(session, teams=clocks, now=now)
            for team_id, clock in clocks.items():
                alone = waiting_over_many(session, teams={team_id: clock}, now=now)[team_id]
                assert together[team_id] == alone
        assert seen > 0
    engine.dispose()


def test_remembered_lapse_moments_equal_fresh_ones_and_follow_the_calendar(tmp_path) -> None:  # noqa: ANN001
    """With a calendar key the alerts' lapse moments are remembered between ticks: the same
    answers as computed afresh, and a change of the team's days off is a new key."""
    from bot.services import idle as service

    engine = db.make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade(engine)
    seed(engine, reps=20, days=40, end=END, rng_seed=7)
    now = datetime.combine(END - timedelta(days=3), time(10), tzinfo=UTC)
    with Session(engine) as session:
        teams = list(session.exec(select(Team).order_by(Team.id)).all())

        def clocks(off: frozenset, remember: bool) -> dict[int, Clock]:
            return {t.id: Clock(48, ZoneInfo(t.tz), lambda day, off=off: is_working_day(
                day, country="CN", days_off=off), Rules.from_mapping({}),
                calendar=("CN", off) if remember else None) for t in teams}

        def marks(found: dict) -> dict:
            return {t: [(w.id, w.mark) for w in leads] for t, leads in found.items()}

        service._MARKS.clear()
        fresh = marks(waiting_over_many(session, teams=clocks(frozenset(), False), now=now))
        first = marks(waiting_over_many(session, teams=clocks(frozenset(), True), now=now))
        assert service._MARKS and first == fresh
        again = marks(waiting_over_many(session, teams=clocks(frozenset(), True), now=now))
        assert again == fresh  # from memory
        off = frozenset(END - timedelta(days=d) for d in range(4, 12))  # a week off
        changed = marks(waiting_over_many(session, teams=clocks(off, True), now=now))
        assert changed == marks(waiting_over_many(session, teams=clocks(off, False), now=now))
        assert changed != fresh  # the days off moved some lapses
    engine.dispose()


def test_lapsed_from_leaves_out_exactly_the_older_lapses(tmp_path) -> None:  # noqa: ANN001
    """The alerts ask only for the lapses from a moment on (older ones are out of every
    window): the answer is the full one less the leads that lapsed before that moment, for
    teams with days off and owners away, and the SQL bound leaves out none that counts."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    db.upgrade(engine)
    seed(engine, reps=30, days=60, end=END, rng_seed=11)
    rng = random.Random(11)
    with Session(engine) as session:
        teams = list(session.exec(select(Team).order_by(Team.id)).all())
        owners = sorted({o for o in session.exec(select(C.c.owner_user_id)).all() if o})
        kept = dropped = 0
        for _ in range(12):  # near the seed's end: its leads waiting then are many
            now = datetime.combine(END - timedelta(days=rng.randrange(3)),
                                   time(rng.randrange(24)), tzinfo=UTC)
            off = frozenset(now.date() - timedelta(days=rng.randrange(1, 9))
                            for _ in range(rng.randrange(4)))
            away = {o: ((now.date() - timedelta(days=rng.randrange(2, 8)),
                         now.date() - timedelta(days=rng.randrange(0, 2))),)
                    for o in rng.sample(owners, min(len(owners), 5))}
            hours = rng.choice((24, 48, 72))
            clocks = {t.id: Clock(hours, ZoneInfo(t.tz), lambda day, off=off: is_working_day(
                day, country="CN", days_off=off), Rules.from_mapping({}), away) for t in teams}
            lapsed_from = now - timedelta(hours=rng.choice((4, 28, 50, 120, 240)))
            full = waiting_over_many(session, teams=clocks, now=now)
            some = waiting_over_many(session, teams=clocks, now=now, lapsed_from=lapsed_from)
            for team_id, leads in full.items():
                want = [w for w in leads if w.mark >= lapsed_from]
                assert some[team_id] == want
                kept, dropped = kept + len(want), dropped + len(leads) - len(want)
        assert kept and dropped  # both sides of the moment were met
    engine.dispose()
