"""Managers' targets in the store: a rep's own, a team default for one period or for every
month (with the day it was set), and an older team-wide target, side by side."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session

from store import db, targets, teams

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


def test_team_defaults_and_own_targets_are_kept_apart(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with Session(engine) as s:
        team = teams.create_team(s, workspace_id="T0", name="East", channel_id="C0",
                                 managers=["U0MEI"], members=["U0A"], tz="Asia/Shanghai",
                                 currency="CNY", now=NOW)
        for user, period, value in ((targets.TEAM_DEFAULT, targets.EVERY_MONTH, 500000),
                                    (targets.TEAM_DEFAULT, "2026-11", 400000),
                                    ("U0A", "2026-11", 800000), (targets.TEAM, "2026-11", 1)):
            assert targets.set_target(s, team_id=team.id, user_id=user, metric="sales",
                                      period=period, value=Decimal(value), reason="",
                                      by_user_id="U0MEI", now=NOW) is None
        s.commit()
        november = targets.manual_targets(s, team_id=team.id, period="2026-11")
        assert {u: (t.value, t.source) for u, m in november.items() for t in m.values()} == {
            "*": (Decimal(400000), "team"), "U0A": (Decimal(800000), "manual"),
            "": (Decimal(1), "manual")}
        [(metric, (default, at))] = targets.every_month(s, team_id=team.id).items()
        assert (metric, default.value, default.source) == ("sales", Decimal(500000), "team")
        assert at.replace(tzinfo=UTC) == NOW
        assert targets.clear_target(s, team_id=team.id, user_id=targets.TEAM_DEFAULT,
                                    metric="sales", period=targets.EVERY_MONTH)
        assert targets.every_month(s, team_id=team.id) == {}
