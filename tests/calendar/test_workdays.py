from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.workdays import (
    FRIDAY,
    WEDNESDAY,
    add_working_days,
    at_local,
    end_of_day,
    first_working_day,
    is_working_day,
    last_friday,
    next_working_at,
    next_working_day,
    parse_hhmm,
    previous_working_day,
    weekday_on_or_before,
    working_days,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_weekends_public_holidays_and_own_days_off() -> None:
    assert len(working_days(date(2026, 11, 16), date(2026, 11, 22))) == 5
    assert not is_working_day(date(2026, 10, 1), country="CN")  # National Day
    assert is_working_day(date(2026, 10, 1), country="US")
    assert not is_working_day(date(2026, 12, 24), days_off=[date(2026, 12, 24)])
    october = working_days(date(2026, 10, 1), date(2026, 10, 31), country="CN")
    assert date(2026, 10, 9) in october and date(2026, 10, 2) not in october


# ----------------------------------------------------------------- stepping and local times
# China's National Day week 2026: Thursday 1 October to Wednesday 7 October are holidays.

def cn(day: date) -> bool:
    return is_working_day(day, country="CN")


def test_next_previous_and_the_nth_working_day() -> None:
    assert next_working_day(date(2026, 9, 30), cn) == date(2026, 9, 30)  # a working day
    assert next_working_day(date(2026, 10, 1), cn) == date(2026, 10, 8)
    assert previous_working_day(date(2026, 10, 8), cn) == date(2026, 9, 30)
    assert previous_working_day(date(2026, 9, 30), cn) == date(2026, 9, 29)  # strictly before
    assert add_working_days(date(2026, 9, 30), 1, cn) == date(2026, 10, 8)
    # Thu 8, Fri 9, then Sat 10 Oct: a make-up working day (调休) after the Golden Week.
    assert add_working_days(date(2026, 9, 30), 3, cn) == date(2026, 10, 10)
    assert add_working_days(date(2026, 11, 20), 1, cn) == date(2026, 11, 23)  # Fri -> Mon


def test_the_first_working_day_of_a_range_or_none() -> None:
    assert first_working_day(date(2026, 9, 28), date(2026, 10, 4), cn) == date(2026, 9, 28)
    assert first_working_day(date(2026, 10, 1), date(2026, 10, 7), cn) is None
    assert first_working_day(date(2026, 10, 3), date(2026, 10, 8), cn) == date(2026, 10, 8)


def test_a_calendar_without_working_days_still_ends() -> None:
    never = lambda day: False  # noqa: E731
    assert next_working_day(date(2026, 1, 1), never) == date(2026, 1, 1) + timedelta(days=60)
    assert first_working_day(date(2026, 1, 1), date(2026, 12, 31), never) is None
    assert next_working_at(datetime(2026, 1, 1, tzinfo=UTC), time(9), UTC, never) is None


def test_last_friday_and_weekdays_on_or_before() -> None:
    assert last_friday(date(2026, 11, 20)) == date(2026, 11, 20)  # a Friday itself
    assert last_friday(date(2026, 11, 19)) == date(2026, 11, 13)
    assert last_friday(date(2026, 11, 22)) == date(2026, 11, 20)
    assert weekday_on_or_before(date(2026, 11, 20), WEDNESDAY) == date(2026, 11, 18)


def test_local_times_follow_the_zone_and_daylight_saving() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert at_local(date(2026, 3, 27), time(9), paris).astimezone(UTC).hour == 8
    assert at_local(date(2026, 3, 30), time(9), paris).astimezone(UTC).hour == 7  # summer
    assert end_of_day(date(2026, 11, 20), SHANGHAI) == datetime(2026, 11, 21, tzinfo=SHANGHAI)


def test_the_next_working_moment_skips_past_times_holidays_and_other_weekdays() -> None:
    before = datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)
    assert next_working_at(before, time(9, 30), SHANGHAI, cn) == datetime(
        2026, 9, 30, 9, 30, tzinfo=SHANGHAI)
    after = datetime(2026, 9, 30, 9, 30, tzinfo=SHANGHAI)  # not after now: the next one
    assert next_working_at(after, time(9, 30), SHANGHAI, cn) == datetime(
        2026, 10, 8, 9, 30, tzinfo=SHANGHAI)
    assert next_working_at(after, time(17), SHANGHAI, cn, weekday=FRIDAY) == datetime(
        2026, 10, 9, 17, 0, tzinfo=SHANGHAI)
    # `now` in another zone: the local day is Shanghai's.
    late = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)  # Friday 04:00 in Shanghai
    assert next_working_at(late, time(9, 30), SHANGHAI, cn) == datetime(
        2026, 11, 20, 9, 30, tzinfo=SHANGHAI)


def test_a_stored_time_that_no_longer_parses_falls_back() -> None:
    assert parse_hhmm("08:45", time(9)) == time(8, 45)
    assert parse_hhmm(None, time(9)) == time(9)
    assert parse_hhmm("25:99", time(9)) == time(9)
