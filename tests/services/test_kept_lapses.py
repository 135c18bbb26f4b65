"""A report's idle-lead lapses come from the kept ones (bot/services/kept_lapses.py) and must be
exactly what computing every lead afresh gives (the report's own path when the store cannot
serve: `report_lapses_many` -> None), after any write through the real store functions: a
back-dated log, an undone log, a lead won and reopened, leave, a day off, a new zone, new
rules. Worlds from benchmarks/seed.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text, update
from sqlmodel import Session, select

import bot.services.reports as reports
from bot.calendar.periods import PERIOD_OF
from bot.grammar.kinds import LogEntry
from bot.scoring.rules import DEFAULT_RULES
from bot.services import kept_lapses
from store import activity, away, customers, lapse_store, teams
from store.models import Customer, Team
from tests.conftest import seeded_engine

END = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
CASES = [("month", date(2026, 11, 1), NOW),
         ("month", date(2026, 11, 1), datetime(2026, 11, 16, 13, 17, tzinfo=UTC)),
         ("week", date(2026, 11, 9), datetime(2026, 11, 20, 4, tzinfo=UTC)),
         ("quarter", date(2026, 7, 1), datetime(2026, 10, 2, 1, tzinfo=UTC))]


def _fresh(session: Session, teams_: list[Team], period, now, monkeypatch) -> dict:  # noqa: ANN001
    with monkeypatch.context() as m:
        m.setattr(reports, "report_lapses_many", lambda *_a, **_k: None)
        return reports.team_reports(session, teams=teams_, period=period, now=now)


def _same(session: Session, teams_: list[Team], monkeypatch) -> int:  # noqa: ANN001
    """Every case's reports, from the store and afresh, equal; the lapses charged."""
    charged = 0
    for kind, day, now in CASES:
        period = PERIOD_OF[kind](day)
        kept = reports.team_reports(session, teams=teams_, period=period, now=now)
        assert kept == _fresh(session, teams_, period, now, monkeypatch), (kind, now)
        team = teams_[0]
        assert reports.team_report(session, team=team, period=period, now=now) == kept[team.id]
        charged += sum(len(r.points.lapses) for t in kept.values() for r in t.reps.values())
    return charged


