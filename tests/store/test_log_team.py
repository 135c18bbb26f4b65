"""/log's follow-up reads the team a person logs for as plain values (store/rosters.py:
log_team): the same team as teams.team_for_user for a rep, a manager, someone on two teams,
another workspace's namesake and someone on no team."""

from __future__ import annotations

from datetime import UTC, datetime

from store import db, rosters, teams

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def test_log_team_is_team_for_user_in_plain_values(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with db.session_factory(engine)() as s:
        teams.create_team(s, workspace_id="T1", name="East", channel_id="C1",
                          managers=["UMEI"], members=["UA", "UB"], tz="Asia/Shanghai",
                          currency="CNY", now=NOW)
        # Mei manages East and is a rep on Leads: she logs for Leads (a rep's team first).
        teams.create_team(s, workspace_id="T1", name="Leads", channel_id="C2",
                          managers=["UDIR"], members=["UMEI"], tz="Europe/Berlin",
                          currency="EUR", now=NOW)
        teams.create_team(s, workspace_id="T2", name="East", channel_id="C3",
                          managers=["UX"], members=["UA"], tz="UTC", currency="USD", now=NOW)
        found = {}
        for workspace_id, user_id in [("T1", "UA"), ("T1", "UB"), ("T1", "UMEI"),
                                      ("T1", "UDIR"), ("T2", "UA"), ("T1", "UNONE"),
                                      ("T2", "UB")]:
            team = teams.team_for_user(s, workspace_id=workspace_id, user_id=user_id)
            plain = rosters.log_team(s, workspace_id=workspace_id, user_id=user_id)
            assert plain == (rosters.LogTeam(team.id, team.workspace_id, team.tz,
                                             team.currency, team.holiday_country)
                             if team else None), (workspace_id, user_id)
            found[workspace_id, user_id] = plain.currency if plain else None
        assert found == {("T1", "UA"): "CNY", ("T1", "UB"): "CNY", ("T1", "UMEI"): "EUR",
                         ("T1", "UDIR"): "EUR", ("T2", "UA"): "USD", ("T1", "UNONE"): None,
                         ("T2", "UB"): None}
    engine.dispose()
