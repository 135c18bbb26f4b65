"""The idle-lead lapses found the fast way (store/idle_gaps.py picks candidate leads by SQL
window functions over wall-clock gaps; `lapses` skips short gaps and gaps before the period)
are exactly those of the old way: every lead's whole life through the calendar. Randomized
worlds from benchmarks/seed.py (three time zones, two with DST; back-dated and undone logs;
stage walks), a China calendar with make-up days and team days off, several rules, periods
and clocks; on SQLite and on PostgreSQL when PACER_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from benchmarks.seed import seed
from bot.calendar.periods import month_period
from bot.calendar.workdays import Working, after_working_hours, is_working_day
from bot.scoring.facts import LeadTouches, Period, RepFacts
from bot.scoring.points import points_breakdown
from bot.scoring.rules import Rules
from bot.services.reports import lapse_windows
from store import db, idle, idle_gaps
from store.models import Team

END = date(2026, 11, 30)


def reference_lapses(lead: LeadTouches, *, now: datetime, hours: int, tz: tzinfo,
                     working: Working, stages: tuple[str, ...]) -> list[datetime]:
    """`lapses` as it was before the fast paths: the calendar asked for every gap."""
    end = now if lead.closed_at is None else min(now, lead.closed_at)
    events = sorted([(at, "") for at in lead.touches] + list(lead.stages))
    watched = not lead.stages
    since = lead.created_at
    found: list[datetime] = []

    def check(until: datetime) -> None:
        if watched:
            mark = after_working_hours(since, hours, tz, working)  # type: ignore[arg-type]
            if mark is not None and mark < until:
                found.append(mark)

    for at, stage in events:
        if at > end:
            break
        if at >= since:
            check(at)
            since = at
        if stage:
            watched = stage in stages
    check(end)
    return found


def worlds(url: str, rng_seed: int) -> tuple[Session, list[Team]]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    seed(engine, reps=45, days=150, end=END, rng_seed=rng_seed)
    session = Session(engine)
    teams = list(session.exec(select(Team).order_by(Team.id)).all())
    return session, teams


def calendar(rng: random.Random) -> Working:
    days_off = frozenset(END - timedelta(days=rng.randrange(120)) for _ in range(6))
    return lambda day: is_working_day(day, country="CN", days_off=days_off)


def random_moment(rng: random.Random, back_days: int) -> tuple[Period, datetime]:
    """A month (or a week of it) ending within `back_days` of END, and a moment in or after it."""
    month = month_period(END - timedelta(days=rng.randrange(back_days)))
    period = (month if rng.random() < 0.7 else
              Period("week", month.start + timedelta(days=7),
                     month.start + timedelta(days=13), "w"))
    now = datetime.combine(period.start + timedelta(days=rng.randrange(40)),
                           time(rng.randrange(24), rng.randrange(60)), tzinfo=UTC)
    return period, now


def compare(session: Session, teams: list[Team], rng: random.Random) -> int:
    """Old and new charged lapses of random periods, clocks and rules; how many there were."""
    seen = 0
    for _ in range(3):
        period, now = random_moment(rng, back_days=100)
        hours = rng.choice((24, 48, 48, 72))
        stages = rng.choice((("lead", "contacted"), ("lead",), ("lead", "contacted", "demo")))
        rules = Rules.from_mapping({"points": {"idle_lead_hours": hours,
                                               "idle_lead_stages": list(stages)}})
        working = calendar(rng)
        picked = idle_gaps.lapse_candidates(
            session, windows={t.id: lapse_windows(t, period, now) for t in teams},
            hours=hours, stages=stages)
        for team in teams:
            tz = ZoneInfo(team.tz)
            since, until = lapse_windows(team, period, now)
            every = idle.lead_touches(session, team_id=team.id, since=since, until=until)
            old = {(lead.customer_id, at) for lead in every
                   for at in reference_lapses(lead, now=now, hours=hours, tz=tz,
                                              working=working, stages=stages)
                   if period.start <= at.astimezone(tz).date() <= period.end}
            assert {cid for cid, _ in old} <= picked[team.id]
            for only in (picked[team.id], None):
                few = idle.lead_touches(session, team_id=team.id, since=since, until=until,
                                        only=only, after=since)
                new = {(lapse.customer_id, lapse.at)
                       for owner in {lead.owner for lead in few}
                       for lapse in points_breakdown(RepFacts(user_id=owner), few,
                                                     period=period, now=now, tz=tz,
                                                     rules=rules, working=working).lapses}
                assert new == old, (team.tz, period, now, hours, stages, only is None)
            assert sum(len(lead.touches) for lead in few) < sum(
                len(lead.touches) for lead in every)  # earlier touches were left out
            seen += len(old)
    return seen


@pytest.mark.parametrize("rng_seed", [1, 2, 3])
def test_fast_lapses_equal_the_calendar_walk_on_sqlite(tmp_path, rng_seed: int) -> None:  # noqa: ANN001
    session, teams = worlds(f"sqlite:///{tmp_path / 'w.db'}", rng_seed)
    assert len(teams) == 3
    assert compare(session, teams, random.Random(rng_seed)) > 0  # the test can fail
    session.close()


def test_fast_lapses_equal_the_calendar_walk_on_postgres(pg_url: str) -> None:
    session, teams = worlds(pg_url, 4)
    assert compare(session, teams, random.Random(4)) > 0
    session.close()
    session.get_bind().dispose()
