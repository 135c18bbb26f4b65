"""A person's working days (bot/calendar/workdays.py): their team's less their away days."""

from __future__ import annotations

from datetime import date

from bot.calendar.workdays import (
    away_until,
    both_working,
    is_working_day,
    next_working_day,
    person_working,
    working_days_from,
)
from bot.jobs.away_status import says_away


def cn(day: date) -> bool:
    return is_working_day(day, country="CN")


def test_a_persons_working_day_is_a_team_working_day_not_away() -> None:
    bo = person_working(cn, [(date(2026, 11, 18), date(2026, 11, 20))])
    assert [bo(date(2026, 11, d)) for d in range(16, 25)] == [
        True, True, False, False, False, False, False, True, True]
    assert person_working(cn, []) is cn  # nobody away: the team's own test
    assert next_working_day(date(2026, 11, 18), bo) == date(2026, 11, 23)


def test_three_days_of_leave_are_three_working_days() -> None:
    # From a Friday: Friday, Monday, Tuesday. From a Saturday: Monday to Wednesday.
    assert working_days_from(date(2026, 11, 20), 3, cn) == (date(2026, 11, 20),
                                                            date(2026, 11, 24))
    assert working_days_from(date(2026, 11, 21), 3, cn) == (date(2026, 11, 23),
                                                            date(2026, 11, 25))
    # Over China's National Day week (1-7 Oct 2026 off; make-up Saturday 10 Oct).
    first, last = working_days_from(date(2026, 9, 30), 3, cn)
    assert first == date(2026, 9, 30)
    assert sum(1 for d in range((last - first).days + 1)
               if cn(date.fromordinal(first.toordinal() + d))) == 3
    assert working_days_from(date(2026, 11, 20), 1, cn) == (date(2026, 11, 20),) * 2


def test_away_until_runs_touching_spells_together() -> None:
    spans = [(date(2026, 12, 10), date(2026, 12, 12)), (date(2026, 12, 1), date(2026, 12, 3)),
             (date(2026, 12, 4), date(2026, 12, 6))]
    assert away_until(date(2026, 12, 2), spans) == date(2026, 12, 6)
    assert away_until(date(2026, 12, 7), spans) is None
    assert away_until(date(2026, 12, 11), spans) == date(2026, 12, 12)


def test_a_pair_works_the_days_both_work() -> None:
    rep = person_working(cn, [(date(2026, 11, 24), date(2026, 11, 24))])
    manager = person_working(cn, [(date(2026, 11, 25), date(2026, 11, 25))])
    assert next_working_day(date(2026, 11, 24), both_working(rep, manager)) == date(2026, 11, 26)


def test_which_slack_statuses_say_away() -> None:
    assert says_away(":palm_tree:", "") and says_away(":airplane:", "Lisbon")
    assert says_away("", "On leave until Monday") and says_away(":house:", "请假中")
    assert says_away("", "休假")
    assert not says_away(":spiral_calendar_pad:", "In a meeting")
    assert not says_away("", "")
