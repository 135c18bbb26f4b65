"""The idle-lead facts are read in three statements; a lead another process creates between
them must not crash the report (seen in CI: a chart's reports, running after the ack, met a
CRM import's new customer: KeyError in store/idle.lead_touches)."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session

from store import db, idle
from tests.store.test_store_scoring import World, d, local


def test_a_lead_created_between_the_reads_waits_for_the_next_report(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    writer = Session(engine)  # another process's writes
    w = World(writer)
    w.customer("Acme", local(d(11, 2)))
    w.log("visit", d(11, 3), "Acme")
    team_id = w.team.id
    writer.commit()

    def between(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if "activities.recorded_at" in statement and not writer.info.get("done"):
            writer.info["done"] = True  # once: a new lead with a touch and a stage change
            w.customer("Globex", local(d(11, 4)))
            w.stage("Globex", "contacted", local(d(11, 4), 11))
            w.log("call", d(11, 4), "Globex")
            writer.commit()

    with Session(engine) as reader:
        event.listen(engine, "before_cursor_execute", between)
        try:
            leads = idle.lead_touches(reader, team_id=team_id, since=local(d(11, 1), 0),
                                      until=local(d(12, 1), 0))
        finally:
            event.remove(engine, "before_cursor_execute", between)
        assert writer.info.get("done")
        assert len(leads) == 1  # Acme; Globex is in the next report
        again = idle.lead_touches(reader, team_id=team_id, since=local(d(11, 1), 0),
                                  until=local(d(12, 1), 0))
        assert len(again) == 2
    writer.close()
    engine.dispose()
