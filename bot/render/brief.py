"""The Friday brief as a periodic form (bot/render/periodic.py builds its blocks): one per rep
per week (Monday start); its fields, ids and the builders other modules call by name."""

from __future__ import annotations

from bot.render import periodic
from bot.render.periodic import WEEK, Field, FormKind

OPEN_ACTION = "brief_open"  # a button that opens the brief modal (the Friday job sends it)
MODAL_CALLBACK = "brief_modal"

BRIEF = FormKind(
    name="brief", period=WEEK, open_action=OPEN_ACTION, callback=MODAL_CALLBACK,
    fields=(Field("progress", "progress", 3000, hint=True), Field("wins", "wins", 3000, hint=True),
            Field("blockers", "blockers", 3000, hint=True),
            Field("next", "next_focus", 3000, hint=True)),
    summary="summary")
# block_id -> (the model's field, the longest answer kept)
TEXT_FIELDS = BRIEF.text_fields


def brief_button(lang: str) -> dict:
    """An actions block with the button that opens the brief form (for the Friday DM)."""
    return periodic.button(BRIEF, lang)


def brief_error_blocks(lang: str, code: str, params: dict) -> dict:
    """A private, specific error with a corrected example; nothing was saved."""
    return periodic.error_blocks(BRIEF, lang, code, params)
