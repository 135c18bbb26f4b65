"""The idle-lead clock's hours (seed 001 "超48小时未跟进线索"): only the team's working days
count, in the team's zone; weekends, public holidays and days off stop the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.calendar.workdays import after_working_hours, is_working_day, working_hours_between
from tests.calendar.test_workdays import SHANGHAI


def cn(day: date) -> bool:
    return is_working_day(day, country="CN")


def team(day: date) -> bool:
    """China's calendar and the team's own day off on Tuesday 1 December."""
    return is_working_day(day, country="CN", days_off={date(2026, 12, 1)})


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(("start", "end", "hours"), [
    ("2026-11-27 17:00", "2026-11-30 10:00", 17),  # Friday evening to Monday morning
    ("2026-11-26 10:00", "2026-11-30 10:00", 48),  # Thu 14 + Fri 24 + Mon 10
    ("2026-11-28 09:00", "2026-11-29 20:00", 0),  # a weekend only
    ("2026-11-30 10:00", "2026-11-30 09:00", 0),  # backwards
    ("2026-11-30 12:00", "2026-12-02 12:00", 12 + 12),  # the team's day off (1 Dec)
    ("2026-12-31 12:00", "2027-01-04 12:00", 12 + 12),  # New Year's Day, then a weekend
])
def test_working_hours_between(start: str, end: str, hours: float) -> None:
    assert working_hours_between(sh(start), sh(end), SHANGHAI, team) == hours


def test_hours_are_counted_in_the_teams_zone_whatever_zone_the_instants_are_in() -> None:
    # Friday 23:00 UTC is Saturday 07:00 in Shanghai: nothing of it counts there.
    start = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Saturday 00:00 Shanghai
    end = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Monday 00:00 Shanghai
    assert working_hours_between(start, end, SHANGHAI, cn) == 0


@pytest.mark.parametrize(("start", "hours", "mark"), [
    ("2026-11-26 10:00", 48, "2026-11-30 10:00"),
    ("2026-11-27 17:00", 48, "2026-12-02 17:00"),  # Fri 7 + Mon 24 + (Tue off) + Wed 17
    ("2026-11-28 12:00", 1, "2026-11-30 01:00"),  # started on a Saturday: waits for Monday
    ("2026-11-30 12:00", 48, "2026-12-03 12:00"),  # Mon 12 + (day off) + Wed 24 + Thu 12
    ("2026-12-31 00:00", 25, "2027-01-04 01:00"),  # Thu 24, (1 Jan, weekend), Mon 1
])
def test_after_working_hours_is_the_inverse(start: str, hours: float, mark: str) -> None:
    working = team
    got = after_working_hours(sh(start), hours, SHANGHAI, working)
    assert got == sh(mark)
    assert working_hours_between(sh(start), got, SHANGHAI, working) == hours


def test_a_team_with_no_working_days_never_lapses() -> None:
    assert after_working_hours(sh("2026-11-26 10:00"), 48, SHANGHAI, lambda day: False) is None
