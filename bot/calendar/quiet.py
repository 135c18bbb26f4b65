"""A person's quiet hours and digest time: reading what they type, and the clock maths.

Pure: times in, times out. Quiet hours are a local span [start, end) read in the person's
own zone, crossing midnight when start is later than end (20:00-08:00); the outbox holds a
DM due inside them until they end (bot/jobs/outbox.py). Hand-written rather than through
dateparser: it reads one time of day, and "20:00-08:00" is two, which it does not split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.workdays import at_local

# "20:00-08:00", "20-8", "8pm-8am", "20：00～08：00", "20:00到08:00"
_SPLIT = re.compile(r"\s*(?:-|–|—|~|～|到|至|to)\s*", re.IGNORECASE)
_TIME = re.compile(r"(\d{1,2})(?:[:：.](\d{2}))?\s*(am|pm|点)?", re.IGNORECASE)


class BadTime(ValueError):
    """Not a time of day, or not a span of them; `example` is what to type instead."""

    def __init__(self, example: str) -> None:
        super().__init__(example)
        self.example = example


def read_time(text: str) -> time:
    """One time of day: 08:00, 8, 8:30, 8am, 8pm, 17.30, 8点."""
    found = _TIME.fullmatch(text.strip())
    if not found:
        raise BadTime(suggest_time(text))
    hour, minute = int(found[1]), int(found[2] or 0)
    half = (found[3] or "").lower()
    if half in ("am", "pm") and not 1 <= hour <= 12:
        raise BadTime(suggest_time(text))
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise BadTime(suggest_time(text))
    return time(hour, minute)


def read_span(text: str) -> tuple[time, time]:
    """Quiet hours as typed: two times of day joined by a dash (or 到, ~, to)."""
    parts = _SPLIT.split(text.strip())
    if len(parts) != 2 or not all(parts):
        raise BadTime(suggest_span(text))
    try:
        start, end = read_time(parts[0]), read_time(parts[1])
    except BadTime:
        raise BadTime(suggest_span(text)) from None
    if start == end:  # all day or never: neither is quiet hours
        raise BadTime(suggest_span(text))
    return start, end


def _hour_of(text: str, default: int) -> int:
    digits = re.findall(r"\d+", text)
    hour = int(digits[0]) if digits else default
    return hour if hour <= 23 else default


def suggest_time(text: str) -> str:
    """A time of day close to what was typed (its first number as the hour), HH:MM."""
    return f"{_hour_of(text, 17):02d}:00" if text else "17:30"


def suggest_span(text: str) -> str:
    """A span close to what was typed: each side as typed when it reads, else its first
    number as the hour; missing sides from 20:00-08:00."""
    parts = [p for p in _SPLIT.split(text.strip()) if p][:2]
    shown = []
    for part, default in zip([*parts, "", ""][:2], (20, 8), strict=True):
        try:
            shown.append(read_time(part))
        except BadTime:
            shown.append(time(_hour_of(part, default)))
    if shown[0] == shown[1]:
        shown[1] = time((shown[0].hour + 12) % 24, shown[0].minute)
    return f"{hhmm(shown[0])}-{hhmm(shown[1])}"


def hhmm(at: time) -> str:
    return at.strftime("%H:%M")


@dataclass(frozen=True)
class QuietHours:
    """[start, end) every day, local time; crosses midnight when start > end."""

    start: time
    end: time

    def covers(self, at: time) -> bool:
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end

    def ends_after(self, at: datetime, tz: ZoneInfo) -> datetime | None:
        """When the quiet hours `at` falls in end (aware), or None: `at` is not in them."""
        local = at.astimezone(tz)
        if not self.covers(local.time().replace(tzinfo=None)):
            return None
        day = local.date()
        if local.time().replace(tzinfo=None) >= self.end:  # in the evening part: ends tomorrow
            day += timedelta(days=1)
        return at_local(day, self.end, tz)

    def last_end(self, since: datetime, until: datetime, tz: ZoneInfo) -> datetime | None:
        """The latest moment quiet hours ended in (since, until], or None. Quiet hours end
        once a day, so the latest end is today's or yesterday's (local)."""
        today = until.astimezone(tz).date()
        for day in (today, today - timedelta(days=1)):
            end = at_local(day, self.end, tz)
            if since < end <= until:
                return end
        return None
