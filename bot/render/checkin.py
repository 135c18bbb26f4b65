"""The daily check-in as a periodic form (bot/render/periodic.py builds its blocks): its
fields, ids and the builders other modules call by name."""

from __future__ import annotations

from bot.render import periodic
from bot.render.forms import VALUE_ACTION as VALUE_ACTION  # every input's action_id
from bot.render.periodic import DAY, Field, FormKind

OPEN_ACTION = "checkin_open"  # a button that opens the check-in modal (reminder DMs send it)
MODAL_CALLBACK = "checkin_modal"
MAX_PLANNED = 100

CHECKIN = FormKind(
    name="checkin", period=DAY, open_action=OPEN_ACTION, callback=MODAL_CALLBACK,
    fields=(Field("plan", "plan", 2000, hint=True), Field("visits", "planned_visits"),
            Field("calls", "planned_calls"),
            Field("customers", "key_customers", 500, multiline=False, hint=True),
            Field("yesterday", "yesterday", 2000), Field("blockers", "blockers", 2000, hint=True)),
    summary="summary.field", max_count=MAX_PLANNED)
# block_id -> (the model's field, the longest answer kept); and the counts
TEXT_FIELDS = CHECKIN.text_fields
COUNT_FIELDS = CHECKIN.count_fields


def checkin_button(lang: str) -> dict:
    """An actions block with the button that opens the check-in form (for reminder DMs)."""
    return periodic.button(CHECKIN, lang)


def checkin_error_blocks(lang: str, code: str, params: dict) -> dict:
    """A private, specific error with a corrected example; nothing was saved."""
    return periodic.error_blocks(CHECKIN, lang, code, params)
