"""Away days move calibrations: a pair's slot on an away day of the rep or of the manager
moves to the next day both work; a leave that would push it a whole cadence step (14 days)
skips it, and the next slot's is held. The team is conftest's East (created Wed 18 Nov 2026,
so its cadence runs every other Tuesday from 24 Nov, 10:00 Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services import calibration as cal
from bot.services.teams import team_info
from store import away, teams
from tests.conftest import WORKSPACE, Bot


def leave(bot: Bot, user: str, first: date, last: date) -> None:
    with bot.deps.sessions() as s:
        away.add(s, workspace_id=WORKSPACE, user_id=user, first=first, last=last, reason="",
                 set_by=user, now=bot.deps.clock.now())


def meetings(bot: Bot) -> dict[str, list[tuple[str, date]]]:
    """Each rep's calibrations (slot, local day) from now to the end of the year."""
    now = bot.deps.clock.now()
    with bot.deps.sessions() as s:
        info = team_info(s, teams.get_team(s, workspace_id=WORKSPACE, name="East"), now=now)
        found = cal.team_occurrences(s, info, now, datetime(2026, 12, 31, tzinfo=UTC))
    out: dict[str, list[tuple[str, date]]] = {}
    for o in found:
        out.setdefault(o.pair.rep, []).append((o.slot, o.at.astimezone(o.pair.tz).date()))
    return out


def test_a_reps_or_managers_away_day_moves_the_pairs_calibration(bot: Bot) -> None:
    before = meetings(bot)
    assert before["U0BO"][:3] == [("2026-11-24", date(2026, 11, 24)),
                                  ("2026-12-08", date(2026, 12, 8)),
                                  ("2026-12-22", date(2026, 12, 22))]
    leave(bot, "U0BO", date(2026, 11, 24), date(2026, 11, 25))  # Tue, Wed
    leave(bot, "U0MEI", date(2026, 12, 8), date(2026, 12, 8))  # the manager, a Tuesday
    after = meetings(bot)
    assert after["U0BO"][:3] == [("2026-11-24", date(2026, 11, 26)),
                                 ("2026-12-08", date(2026, 12, 9)),
                                 ("2026-12-22", date(2026, 12, 22))]
    assert after["U0ALICE"][:2] == [("2026-11-24", date(2026, 11, 24)),
                                    ("2026-12-08", date(2026, 12, 9))]


def test_a_leave_longer_than_the_cadence_skips_a_calibration(bot: Bot) -> None:
    leave(bot, "U0BO", date(2026, 12, 7), date(2026, 12, 25))  # three weeks
    bo = meetings(bot)["U0BO"]
    assert [slot for slot, _ in bo] == ["2026-11-24", "2026-12-22"]  # no 8 Dec
    assert dict(bo)["2026-12-22"] == date(2026, 12, 28)  # the first Monday he is back
    now = bot.deps.clock.now()
    with bot.deps.sessions() as s:  # a button of the skipped one finds nothing
        info = team_info(s, teams.get_team(s, workspace_id=WORKSPACE, name="East"), now=now)
        pair = cal.pair_of(s, info, "U0BO")
        skipped = cal.Occurrence(pair, "2026-12-08", now + timedelta(days=20), "scheduled", now)
        held = cal.Occurrence(pair, "2026-12-22", now, "scheduled", now)
        assert cal.resolve(s, skipped.ref, now) is None
        assert cal.resolve(s, held.ref, now).at.date() == date(2026, 12, 28)
