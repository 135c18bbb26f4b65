"""/pacer away (请假): a person's leave, set by themself, their manager or an admin."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from store import away
from store.models import AuditEntry
from tests.conftest import WORKSPACE, Bot
from tests.handlers.test_pacer import pacer


def spells(bot: Bot, user: str) -> list[tuple[date, date, str, str]]:
    with bot.deps.sessions() as session:
        return [(s.first_day, s.last_day, s.reason, s.set_by)
                for s in away.current(session, workspace_id=WORKSPACE, user_id=user,
                                      today=date(2000, 1, 1))]


def test_three_days_are_three_working_days_from_today(bot: Bot) -> None:
    # Bo (Shanghai) on Wednesday 18 Nov: Wed, Thu, Fri.
    text = pacer(bot, "请假 3天 回老家", "U0BO")
    assert "2026" not in text and "3 个工作日" in text and "回老家" in text
    assert spells(bot, "U0BO") == [(date(2026, 11, 18), date(2026, 11, 20), "回老家", "U0BO")]
    # Typed without a space, in Chinese numerals, from a Friday: Fri, Mon (weekend skipped).
    pacer(bot, "请假 off", "U0BO")
    assert spells(bot, "U0BO") == []
    pacer(bot, "请假 从 2026-11-27 两天", "U0BO")
    assert spells(bot, "U0BO") == [(date(2026, 11, 27), date(2026, 11, 30), "", "U0BO")]


def test_until_a_day_is_inclusive_and_a_date_without_year_leans_forward(bot: Bot) -> None:
    # Alice (New York) is still on Tuesday 17 Nov.
    text = pacer(bot, "away until Dec 4 trip to Chengdu", "U0ALICE")
    assert "trip to Chengdu" in text and "14 working days" in text
    assert spells(bot, "U0ALICE") == [(date(2026, 11, 17), date(2026, 12, 4),
                                       "trip to Chengdu", "U0ALICE")]
    listing = pacer(bot, "away", "U0ALICE")
    assert "(now)" in listing and "trip to Chengdu" in listing
    pacer(bot, "away until Jan 8", "U0ALICE")  # said in November: next January
    assert spells(bot, "U0ALICE")[-1][1] == date(2027, 1, 8)


def test_off_ends_today_and_drops_upcoming_leave(bot: Bot) -> None:
    pacer(bot, "away until 2026-11-25", "U0BO")
    pacer(bot, "away from 2026-12-21 1w holidays", "U0BO")
    assert spells(bot, "U0BO")[1][:2] == (date(2026, 12, 21), date(2026, 12, 27))
    bot.deps.clock.advance(timedelta(days=2))  # Friday 20 Nov
    assert "欢迎回来" in pacer(bot, "away off", "U0BO")
    assert spells(bot, "U0BO") == [(date(2026, 11, 18), date(2026, 11, 19), "", "U0BO")]
    assert "没有" in pacer(bot, "请假 销假", "U0BO")


@pytest.mark.parametrize(("typed", "expected"), [
    ("away 3x trip", "Try: `/pacer away 3d trip`"),
    ("away 0d", "Try: `/pacer away 3d`"),
    ("away until someday trip", "`someday` isn't a date I can read. Try: `/pacer away until "
                                "2026-11-24 trip`"),
    ("away until 2025-12-20 trip", "`2025-12-20` is already over: leave is for today or later."
                                   " Try: `/pacer away until 2026-12-20 trip`"),
    ("away until 2028-12-20", "Leave is at most 366 days"),
    ("away from 2026-11-01 3d", "is already over: leave is for today or later. "
                                "Try: `/pacer away from 2027-11-01 3d`"),
])
def test_bad_input_gets_a_corrected_example(bot: Bot, typed: str, expected: str) -> None:
    text = pacer(bot, typed, "U0ALICE")
    assert expected in text, text
    assert spells(bot, "U0ALICE") == []


def test_a_manager_for_their_reps_an_admin_for_anyone_a_rep_only_themself(bot: Bot) -> None:
    assert "🌴 <@U0ALICE>" in pacer(bot, "away <@U0ALICE> 2d sick", "U0MEI")
    assert spells(bot, "U0ALICE")[0][2:] == ("sick", "U0MEI")
    assert "set by <@U0MEI>" in pacer(bot, "away <@U0ALICE>", "U0ALICE")
    refused = pacer(bot, "away <@U0ALICE> off", "U0BO")  # a rep for another rep
    assert "🌴" not in refused and "👋" not in refused
    assert len(spells(bot, "U0ALICE")) == 1
    refused = pacer(bot, "away <@U0BO> 2d", "U0STRAY")  # on no team, manages none
    assert spells(bot, "U0BO") == []
    with bot.deps.sessions() as session:
        rows = session.exec(select(AuditEntry.actor_user_id, AuditEntry.action,
                                   AuditEntry.outcome, AuditEntry.target)).all()
    assert ("U0MEI", "member.away", "done", "U0ALICE") in rows
    assert ("U0BO", "pacer away", "denied", "") in rows
    assert ("U0STRAY", "pacer away", "denied", "") in rows


def test_team_away_status_is_a_managers_setting(bot: Bot) -> None:
    assert ":palm_tree:" in pacer(bot, "team away-status East on", "U0MEI")
    assert "试试：`/pacer team away-status East on`" in pacer(bot, "team away-status East maybe",
                                                          "U0MEI")
    assert "不再算作请假" in pacer(bot, "team away-status East off", "U0MEI")
