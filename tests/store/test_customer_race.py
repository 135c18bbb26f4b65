"""Two reps' logs name the same new customer at the same moment, settled in two transactions
at once (two follow-up threads, or two processes): one customer is made, both logs link to
it, and neither transaction fails (store/customers.py: _create_unless_made). Before, the
second INSERT met the unique key and its whole batch of follow-ups failed."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store import customers, db
from store.models import Activity, Customer, StageChange
from store.teams import create_team

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, database_url: str) -> Engine:
    url = database_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = db.make_engine(url)
    db.upgrade(engine)
    return engine


def _log(session: Session, team_id: int, user_id: str, source: str) -> Activity:
    row = Activity(workspace_id="T1", user_id=user_id, team_id=team_id, kind="visit", count=1,
                   customer="Globex  Corp", occurred_on=date(2026, 11, 18), source=source,
                   text="visit Globex Corp", recorded_at=NOW)
    session.add(row)
    session.flush()
    return row


def test_the_second_of_two_at_once_links_to_the_first_ones_customer(engine: Engine) -> None:
    with Session(engine) as session:
        team_id = create_team(session, workspace_id="T1", name="East", channel_id="C1",
                              managers=["U0MEI"], members=["U0ALICE", "U0BO"],
                              tz="Asia/Shanghai", currency="CNY", now=NOW).id
        session.commit()
    first, second = Session(engine), Session(engine)
    alice = _log(first, team_id, "U0ALICE", "t1")
    made = customers.link_activity(first, alice, team_id=team_id, touched_at=NOW, new=True)
    assert made.created  # ... and not yet committed when Bo's follow-up makes the same name

    bo_linked: list[customers.Link] = []
    errors: list[BaseException] = []

    def bo() -> None:
        try:
            row = _log(second, team_id, "U0BO", "t2")
            bo_linked.append(customers.link_activity(second, row, team_id=team_id,
                                                     touched_at=NOW, new=True))
            second.commit()
        except BaseException as error:  # noqa: BLE001 - the test's own report below
            errors.append(error)

    racing = threading.Thread(target=bo)
    racing.start()
    racing.join(0.5)  # its INSERT waits for Alice's transaction (or for the writer lock)
    assert racing.is_alive()
    first.commit()
    racing.join(10)
    first.close()
    second.close()
    assert errors == []
    assert not bo_linked[0].created
    with Session(engine) as session:
        made_ones = session.exec(select(Customer)).all()
        assert [c.name for c in made_ones] == ["Globex  Corp"]
        links = session.exec(select(Activity.customer_id).order_by(Activity.source)).all()
        assert links == [made_ones[0].id, made_ones[0].id]
        assert session.exec(select(func.count()).select_from(StageChange).where(
            StageChange.from_stage.is_(None))).one() == 1  # made once


def test_an_error_not_of_the_names_key_is_raised(engine: Engine) -> None:
    """Only the name's unique key means another made it: any other IntegrityError (here a
    team that does not exist) is raised, not answered with a customer."""
    with Session(engine) as session:
        team_id = create_team(session, workspace_id="T1", name="East", channel_id="C1",
                              managers=["U0MEI"], members=["U0ALICE"], tz="Asia/Shanghai",
                              currency="CNY", now=NOW).id
        row = _log(session, team_id, "U0ALICE", "t1")
        with pytest.raises(IntegrityError):
            customers.link_activity(session, row, team_id=team_id + 1, touched_at=NOW,
                                    new=True)
        assert row.customer_id is None
