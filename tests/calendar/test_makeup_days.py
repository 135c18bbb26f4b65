"""Make-up working days (China's 调休 and their like elsewhere): a weekend day a country
declares a working day is one for its teams (issue 17 item 1, done in issue 12). The
`holidays` package lists them as `weekend_workdays`."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calendar.workdays import (
    add_working_days,
    is_working_day,
    next_working_day,
    previous_working_day,
    working_days,
)


def cn(day: date) -> bool:
    return is_working_day(day, country="CN")


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 2, 13), True),  # Friday before the Spring Festival
    (date(2026, 2, 14), True),  # Saturday: a make-up working day
    (date(2026, 2, 15), False),  # Sunday: the holiday begins
    (date(2026, 2, 16), False),  # Monday: a holiday
    (date(2026, 2, 21), False),  # an ordinary Saturday inside the holiday
    (date(2026, 2, 23), False),  # Monday: the holiday's last day
    (date(2026, 2, 24), True),
    (date(2026, 2, 28), True),  # Saturday: a make-up working day
    (date(2026, 3, 1), False),  # Sunday
    (date(2026, 2, 7), False),  # an ordinary Saturday
    (date(2026, 10, 10), True),  # Saturday after National Day: a make-up day
    (date(2026, 9, 20), True),  # Sunday before it: a make-up day too
])
def test_chinas_make_up_days_are_working_days(day: date, working: bool) -> None:
    assert cn(day) is working


def test_only_for_the_country_that_declares_them() -> None:
    assert not is_working_day(date(2026, 2, 14))  # no country: a Saturday
    assert not is_working_day(date(2026, 2, 14), country="US")
    assert is_working_day(date(2026, 1, 10), country="HU")  # Hungary has them too
    assert not is_working_day(date(2026, 1, 10), country="CN")


def test_a_teams_own_day_off_still_wins() -> None:
    assert not is_working_day(date(2026, 2, 14), country="CN", days_off=[date(2026, 2, 14)])


def test_counting_and_stepping_include_them() -> None:
    # February 2026 in China: 20 weekdays, 6 of them Spring Festival holidays, 2 make-up
    # Saturdays.
    assert len(working_days(date(2026, 2, 1), date(2026, 2, 28), country="CN")) == 16
    assert next_working_day(date(2026, 2, 14), cn) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 1, cn) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1, cn) == date(2026, 2, 24)
    assert previous_working_day(date(2026, 2, 24), cn) == date(2026, 2, 14)
    assert previous_working_day(date(2026, 3, 2), cn) == date(2026, 2, 28)
