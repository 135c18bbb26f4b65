"""Quiet hours and digest times: reading what people type, and the clock maths across
midnight and time zones (bot/calendar/quiet.py)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.quiet import BadTime, QuietHours, read_span, read_time

SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")


def at(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(("typed", "start", "end"), [
    ("20:00-08:00", time(20), time(8)), ("20-8", time(20), time(8)),
    ("8pm-8am", time(20), time(8)), ("22:30~07:15", time(22, 30), time(7, 15)),
    ("20:00到08:00", time(20), time(8)), ("20：00-08：00", time(20), time(8)),
    ("12:00 - 13:30", time(12), time(13, 30)), ("9pm to 7am", time(21), time(7)),
    ("0-9", time(0), time(9)),
])
def test_spans_as_people_type_them(typed: str, start: time, end: time) -> None:
    assert read_span(typed) == (start, end)


@pytest.mark.parametrize(("typed", "example"), [
    ("25:00-08:00", "20:00-08:00"), ("20", "20:00-08:00"), ("22", "22:00-08:00"),
    ("8-8", "08:00-20:00"), ("soon", "20:00-08:00"), ("21-7-3", "21:00-07:00"),
    ("13pm-8am", "13:00-08:00"),
])
def test_a_bad_span_comes_with_an_example_built_from_it(typed: str, example: str) -> None:
    with pytest.raises(BadTime) as bad:
        read_span(typed)
    assert bad.value.example == example
    read_span(bad.value.example)  # the example itself reads


@pytest.mark.parametrize(("typed", "expected"), [
    ("17:30", time(17, 30)), ("9", time(9)), ("5:30pm", time(17, 30)), ("12am", time(0)),
    ("12pm", time(12)), ("17点", time(17)), ("08.15", time(8, 15)),
])
def test_times_of_day(typed: str, expected: time) -> None:
    assert read_time(typed) == expected


@pytest.mark.parametrize("typed", ["24:00", "17:60", "half past five", "", "13pm"])
def test_not_times_of_day(typed: str) -> None:
    with pytest.raises(BadTime) as bad:
        read_time(typed)
    read_time(bad.value.example)


def test_quiet_hours_across_midnight() -> None:
    night = QuietHours(time(20), time(8))
    assert [night.covers(time(h)) for h in (7, 8, 12, 19, 20, 23, 0)] == [
        True, False, False, False, True, True, True]
    # Evening: they end the next morning; after midnight: this morning.
    assert night.ends_after(at(SHANGHAI, "2026-11-18 21:15"), SHANGHAI) == at(
        SHANGHAI, "2026-11-19 08:00")
    assert night.ends_after(at(SHANGHAI, "2026-11-19 03:00"), SHANGHAI) == at(
        SHANGHAI, "2026-11-19 08:00")
    assert night.ends_after(at(SHANGHAI, "2026-11-19 08:00"), SHANGHAI) is None
    # Read in the person's zone: 21:15 in Shanghai is 08:15 in New York, not quiet there.
    assert night.ends_after(at(SHANGHAI, "2026-11-18 21:15"), NEW_YORK) is None


def test_quiet_hours_within_a_day_and_the_last_end() -> None:
    morning = QuietHours(time(9), time(10))
    assert morning.covers(time(9, 30)) and not morning.covers(time(10))
    assert morning.ends_after(at(SHANGHAI, "2026-11-18 09:30"), SHANGHAI) == at(
        SHANGHAI, "2026-11-18 10:00")
    last = morning.last_end
    due = at(SHANGHAI, "2026-11-18 09:30")
    assert last(due, at(SHANGHAI, "2026-11-18 09:59"), SHANGHAI) is None
    assert last(due, at(SHANGHAI, "2026-11-18 10:00"), SHANGHAI) == at(SHANGHAI,
                                                                       "2026-11-18 10:00")
    assert last(due, at(SHANGHAI, "2026-11-19 09:30"), SHANGHAI) == at(SHANGHAI,
                                                                       "2026-11-18 10:00")
    assert last(due, at(SHANGHAI, "2026-11-19 10:00"), SHANGHAI) == at(SHANGHAI,
                                                                       "2026-11-19 10:00")
    # Due after today's end: nothing ended since.
    assert last(at(SHANGHAI, "2026-11-18 11:00"), at(SHANGHAI, "2026-11-18 23:00"),
                SHANGHAI) is None
