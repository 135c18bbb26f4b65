"""On-time collection (seed 003 回款及时率: 实际回款额与应回款额的比值, 重点考核逾期回款占比):
every receivable due in the period counts, paid or not; payments count as on time up to what
was owed by the due date."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlmodel import Session

from bot.scoring.facts import Period
from store import db, scoring
from tests.store.test_store_scoring import NOV, World, d, local

OCT = Period("month", d(10, 1), d(10, 31), "2026-10")


@pytest.fixture(params=["sqlite", "postgres"])
def book(request: pytest.FixtureRequest) -> Iterator[tuple[Session, int]]:
    url = request.getfixturevalue("database_url" if request.param == "sqlite" else "pg_url")
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as session:
        w = World(session)
        for name in ("Acme", "Globex", "Hooli", "Pied", "Initech"):
            w.customer(name, local(d(8, 1)))
        # Acme owes 80k by 20 Nov: 50k on time, 30k after: 50k of 80k on time.
        w.log("receivable", d(11, 1), "Acme", amount=80_000, due_on=d(11, 20))
        w.log("payment", d(11, 10), "Acme", amount=50_000, due=80_000, due_on=d(11, 20))
        w.log("payment", d(11, 25), "Acme", amount=30_000, due=80_000, due_on=d(11, 20))
        # Globex owes 40k by 30 Nov (the period's last day) and paid nothing: overdue, unpaid.
        w.log("receivable", d(11, 2), "Globex", amount=40_000, due_on=d(11, 30))
        # Hooli owes 10k by 1 December: not due in November, whatever happens.
        w.log("receivable", d(11, 3), "Hooli", amount=10_000, due_on=d(12, 1))
        # Pied: a payment naming what it pays, on the due date itself (on time), overpaid.
        w.log("payment", d(11, 15), "Pied", amount=12_000, due=10_000, due_on=d(11, 15))
        # Initech: an invoice with no due date is due on its day (31 Oct: October's).
        w.log("receivable", d(10, 31), "Initech", amount=5_000)
        # A payment with no due date is money collected, not judged for timeliness.
        w.log("payment", d(11, 16), "Initech", amount=5_000)
        team_id = w.team.id
    with sessions() as session:
        yield session, team_id
    engine.dispose()


def test_receivables_due_in_the_period_count_paid_or_not(book: tuple[Session, int]) -> None:
    session, team_id = book
    facts = scoring.rep_facts(session, team_id=team_id, period=NOV, user_ids=["U0ALICE"])
    alice = facts["U0ALICE"]
    assert alice.due_total == Decimal(80_000 + 40_000 + 10_000)
    assert alice.paid_on_time == Decimal(50_000 + 10_000)
    assert alice.collected == Decimal(50_000 + 30_000 + 12_000 + 5_000)
    october = scoring.rep_facts(session, team_id=team_id, period=OCT, user_ids=["U0ALICE"])
    assert (october["U0ALICE"].due_total, october["U0ALICE"].paid_on_time) == (
        Decimal(5_000), Decimal(0))  # Initech's invoice, paid only in November


def test_the_receivable_due_after_the_period_waits(book: tuple[Session, int]) -> None:
    session, team_id = book
    dec = Period("month", d(12, 1), d(12, 31), "2026-12")
    facts = scoring.rep_facts(session, team_id=team_id, period=dec, user_ids=["U0ALICE"])
    assert (facts["U0ALICE"].due_total, facts["U0ALICE"].paid_on_time) == (
        Decimal(10_000), Decimal(0))


def test_receivables_per_rep_of_everyone_or_of_some(book: tuple[Session, int]) -> None:
    """`receivables` on its own: every rep with something due, or only the ones asked for."""
    session, team_id = book
    both = (Decimal(80_000 + 40_000 + 10_000), Decimal(50_000 + 10_000))
    assert scoring.receivables(session, team_id=team_id, period=NOV) == {"U0ALICE": both}
    assert scoring.receivables(session, team_id=team_id, period=NOV,
                               user_ids=["U0ALICE"]) == {"U0ALICE": both}
    assert scoring.receivables(session, team_id=team_id, period=NOV, user_ids=["U0BOB"]) == {}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_logs_count_in_the_order_they_were_made(backend: str,
                                                    request: pytest.FixtureRequest) -> None:
    """An invoice without a due date (due on its day) and, logged after it, the payment that
    names it: owed once and paid on time, as the logs were made. The two come out of the
    database by different indexes (one by day, one by due date; SQLite hands the second's
    first), so `_receivables` sorts them: the other way round the invoice is owed twice."""
    url = request.getfixturevalue("database_url" if backend == "sqlite" else "pg_url")
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.session_factory(engine)() as session:
        w = World(session)
        w.customer("Umbrella", local(d(8, 1)))
        w.log("receivable", d(11, 20), "Umbrella", amount=10_000)
        w.log("payment", d(11, 19), "Umbrella", amount=10_000, due=10_000, due_on=d(11, 20))
        assert scoring.receivables(session, team_id=w.team.id, period=NOV) == {
            "U0ALICE": (Decimal(10_000), Decimal(10_000))}
    engine.dispose()