def _stale(session: Session, teams_: list[Team], period, now) -> int:  # noqa: ANN001
    rules = {t.id: reports.rules_for(session, t.id) for t in teams_}
    views = {}
    for t in teams_:
        _, until, after = reports._lead_window(t, period, now)
        off = teams.day_off_dates(session, team_id=t.id)
        views[t.id] = lapse_store.Window(start=after, end=until, fingerprint=(
            kept_lapses.fingerprint(t, off, rules[t.id])))
    return sum(len(k.stale) for k in lapse_store.read(session, windows=views).values())


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_kept_lapses_equal_a_fresh_computation_after_every_kind_of_write(
        request, tmp_path, monkeypatch, dialect: str) -> None:  # noqa: ANN001
    engine = seeded_engine(request, tmp_path, dialect, reps=40, days=200, end=END, rng_seed=5)
    if dialect == "postgresql":  # the seed sets ids itself: move the sequences on
        with engine.begin() as conn:
            for table in ("customers", "activities", "lead_stage_changes"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                  f" (SELECT coalesce(max(id), 0) + 1 FROM {table}))"))
    with Session(engine) as session:
        teams_ = list(session.exec(select(Team).order_by(Team.id)).all())
        team = teams_[0]
        month = PERIOD_OF["month"](date(2026, 11, 1))
        assert _stale(session, teams_, month, NOW) > 0  # nothing kept yet
        assert _same(session, teams_, monkeypatch) > 0
        assert _stale(session, teams_, month, NOW) == 0  # all kept by the reports

        def lead(stage: str, n: int = 0) -> Customer:
            return session.exec(select(Customer).where(
                Customer.team_id == team.id, Customer.stage == stage,
                Customer.owner_user_id.is_not(None)).order_by(Customer.id)).all()[n]

        # A back-dated log (recorded in December for 10 November) on a quiet lead.
        quiet = lead("lead")
        at = datetime(2026, 12, 2, 3, tzinfo=UTC)
        entry = LogEntry(kind="call", count=1, customer=quiet.name, day=date(2026, 11, 10),
                         amount=None, new_customer=None, note=None)
        saved = activity.add(session, workspace_id=team.workspace_id,
                             user_id=quiet.owner_user_id, team_id=team.id, entry=entry,
                             text="call", source="test:backdated", now=at)
        customers.link_activity(session, saved.activity, team_id=team.id, customer=quiet,
                                touched_at=datetime(2026, 11, 10, 15, 59, 59, tzinfo=UTC))
        session.commit()
        assert _stale(session, teams_, month, NOW) == 1
        _same(session, teams_, monkeypatch)
        # The same log undone.
        activity.soft_delete(session, activity=saved.activity, now=at + timedelta(hours=1))
        customers.unlink_undone(session, saved.activity, now=at + timedelta(hours=1))
        session.commit()
        _same(session, teams_, monkeypatch)
        # A lead won in November, then reopened.
        moved = lead("contacted")
        customers.set_stage(session, moved, stage="won", now=datetime(2026, 11, 3, tzinfo=UTC),
                            by_user_id=None)
        session.commit()
        _same(session, teams_, monkeypatch)
        customers.set_stage(session, moved, stage="contacted",
                            now=datetime(2026, 11, 20, tzinfo=UTC), by_user_id=None)
        session.commit()
        _same(session, teams_, monkeypatch)
        # Leave for a rep, a day off for the team, a new zone, new rules.
        away.add(session, workspace_id=team.workspace_id, user_id=quiet.owner_user_id,
                 first=date(2026, 11, 9), last=date(2026, 11, 13), reason="leave",
                 set_by="U0BOSS", now=at)
        session.commit()
        _same(session, teams_, monkeypatch)
        teams.add_day_off(session, workspace_id=team.workspace_id, name=team.name,
                          day=date(2026, 11, 12))
        session.commit()
        _same(session, teams_, monkeypatch)
        teams.set_tz(session, workspace_id=team.workspace_id, name=team.name,
                     tz="Pacific/Auckland")
        session.commit()
        _same(session, teams_, monkeypatch)
        teams.set_rule_overrides(session, team_id=team.id,
                                 overrides={"points": {"idle_lead_hours": 24}})
        session.commit()
        _same(session, teams_, monkeypatch)
    engine.dispose()


def test_a_session_that_wrote_computes_afresh_and_keeps_nothing(tmp_path, request) -> None:  # noqa: ANN001
    engine = seeded_engine(request, tmp_path, "sqlite", reps=20, days=60, end=END, rng_seed=2)
    with Session(engine) as session:
        teams_ = list(session.exec(select(Team).order_by(Team.id)).all())
        session.execute(update(Customer).where(Customer.id == -1).values(name="x"))
        period = PERIOD_OF["month"](END)
        assert lapse_store.has_written(session)
        assert kept_lapses.report_lapses_many(
            session, teams_=teams_, rules={t.id: DEFAULT_RULES for t in teams_},
            windows={t.id: reports._lead_window(t, period, NOW) for t in teams_},
            away_days=(period.start, period.end), now=NOW) is None
        session.rollback()
        assert not lapse_store.has_written(session)
        assert kept_lapses.report_lapses_many(
            session, teams_=teams_, rules={t.id: DEFAULT_RULES for t in teams_},
            windows={t.id: reports._lead_window(t, period, NOW) for t in teams_},
            away_days=(period.start, period.end),
            now=lapse_store.HORIZON + timedelta(seconds=1)) is None
    engine.dispose()


