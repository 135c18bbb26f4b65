"""Block Kit for the scheduled DMs: the check-in reminder and the Friday brief request."""

from __future__ import annotations

from datetime import date, time, timedelta

from bot.i18n import Raw, format_day, t
from bot.render.blocks import context, section
from bot.render.brief import brief_button
from bot.render.checkin import checkin_button


def _clock(at: time) -> Raw:
    return Raw(at.strftime("%H:%M"))


def checkin_reminder_blocks(lang: str, *, day: date, at: time) -> dict:
    """The DM to a rep who has not checked in by the team's check-in time (their zone)."""
    shown = Raw(format_day(day, lang))
    return {"text": t(lang, "jobs.checkin.text", day=shown),
            "blocks": [section(t(lang, "jobs.checkin.body", day=shown)),
                       checkin_button(lang),
                       context(t(lang, "jobs.checkin.why", time=_clock(at)))]}


def brief_request_blocks(lang: str, *, week_start: date, at: time) -> dict:
    """The Friday DM asking a rep for the week's brief."""
    week = {"start": Raw(format_day(week_start, lang)),
            "end": Raw(format_day(week_start + timedelta(days=6), lang))}
    return {"text": t(lang, "jobs.brief.text", start=week["start"]),
            "blocks": [section(t(lang, "jobs.brief.body", **week)),
                       brief_button(lang),
                       context(t(lang, "jobs.brief.why", time=_clock(at)))]}
