"""A time two people can meet (bot/calendar/meetings.py): pure, their zones and the team's
calendar in, the first free half hour out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.meetings import first_slot
from bot.calendar.workdays import is_working_day

SH, NY, LON = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
HALF = timedelta(minutes=30)


def cn(day: date) -> bool:
    return is_working_day(day, country="CN")


def at(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def test_same_zone_at_the_preferred_time_clear_of_busy_ones() -> None:
    slot = first_slot(date(2026, 11, 10), time(10), SH, [SH, SH], cn, length=HALF,
                      not_before=at(SH, "2026-11-06 10:00"))
    assert (slot.at, slot.stretched, slot.shared) == (at(SH, "2026-11-10 10:00"), False, True)
    busy = [(at(SH, "2026-11-10 10:00"), HALF), (at(SH, "2026-11-10 10:15"), HALF)]
    slot = first_slot(date(2026, 11, 10), time(10), SH, [SH, SH], cn, length=HALF,
                      not_before=at(SH, "2026-11-06 10:00"), busy=busy)
    assert slot.at == at(SH, "2026-11-10 11:00")


def test_after_hours_it_goes_to_the_next_working_morning() -> None:
    slot = first_slot(date(2026, 9, 30), time(17, 40), SH, [SH, SH], cn, length=HALF,
                      not_before=at(SH, "2026-09-30 17:40"))
    assert slot.at == at(SH, "2026-10-08 09:00")  # after National Day week, on the half hour


def test_no_shared_hours_stretch_the_day_and_say_so() -> None:
    slot = first_slot(date(2026, 11, 10), time(10), SH, [SH, NY], cn, length=HALF,
                      not_before=at(SH, "2026-11-06 10:00"))
    assert slot.at == at(NY, "2026-11-10 07:00") and slot.stretched and slot.shared
    london = first_slot(date(2026, 11, 10), time(10), SH, [SH, LON], cn, length=HALF,
                        not_before=at(SH, "2026-11-06 10:00"))
    assert london.at == at(SH, "2026-11-10 17:00") and not london.stretched  # 09:00 London


def test_never_before_now() -> None:
    slot = first_slot(date(2026, 11, 10), time(10), SH, [SH], cn, length=HALF,
                      not_before=at(SH, "2026-11-10 13:10"))
    assert slot.at == at(SH, "2026-11-10 13:30")
