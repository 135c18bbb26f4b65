"""On PostgreSQL a long transaction writing a team's logs (`pacer import`: one transaction,
all or nothing) does not hold up the team's `/log`s: the triggers that count a team's log
changes (store/history.py's cache key) bump its `activity_revisions` row at commit (migration
0027), not at the first write. Both changes are still counted."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from bot.grammar.log import parse_log
from store import db, history, log_inserts, teams

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def _log(connection, team_id: int, source: str) -> None:  # noqa: ANN001
    entry = parse_log("visit Acme", now=NOW, tz=ZoneInfo("Asia/Shanghai"), currency="CNY",
                      customers=[], rep_lang="en").entry
    log_inserts.insert_once(connection, workspace_id="T0ACME", user_id="U0BO", team_id=team_id,
                         entry=entry, text="visit Acme", source=source, now=NOW)


def test_a_long_transaction_on_a_teams_logs_does_not_hold_up_its_next_log(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    try:
        db.upgrade(engine)
        with Session(engine) as session:
            team_id = teams.create_team(session, workspace_id="T0ACME", name="East",
                                        channel_id="C0SALES", managers=["U0MEI"],
                                        members=["U0BO"], tz="Asia/Shanghai", currency="CNY",
                                        now=NOW).id
            session.commit()
        with engine.connect() as importing:
            long = importing.begin()
            _log(importing, team_id, "import:1")  # written, not yet committed
            with engine.begin() as quick:  # a /log meanwhile: refused after 1 s if held
                quick.execute(text("SET LOCAL lock_timeout = '1s'"))
                _log(quick, team_id, "trigger-1")
            long.commit()
        with Session(engine) as session:
            assert history.revisions(session, [team_id]) == {team_id: 2}  # both counted
    finally:
        engine.dispose()
