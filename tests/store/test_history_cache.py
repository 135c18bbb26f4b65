"""The reps' 12-month history is remembered between reports (store/history.py) until the
team's logs change: the database's triggers (migration 0025) count every change, whoever makes
it, and a report after a change reads the history again. Closed months do change: an import
re-run with a corrected amount edits a log of a closed month in place."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, select

from benchmarks.seed import seed
from store import history, imports
from store.models import Activity, Team
from tests.conftest import migrated_engine

END = date(2026, 11, 30)
QUARTER = date(2026, 10, 1)  # Q4's forecast: the twelve months to September


def fresh(session: Session, teams: list[Team]) -> dict[int, list]:
    return {t.id: history.members(session, team_id=t.id, history_end=QUARTER)
            for t in teams}


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):  # noqa: ANN001, ANN201
    engine = migrated_engine(request, tmp_path, request.param)
    seed(engine, reps=40, days=200, end=END, rng_seed=3)
    if request.param == "postgresql":  # the seed sets ids itself: move the sequences on
        with engine.begin() as conn:
            for table in ("customers", "activities", "lead_stage_changes"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                  f" (SELECT max(id) FROM {table}))"))
    with Session(engine) as session:
        yield session, list(session.exec(select(Team).order_by(Team.id)).all())
    engine.dispose()


def test_an_import_that_edits_a_closed_month_is_read_again(world, monkeypatch) -> None:  # noqa: ANN001
    session, teams = world
    ids = [t.id for t in teams]
    first = history.members_many(session, team_ids=ids, history_end=QUARTER)
    assert first == fresh(session, teams)

    def unread(*_args: object) -> object:
        raise AssertionError("the history was read again with nothing changed")

    real = history.history_of
    monkeypatch.setattr(history, "history_of", unread)
    assert history.members_many(session, team_ids=ids, history_end=QUARTER) == first

    team = teams[0]
    rep = first[team.id][0].user_id
    row = imports.ActivityRow(line=2, external_id="D-1", day=date(2026, 8, 14), user_id=rep,
                              customer="Closed Month Co", amount=Decimal("1000"))
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    imports.apply_activities(session, team=team, kind="deal", source_prefix="crm:",
                             rows=[row], text="import", now=now)
    session.commit()
    monkeypatch.setattr(history, "history_of", real)
    added = history.members_many(session, team_ids=ids, history_end=QUARTER)
    assert added == fresh(session, teams) != first

    # The same deal re-imported with its amount corrected: the log is edited in place.
    fixed = imports.ActivityRow(line=2, external_id="D-1", day=date(2026, 8, 14), user_id=rep,
                                customer="Closed Month Co", amount=Decimal("7000"))
    out = imports.apply_activities(session, team=team, kind="deal", source_prefix="crm:",
                                   rows=[fixed], text="import", now=now)
    session.commit()
    assert out.updated == 1
    edited = history.members_many(session, team_ids=ids, history_end=QUARTER)
    assert edited == fresh(session, teams) != added
    sales = {m.user_id: m.history["sales"] for m in edited[team.id]}
    before = {m.user_id: m.history["sales"] for m in added[team.id]}
    assert sales[rep][-2] - before[rep][-2] == Decimal("6000")  # August, of Oct..Sep
    # The other teams' logs did not change: theirs are the remembered ones.
    assert all(edited[t] is not added[t] and edited[t] == added[t] for t in ids[1:])


def test_every_kind_of_write_to_a_teams_logs_moves_its_revision(world) -> None:  # noqa: ANN001
    session, teams = world
    team, other = teams[0].id, teams[1].id
    A = Activity.__table__

    def moved(write) -> set[int]:  # noqa: ANN001
        before = history.revisions(session, [team, other])
        write()
        session.commit()
        after = history.revisions(session, [team, other])
        return {t for t in before if after[t] != before[t]}

    log = session.execute(select(A.c.id).where(A.c.team_id == team).limit(1)).scalar()
    assert moved(lambda: session.execute(update(A).where(A.c.id == log)
                                         .values(amount=Decimal("1")))) == {team}
    assert moved(lambda: session.execute(update(A).where(A.c.id == log)
                                         .values(deleted_at=datetime(2026, 12, 1)))) == {team}
    assert moved(lambda: session.execute(update(A).where(A.c.id == log)
                                         .values(team_id=other))) == {team, other}
    assert moved(lambda: session.execute(update(A).where(A.c.id == log)
                                         .values(settle_pending=True))) == set()
    assert moved(lambda: session.execute(A.delete().where(A.c.id == log))) == {other}
    assert moved(lambda: session.add(Activity(
        workspace_id=teams[0].workspace_id, team_id=team, user_id="U1", kind="call",
        occurred_on=date(2026, 3, 2), source="t:1", recorded_at=datetime(2026, 3, 2, 9),
    ))) == {team}
    triggers = session.execute(text(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
        " AND name LIKE 'activity_revision_%'" if session.get_bind().dialect.name == "sqlite"
        else "SELECT count(*) FROM information_schema.triggers"
        " WHERE trigger_name LIKE 'activity_revision_%'")).scalar()
    assert triggers == 3  # a later migration that copies `activities` must put them back


def test_the_unpacked_numbers_kept_are_forgotten_past_the_bound(monkeypatch) -> None:  # noqa: ANN001
    from decimal import Decimal  # noqa: PLC0415

    from store import history as kept  # noqa: PLC0415

    monkeypatch.setattr(kept, "_DECIMALS_KEPT", 3)
    numbers = kept._Decimals(kept._count)
    assert [numbers[n] for n in (1, 2, 3, kept._NOTHING)] == [Decimal(1), Decimal(2),
                                                               Decimal(3), kept.ZERO]
    assert numbers[kept._NOTHING] is kept.ZERO and len(numbers) <= 3
    assert str(kept._Decimals(kept._cents)[12345]) == "123.45"
