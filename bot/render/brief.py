"""Block Kit for the Friday brief: the modal, its confirmation, inline replies, errors and help."""

from __future__ import annotations

from datetime import date, timedelta

from bot.i18n import Raw, format_day, t
from bot.render.blocks import context, error_section, message, section
from bot.render.checkin import modal, open_button, shown, text_input

OPEN_ACTION = "brief_open"  # a button that opens the brief modal (the Friday job sends it)
MODAL_CALLBACK = "brief_modal"

# block_id -> (the model's field, the longest answer kept)
TEXT_FIELDS = {"progress": ("progress", 3000), "wins": ("wins", 3000),
               "blockers": ("blockers", 3000), "next": ("next_focus", 3000)}


def _week(lang: str, week_start: date) -> dict:
    return {"start": Raw(format_day(week_start, lang)),
            "end": Raw(format_day(week_start + timedelta(days=6), lang))}


def brief_button(lang: str) -> dict:
    """An actions block with the button that opens the brief form (for the Friday DM)."""
    return open_button(OPEN_ACTION, t(lang, "brief.open_button"))


def brief_modal(lang: str, *, week_start: date, existing, metadata: dict) -> dict:
    """The brief form for a week, pre-filled (and saying so) when it was already answered."""
    intro = t(lang, "brief.editing" if existing is not None else "brief.intro",
              **_week(lang, week_start))
    blocks = [section(intro)]
    for block_id, (field, limit) in TEXT_FIELDS.items():
        blocks.append(text_input(
            block_id, t(lang, f"brief.field.{block_id}"), max_length=limit,
            initial=getattr(existing, field) if existing is not None else None,
            hint=t(lang, f"brief.hint.{block_id}")))
    title = t(lang, "brief.title_edit" if existing is not None else "brief.title")
    return modal(title=title, blocks=blocks, callback_id=MODAL_CALLBACK,
                 submit=t(lang, "brief.submit"), close=t(lang, "brief.cancel"),
                 metadata=metadata)


def _summary_blocks(lang: str, brief) -> list[dict]:
    return [section(t(lang, "brief.summary", label=Raw(t(lang, f"brief.field.{block_id}")),
                      value=shown(getattr(brief, field))))
            for block_id, (field, _) in TEXT_FIELDS.items() if getattr(brief, field)]


def _headline(lang: str, brief, created: bool, *, inline: bool) -> str:
    week = _week(lang, brief.week_start)
    if created:
        return "✅ " + t(lang, "brief.saved", **week)
    return "✏️ " + t(lang, "brief.edited_inline" if inline else "brief.edited", **week)


def brief_saved_blocks(lang: str, *, brief, created: bool, on_team: bool) -> dict:
    """The private reply to an inline /brief: what is now stored for the week."""
    headline = _headline(lang, brief, created, inline=True)
    blocks = [section(headline), *_summary_blocks(lang, brief)]
    notes = [t(lang, "brief.edit_note")]
    if not on_team:
        notes.append(t(lang, "brief.no_team"))
    blocks.append(context(*notes))
    blocks.append(open_button(OPEN_ACTION, t(lang, "brief.edit_button")))
    return message(headline, blocks)


def brief_saved_view(lang: str, *, brief, created: bool, on_team: bool) -> dict:
    """What the modal turns into once saved (response_action: update)."""
    headline = _headline(lang, brief, created, inline=False)
    blocks = [section(headline), *_summary_blocks(lang, brief)]
    if not on_team:
        blocks.append(context(t(lang, "brief.no_team")))
    return modal(title=t(lang, "brief.title_saved"), blocks=blocks, close=t(lang, "brief.done"))


def brief_error_blocks(lang: str, code: str, params: dict) -> dict:
    """A private, specific error with a corrected example; nothing was saved."""
    shown_params = dict(params)
    if "field" in params:
        shown_params["field"] = Raw(t(lang, f"brief.field.{params['field']}"))
    text = "⚠️ " + t(lang, f"brief.errors.{code}", **shown_params)
    blocks = [error_section(text), section(t(lang, "brief.errors.try",
                                       example=t(lang, "brief.example"))),
              context(t(lang, "brief.errors.more"))]
    return message(text, blocks)


def brief_help_blocks(lang: str) -> dict:
    text = t(lang, "brief.help")
    return message(text, [section(text), open_button(OPEN_ACTION, t(lang, "brief.open_button"))])


def invalid_length(lang: str, *, max_length: int, length: int) -> str:
    return t(lang, "brief.invalid.too_long", max=max_length, length=length)


def invalid_empty(lang: str) -> str:
    return t(lang, "brief.invalid.empty")
