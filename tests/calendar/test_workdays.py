from datetime import date

from bot.calendar.workdays import is_working_day, working_days


def test_weekends_public_holidays_and_own_days_off() -> None:
    assert len(working_days(date(2026, 11, 16), date(2026, 11, 22))) == 5
    assert not is_working_day(date(2026, 10, 1), country="CN")  # National Day
    assert is_working_day(date(2026, 10, 1), country="US")
    assert not is_working_day(date(2026, 12, 24), days_off=[date(2026, 12, 24)])
    october = working_days(date(2026, 10, 1), date(2026, 10, 31), country="CN")
    assert date(2026, 10, 9) in october and date(2026, 10, 2) not in october
