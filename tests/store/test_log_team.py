"""/log's follow-up reads the team a person logs for as plain values (store/rosters.py:
log_team): the same team as teams.team_for_user for a rep, a manager, someone on two teams,
another workspace's namesake and someone on no team."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from store import away, changes, customers, db, rosters, teams
from store.models import StageChange
from store.workspaces import ensure_workspace

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def test_log_team_is_team_for_user_in_plain_values(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with db.session_factory(engine)() as s:
        teams.create_team(
            s,
            workspace_id="T1",
            name="East",
            channel_id="C1",
            managers=["UMEI"],
            members=["UA", "UB"],
            tz="Asia/Shanghai",
            currency="CNY",
            now=NOW,
        )
        # Mei manages East and is a rep on Leads: she logs for Leads (a rep's team first).
        teams.create_team(
            s,
            workspace_id="T1",
            name="Leads",
            channel_id="C2",
            managers=["UDIR"],
            members=["UMEI"],
            tz="Europe/Berlin",
            currency="EUR",
            now=NOW,
        )
        teams.create_team(
            s,
            workspace_id="T2",
            name="East",
            channel_id="C3",
            managers=["UX"],
            members=["UA"],
            tz="UTC",
            currency="USD",
            now=NOW,
        )
        found = {}
        for workspace_id, user_id in [
            ("T1", "UA"),
            ("T1", "UB"),
            ("T1", "UMEI"),
            ("T1", "UDIR"),
            ("T2", "UA"),
            ("T1", "UNONE"),
            ("T2", "UB"),
        ]:
            team = teams.team_for_user(s, workspace_id=workspace_id, user_id=user_id)
            plain = rosters.log_team(s, workspace_id=workspace_id, user_id=user_id)
            assert plain == (
                rosters.LogTeam(
                    team.id, team.workspace_id, team.tz, team.currency, team.holiday_country
                )
                if team
                else None
            ), (workspace_id, user_id)
            found[workspace_id, user_id] = plain.currency if plain else None
        assert found == {
            ("T1", "UA"): "CNY",
            ("T1", "UB"): "CNY",
            ("T1", "UMEI"): "EUR",
            ("T1", "UDIR"): "EUR",
            ("T2", "UA"): "USD",
            ("T1", "UNONE"): None,
            ("T2", "UB"): None,
        }
    engine.dispose()


def test_one_persons_away_spells_read_as_in_a_read_of_many(database_url: str) -> None:
    """store/away.py: spans reads one person (each /log confirmation) by its own statement."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    week = {"start": date(2026, 11, 16), "end_day": date(2026, 11, 22)}
    spells = {
        "UA": [(date(2026, 11, 20), date(2026, 11, 30)), (date(2026, 11, 1), date(2026, 11, 16))],
        "UB": [(date(2026, 11, 18), date(2026, 11, 18))],
        "UC": [(date(2026, 11, 23), date(2026, 11, 25))],  # after the week
    }
    with db.session_factory(engine)() as s:
        for workspace_id in ("T1", "T2"):
            ensure_workspace(s, workspace_id=workspace_id, now=NOW)
        for user_id, found in spells.items():
            for first, last in found:
                away.add(
                    s,
                    workspace_id="T1",
                    user_id=user_id,
                    first=first,
                    last=last,
                    reason="",
                    set_by=user_id,
                    now=NOW,
                )
        away.add(
            s,
            workspace_id="T2",
            user_id="UA",
            first=date(2026, 11, 17),
            last=date(2026, 11, 17),
            reason="",
            set_by="UA",
            now=NOW,
        )
        many = away.spans(s, workspace_id="T1", user_ids=["UA", "UB", "UC", "UD"], **week)
        assert many == {
            "UA": (
                (date(2026, 11, 1), date(2026, 11, 16)),
                (date(2026, 11, 20), date(2026, 11, 30)),
            ),
            "UB": ((date(2026, 11, 18), date(2026, 11, 18)),),
        }
        for user_id in ("UA", "UB", "UC", "UD"):
            one = away.spans(s, workspace_id="T1", user_ids=[user_id], **week)
            assert one == ({user_id: many[user_id]} if user_id in many else {}), user_id
    engine.dispose()


def test_the_customer_names_count_moves_for_names_not_for_touches(database_url: str) -> None:
    """store/changes.py: /log's cache of customer names (bot/services/log_cache.py) is read
    again after a customer is added, renamed or removed, not after a log touches one."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as s:
        team = teams.create_team(
            s,
            workspace_id="T1",
            name="East",
            channel_id="C1",
            managers=["UMEI"],
            members=["UA"],
            tz="UTC",
            currency="CNY",
            now=NOW,
        )
        team_id = team.id

    def moved(change) -> bool:  # noqa: ANN001
        before = changes.count(engine, changes.CUSTOMERS)
        with sessions() as s:
            change(s)
        return changes.count(engine, changes.CUSTOMERS) != before

    def add(s) -> None:  # noqa: ANN001
        customers.create(
            s, workspace_id="T1", team_id=team_id, name="Acme", owner_user_id="UA", now=NOW
        )

    def acme(s):  # noqa: ANN001, ANN202
        return customers.match(s, team_id=team_id, name="Acme").exact

    def touch(s) -> None:  # noqa: ANN001
        customers.touch(s, acme(s), kind="visit", at=NOW, by_user_id="UA", cause="log:1")

    def rename(s) -> None:  # noqa: ANN001
        row = acme(s)
        row.name, row.key = "Acme Corp", customers.name_key("Acme Corp")
        s.add(row)

    def add_globex(s) -> None:  # noqa: ANN001
        customers.create(
            s, workspace_id="T1", team_id=team_id, name="Globex", owner_user_id="UA", now=NOW
        )

    def remove(s) -> None:  # noqa: ANN001
        row = customers.match(s, team_id=team_id, name="Globex").exact
        for change in s.exec(select(StageChange).where(StageChange.customer_id == row.id)):
            s.delete(change)
        s.flush()
        s.delete(row)

    assert moved(add)
    assert not moved(touch)  # its last touch and stage change, not its name
    with sessions() as s:
        assert acme(s).stage != "lead"  # the touch did write
    assert moved(rename)
    assert moved(add_globex) and moved(remove)
    engine.dispose()
