"""A lead's event version (lead_event_versions) moves with every write of what its lapses are
computed from, whoever writes it: the database's triggers (migration 0029) on its logs, its
stage changes, the customer columns the rule reads, and the undo of a log whose stage changes
another lead holds. Kept lapses (store/lapse_store.py) are written whole, once per lead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, text, update
from sqlmodel import Session, select

from store import lapse_store
from store.models import Activity, Customer, LeadEventVersion, LeadLapse, StageChange, Team
from tests.conftest import migrated_engine

NOW = datetime(2026, 11, 18, 2, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request, tmp_path):  # noqa: ANN001, ANN201
    engine = migrated_engine(request, tmp_path, request.param)
    with Session(engine) as session:
        session.execute(text("INSERT INTO workspaces (id, name, created_at)"
                             " VALUES ('T1', 'acme', :now)"), {"now": NOW})
        team = Team(workspace_id="T1", name="east", tz="Asia/Shanghai", created_at=NOW)
        session.add(team)
        session.flush()
        leads = []
        for name in ("a", "b"):
            lead = Customer(workspace_id="T1", team_id=team.id, name=name, key=name,
                            owner_user_id="U1", created_at=NOW, stage_changed_at=NOW)
            session.add(lead)
            session.flush()
            leads.append(lead.id)
        session.commit()
        yield engine, session, team.id, leads
    engine.dispose()


def _versions(session: Session) -> dict[int, int]:
    V = LeadEventVersion.__table__
    return dict(session.execute(select(V.c.customer_id, V.c.version)).all())


def test_every_write_of_a_leads_events_moves_its_version(world) -> None:  # noqa: ANN001
    engine, session, team_id, (a, b) = world
    A, SC, C = Activity.__table__, StageChange.__table__, Customer.__table__
    seen = _versions(session)

    def moved(*statements) -> set[int]:  # noqa: ANN002
        nonlocal seen
        for statement in statements:
            session.execute(statement)
        session.commit()  # PostgreSQL bumps at the commit
        now = _versions(session)
        changed = {lead for lead in now if now[lead] != seen.get(lead)}
        seen = now
        return changed

    log = {"workspace_id": "T1", "user_id": "U1", "team_id": team_id, "kind": "call",
           "count": 1, "customer_id": a, "occurred_on": date(2026, 11, 17), "text": "call",
           "source": "t:1", "recorded_at": NOW}
    assert moved(insert(A).values(**log)) == {a}
    log_id = session.execute(select(func.max(A.c.id))).scalar()
    # A stage change the log caused, held by the other lead (the log since relinked).
    assert moved(insert(SC).values(customer_id=b, to_stage="contacted", cause=f"log:{log_id}",
                                   at=NOW)) == {b}
    change = session.execute(select(func.max(SC.c.id))).scalar()
    assert moved(update(A).where(A.c.id == log_id).values(note="a note")) == set()
    assert moved(update(A).where(A.c.id == log_id)
                 .values(occurred_on=date(2026, 11, 16))) == {a}
    assert moved(update(A).where(A.c.id == log_id)
                 .values(recorded_at=NOW + timedelta(hours=1))) == {a}
    assert moved(update(A).where(A.c.id == log_id).values(deleted_at=NOW)) == {a, b}  # undo
    assert moved(update(A).where(A.c.id == log_id).values(customer_id=b)) == {a, b}
    assert moved(delete(A).where(A.c.id == log_id)) == {b}
    assert moved(update(SC).where(SC.c.id == change).values(to_stage="won")) == {b}
    assert moved(delete(SC).where(SC.c.id == change)) == {b}
    for column, value in [("stage", "won"), ("stage_changed_at", NOW + timedelta(days=1)),
                          ("created_at", NOW - timedelta(days=1)), ("owner_user_id", "U2"),
                          ("team_id", team_id)]:
        assert moved(update(C).where(C.c.id == a).values({column: value})) == {a}, column
    assert moved(update(C).where(C.c.id == a).values(tier="key", name="A")) == set()
    assert moved(delete(C).where(C.c.id == b)) == {b}


def test_kept_lapses_replace_the_leads_last_ones(world) -> None:  # noqa: ANN001
    engine, session, _, (a, b) = world
    at = [NOW + timedelta(days=d) for d in range(3)]
    assert lapse_store.keep(engine, {a: (0, "fp", NOW, at), b: (2, "fp", NOW, [])})
    assert lapse_store.keep(engine, {a: (1, "fp2", NOW, at[1:])})
    M = LeadLapse.__table__
    rows = session.execute(select(M.c.customer_id, M.c.at).order_by(M.c.at)).all()
    assert [(lead, lapse_store._moment(moment)) for lead, moment in rows] == [
        (a, moment) for moment in at[1:]]
    S = lapse_store.S
    assert dict(session.execute(select(S.c.customer_id, S.c.version)).all()) == {a: 1, b: 2}
    with engine.connect() as conn:  # a session on its caller's connection: nothing kept
        assert not lapse_store.keep(conn, {a: (5, "fp", NOW, [])})
    assert dict(session.execute(select(S.c.customer_id, S.c.version)).all()) == {a: 1, b: 2}
    # A lead deleted meanwhile: nothing kept, nothing raised.
    assert not lapse_store.keep(engine, {10**6: (0, "fp", NOW, at)})
