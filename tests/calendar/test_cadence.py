"""The calibration cadence and the future-time grammar of `/calibrate move`: pure."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.cadence import Cadence, default_anchor
from bot.calendar.workdays import add_working_days, is_working_day
from bot.calendar.workdays import next_working_day as next_working
from bot.calendar.workdays import previous_working_day as previous_working
from bot.grammar.when import Moment, WhenError, parse_moment

SHANGHAI = ZoneInfo("Asia/Shanghai")


def cn(day: date) -> bool:
    return is_working_day(day, country="CN")


@pytest.mark.parametrize(("created", "anchor"), [
    (date(2026, 11, 16), date(2026, 11, 17)), (date(2026, 11, 17), date(2026, 11, 17)),
    (date(2026, 11, 18), date(2026, 11, 24)), (date(2026, 11, 22), date(2026, 11, 24))])
def test_the_default_cadence_starts_on_the_first_tuesday(created: date, anchor: date) -> None:
    assert default_anchor(created) == anchor


def test_slots_fall_every_fourteen_days_either_side_of_the_anchor() -> None:
    cadence = Cadence(date(2026, 11, 17), time(10), SHANGHAI)
    assert cadence.slots(date(2026, 11, 1), date(2026, 12, 31)) == [
        date(2026, 11, 3), date(2026, 11, 17), date(2026, 12, 1), date(2026, 12, 15),
        date(2026, 12, 29)]
    assert cadence.slots(date(2026, 11, 18), date(2026, 11, 30)) == []
    assert cadence.slots(date(2026, 12, 1), date(2026, 12, 1)) == [date(2026, 12, 1)]


def test_a_slot_on_a_holiday_moves_to_the_next_working_day() -> None:
    cadence = Cadence(date(2026, 9, 29), time(10), SHANGHAI)  # then 13 Oct, 29 Sep ...
    national_day = date(2026, 10, 1)  # a Thursday, in the Golden Week
    assert not cn(national_day)
    assert cadence.moment(date(2026, 10, 1), cn).date() == next_working(national_day, cn)
    assert next_working(national_day, cn) == date(2026, 10, 8)
    assert previous_working(date(2026, 10, 8), cn) == date(2026, 9, 30)
    # Thu 8, Fri 9, then Sat 10 Oct: a make-up working day (调休) after the Golden Week.
    assert add_working_days(date(2026, 9, 30), 3, cn) == date(2026, 10, 10)


def test_daylight_saving_keeps_the_wall_clock_time() -> None:
    cadence = Cadence(date(2026, 10, 27), time(9, 30), ZoneInfo("America/New_York"))
    before, after = (cadence.moment(d, lambda _: True) for d in (date(2026, 10, 27),
                                                                 date(2026, 11, 10)))
    assert before.hour == after.hour == 9
    assert before.utcoffset() != after.utcoffset()


THURSDAY = date(2026, 11, 26)


@pytest.mark.parametrize(("text", "day", "at"), [
    ("tomorrow 15:00", date(2026, 11, 27), time(15)),
    ("next tue 10am", date(2026, 12, 1), time(10)),
    ("tue", date(2026, 12, 1), None),
    ("this friday 3:30pm", date(2026, 11, 27), time(15, 30)),
    ("2026-12-01 9:30", date(2026, 12, 1), time(9, 30)),
    ("Dec 1", date(2026, 12, 1), None),
    ("1 December at 4pm", date(2026, 12, 1), time(16)),
    ("12/1 14:00", date(2026, 12, 1), time(14)),
    ("10:30", None, time(10, 30)),
    ("明天下午3点", date(2026, 11, 27), time(15)),
    ("下周二 10:00", date(2026, 12, 1), time(10)),
    ("周二 14:30", date(2026, 12, 1), time(14, 30)),
    ("本周五", date(2026, 11, 27), None),
    ("12月1日 9点半", date(2026, 12, 1), time(9, 30)),
    ("后天 晚上8点", date(2026, 11, 28), time(20)),
    ("1/12", date(2027, 1, 12), None),  # month/day: next year's once this year's is past
])
def test_future_days_and_times_in_english_and_chinese(text: str, day: date | None,
                                                       at: time | None) -> None:
    assert parse_moment(text, today=THURSDAY) == Moment(day, at)


@pytest.mark.parametrize(("text", "code"), [
    ("", "empty"), ("   ", "empty"), ("someday", "bad_day"), ("25:00", "bad_time"),
    ("10:75", "bad_time"), ("2026-02-30", "bad_day"), ("13月40日", "bad_day")])
def test_what_cannot_be_read_says_why(text: str, code: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_moment(text, today=THURSDAY)
    assert caught.value.args[0] == code
