"""Lead conversion (seed 003 线索转化率: 从潜在线索到签约客户的转化比例) as a cohort: the leads
created in the period, and how many of THOSE were won by the card's date (the period's end, or
now for a period still running): never leads won in the period divided by leads created in it,
two different groups."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from bot.scoring.facts import Period
from store import db, scoring
from tests.store.test_store_scoring import NOV, World, d, local

OCT = Period("month", d(10, 1), d(10, 31), "2026-10")


@pytest.fixture(params=["sqlite", "postgres"])
def leads(request: pytest.FixtureRequest) -> Iterator[tuple[Session, int]]:
    url = request.getfixturevalue("database_url" if request.param == "sqlite" else "pg_url")
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as session:
        w = World(session)
        w.customer("OctWonInNov", local(d(10, 20)))  # October's lead, won in November
        w.stage("OctWonInNov", "won", local(d(11, 3)))
        w.customer("NovWon", local(d(11, 2)))
        w.stage("NovWon", "won", local(d(11, 20)))
        w.customer("NovWonInDec", local(d(11, 25)))
        w.stage("NovWonInDec", "won", local(d(12, 2)))
        w.customer("NovLost", local(d(11, 5)))
        w.stage("NovLost", "lost", local(d(11, 9)), "budget")
        w.customer("NovOpen", local(d(11, 6)))
        w.customer("LastSecond", local(d(11, 30), 23, 59))  # still November in Shanghai
        w.stage("LastSecond", "won", local(d(11, 30), 23, 59))
        w.customer("BoNov", local(d(11, 7)), owner="U0BO")
        w.stage("BoNov", "won", local(d(11, 8)))
        team_id = w.team.id
    with sessions() as session:
        yield session, team_id
    engine.dispose()


def test_conversion_is_the_periods_cohort(leads: tuple[Session, int]) -> None:
    session, team_id = leads
    facts = scoring.rep_facts(session, team_id=team_id, period=NOV)
    alice = facts["U0ALICE"]
    # November's cohort: NovWon, NovWonInDec, NovLost, NovOpen, LastSecond. Won by 30 Nov:
    # NovWon and LastSecond. OctWonInNov was won in November but is October's lead.
    assert (alice.leads_created, alice.leads_won, alice.leads_lost) == (5, 2, 1)
    assert (facts["U0BO"].leads_created, facts["U0BO"].leads_won) == (1, 1)
    october = scoring.rep_facts(session, team_id=team_id, period=OCT, user_ids=["U0ALICE"])
    # October's cohort is OctWonInNov, not won by 31 Oct: 0 of 1, whatever happened later.
    assert (october["U0ALICE"].leads_created, october["U0ALICE"].leads_won) == (1, 0)