def test_every_part_of_the_calendar_is_in_the_fingerprint(monkeypatch) -> None:  # noqa: ANN001
    team = Team(id=1, workspace_id="T1", name="east", tz="Asia/Shanghai", holiday_country="CN")
    off = [date(2026, 11, 12)]
    base = kept_lapses.fingerprint(team, off, DEFAULT_RULES)
    points = DEFAULT_RULES.points
    changed = [
        kept_lapses.fingerprint(Team(**{**team.model_dump(), "tz": "Asia/Tokyo"}), off,
                                DEFAULT_RULES),
        kept_lapses.fingerprint(Team(**{**team.model_dump(), "holiday_country": "US"}), off,
                                DEFAULT_RULES),
        kept_lapses.fingerprint(team, [*off, date(2026, 11, 13)], DEFAULT_RULES),
        kept_lapses.fingerprint(team, off, replace(DEFAULT_RULES, points=replace(
            points, idle_lead_hours=24))),
        kept_lapses.fingerprint(team, off, replace(DEFAULT_RULES, points=replace(
            points, idle_lead_stages=("lead",)))),
    ]
    with monkeypatch.context() as m:
        m.setattr(kept_lapses, "_holidays_version", lambda: "0.0")
        changed.append(kept_lapses.fingerprint(team, off, DEFAULT_RULES))
    with monkeypatch.context() as m:
        m.setattr(kept_lapses, "_zone_data", lambda _key: "other rules")
        changed.append(kept_lapses.fingerprint(team, off, DEFAULT_RULES))
    with monkeypatch.context() as m:
        m.setattr(kept_lapses, "RULE_VERSION", "next")
        changed.append(kept_lapses.fingerprint(team, off, DEFAULT_RULES))
    assert base == kept_lapses.fingerprint(team, list(off), DEFAULT_RULES)
    assert len({base, *changed}) == len(changed) + 1
    assert kept_lapses._zone_data("Asia/Shanghai") != kept_lapses._zone_data("Asia/Tokyo")
    assert kept_lapses._zone_data("Nowhere/Atlantis") == "?"


def test_a_failed_write_leaves_the_report_whole(tmp_path, request, monkeypatch) -> None:  # noqa: ANN001
    engine = seeded_engine(request, tmp_path, "sqlite", reps=20, days=60, end=END, rng_seed=2)
    # The same database, read-only, for the kept lapses' own connection.
    path = engine.url.database
    read_only = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    real = lapse_store.keep
    kept = []
    monkeypatch.setattr(lapse_store, "keep",
                        lambda _engine, results: kept.append(real(read_only, results)))
    with Session(engine) as session:
        teams_ = list(session.exec(select(Team).order_by(Team.id)).all())
        period = PERIOD_OF["month"](END)
        expected = _fresh(session, teams_, period, NOW, monkeypatch)
        assert reports.team_reports(session, teams=teams_, period=period, now=NOW) == expected
        assert kept == [False]
        assert _stale(session, teams_, period, NOW) > 0  # nothing was kept
    read_only.dispose()
    engine.dispose()


def test_leave_written_after_the_lapses_were_read_is_computed_as_before(
        tmp_path, request, monkeypatch) -> None:  # noqa: ANN001
    """A rep's away spell the lapse read did not see (written in between): the report reads
    the team's leads afresh, on the rep's own calendar."""
    engine = seeded_engine(request, tmp_path, "sqlite", reps=20, days=60, end=END, rng_seed=4)
    with Session(engine) as session:
        team = session.exec(select(Team).order_by(Team.id)).first()
        rep = session.exec(select(Customer.owner_user_id).where(
            Customer.team_id == team.id, Customer.owner_user_id.is_not(None))).first()
        away.add(session, workspace_id=team.workspace_id, user_id=rep, first=date(2026, 11, 9),
                 last=date(2026, 11, 20), reason="leave", set_by="U0BOSS", now=NOW)
        session.commit()
        period = PERIOD_OF["month"](END)
        expected = _fresh(session, [team], period, NOW, monkeypatch)[team.id]
        monkeypatch.setattr(lapse_store, "away_owners", lambda *_a, **_k: {})
        assert reports.team_report(session, team=team, period=period, now=NOW) == expected
        kept = reports.team_reports(session, teams=[team], period=period, now=NOW)
        assert kept[team.id] == expected
        # Taken from the store, the rep's lapses would be the team calendar's: not theirs.
        found = kept_lapses.report_lapses_many(
            session, teams_=[team], rules={team.id: DEFAULT_RULES},
            windows={team.id: reports._lead_window(team, period, NOW)},
            away_days=(period.start, period.end), now=NOW)[team.id].found
        assert sorted(at for _, at in found[rep]) != [
            lapse.at for lapse in expected.reps[rep].points.lapses]
    engine.dispose()
