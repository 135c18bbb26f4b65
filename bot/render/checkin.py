"""Block Kit for /checkin: the modal, its confirmation, inline replies, errors and help.

The modal helpers here (`plain`, `text_input`, `number_input`, `modal`) are shared with the
Friday brief's builders in bot/render/brief.py.
"""

from __future__ import annotations

import json
from datetime import date

from bot.i18n import Raw, format_day, t
from bot.render.blocks import context, error_section, message, section

OPEN_ACTION = "checkin_open"  # a button that opens the check-in modal (reminder DMs send it)
MODAL_CALLBACK = "checkin_modal"
VALUE_ACTION = "value"  # every input's action_id; the block_id names the field

# block_id -> (the model's field, the longest answer kept)
TEXT_FIELDS = {"plan": ("plan", 2000), "customers": ("key_customers", 500),
               "yesterday": ("yesterday", 2000), "blockers": ("blockers", 2000)}
COUNT_FIELDS = {"visits": "planned_visits", "calls": "planned_calls"}
MAX_PLANNED = 100
DISPLAY_LIMIT = 1200  # characters of one answer shown back (sections hold 3000)


# ----------------------------------------------------------------- shared modal pieces

def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


def text_input(block_id: str, label: str, *, max_length: int, initial: str | None,
               hint: str | None = None, multiline: bool = True) -> dict:
    element: dict = {"type": "plain_text_input", "action_id": VALUE_ACTION,
                     "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    block = {"type": "input", "block_id": block_id, "optional": True, "label": plain(label),
             "element": element}
    if hint:
        block["hint"] = plain(hint)
    return block


def number_input(block_id: str, label: str, *, initial: int | None, maximum: int,
                 hint: str | None = None) -> dict:
    element: dict = {"type": "number_input", "action_id": VALUE_ACTION,
                     "is_decimal_allowed": False, "min_value": "0", "max_value": str(maximum)}
    if initial is not None:
        element["initial_value"] = str(initial)
    block = {"type": "input", "block_id": block_id, "optional": True, "label": plain(label),
             "element": element}
    if hint:
        block["hint"] = plain(hint)
    return block


def modal(*, title: str, blocks: list[dict], callback_id: str | None = None,
          submit: str | None = None, close: str, metadata: dict | None = None) -> dict:
    view: dict = {"type": "modal", "title": plain(title[:24]), "close": plain(close[:24]),
                  "blocks": blocks}
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain(submit[:24])
    if metadata is not None:
        view["private_metadata"] = json.dumps(metadata, separators=(",", ":"))
    return view


def shown(text: str) -> str:
    """An answer as it is shown back: trimmed to fit a section (escaped later, by t())."""
    return text if len(text) <= DISPLAY_LIMIT else text[:DISPLAY_LIMIT].rstrip() + "…"


def open_button(action_id: str, label: str) -> dict:
    return {"type": "actions", "elements": [{
        "type": "button", "action_id": action_id, "value": "open", "text": plain(label)}]}


# ----------------------------------------------------------------- check-in

def checkin_button(lang: str) -> dict:
    """An actions block with the button that opens the check-in form (for reminder DMs)."""
    return open_button(OPEN_ACTION, t(lang, "checkin.open_button"))


def checkin_modal(lang: str, *, day: date, existing, metadata: dict) -> dict:
    """The check-in form for `day`, pre-filled (and saying so) when it was already answered."""
    day_text = Raw(format_day(day, lang))
    intro = (t(lang, "checkin.editing", day=day_text) if existing is not None
             else t(lang, "checkin.intro", day=day_text))
    values = existing
    blocks = [
        section(intro),
        text_input("plan", t(lang, "checkin.field.plan"), max_length=TEXT_FIELDS["plan"][1],
                   initial=values.plan if values else None, hint=t(lang, "checkin.hint.plan")),
        number_input("visits", t(lang, "checkin.field.visits"), maximum=MAX_PLANNED,
                     initial=values.planned_visits if values else None),
        number_input("calls", t(lang, "checkin.field.calls"), maximum=MAX_PLANNED,
                     initial=values.planned_calls if values else None),
        text_input("customers", t(lang, "checkin.field.customers"), multiline=False,
                   max_length=TEXT_FIELDS["customers"][1],
                   initial=values.key_customers if values else None,
                   hint=t(lang, "checkin.hint.customers")),
        text_input("yesterday", t(lang, "checkin.field.yesterday"),
                   max_length=TEXT_FIELDS["yesterday"][1],
                   initial=values.yesterday if values else None),
        text_input("blockers", t(lang, "checkin.field.blockers"),
                   max_length=TEXT_FIELDS["blockers"][1],
                   initial=values.blockers if values else None,
                   hint=t(lang, "checkin.hint.blockers")),
    ]
    title = t(lang, "checkin.title_edit" if existing is not None else "checkin.title")
    return modal(title=title, blocks=blocks, callback_id=MODAL_CALLBACK,
                 submit=t(lang, "checkin.submit"), close=t(lang, "checkin.cancel"),
                 metadata=metadata)


def _summary_blocks(lang: str, checkin) -> list[dict]:
    blocks = []
    if checkin.planned_visits is not None or checkin.planned_calls is not None:
        blocks.append(section(t(lang, "checkin.summary.counts", visits=checkin.planned_visits,
                                calls=checkin.planned_calls)))
    for field, key in (("plan", "plan"), ("key_customers", "customers"),
                       ("yesterday", "yesterday"), ("blockers", "blockers")):
        value = getattr(checkin, field)
        if value:
            blocks.append(section(t(lang, "checkin.summary.field",
                                    label=Raw(t(lang, f"checkin.field.{key}")),
                                    value=shown(value))))
    return blocks


def _headline(lang: str, checkin, created: bool, *, inline: bool) -> str:
    day = Raw(format_day(checkin.day, lang))
    if created:
        return "✅ " + t(lang, "checkin.saved", day=day)
    return "✏️ " + t(lang, "checkin.edited_inline" if inline else "checkin.edited", day=day)


def checkin_saved_blocks(lang: str, *, checkin, created: bool, on_team: bool) -> dict:
    """The private reply to an inline /checkin: what is now stored for the day."""
    headline = _headline(lang, checkin, created, inline=True)
    blocks = [section(headline), *_summary_blocks(lang, checkin)]
    notes = [t(lang, "checkin.edit_note")]
    if not on_team:
        notes.append(t(lang, "checkin.no_team"))
    blocks.append(context(*notes))
    blocks.append(open_button(OPEN_ACTION, t(lang, "checkin.edit_button")))
    return message(headline, blocks)


def checkin_saved_view(lang: str, *, checkin, created: bool, on_team: bool) -> dict:
    """What the modal turns into once saved (response_action: update)."""
    headline = _headline(lang, checkin, created, inline=False)
    blocks = [section(headline), *_summary_blocks(lang, checkin)]
    if not on_team:
        blocks.append(context(t(lang, "checkin.no_team")))
    return modal(title=t(lang, "checkin.title_saved"), blocks=blocks,
                 close=t(lang, "checkin.done"))


def checkin_error_blocks(lang: str, code: str, params: dict) -> dict:
    """A private, specific error with a corrected example; nothing was saved."""
    shown_params = dict(params)
    if "what" in params:
        shown_params["what"] = Raw(t(lang, f"checkin.what.{params['what']}"))
    if "field" in params:
        shown_params["field"] = Raw(t(lang, f"checkin.field.{params['field']}"))
    text = "⚠️ " + t(lang, f"checkin.errors.{code}", **shown_params)
    blocks = [error_section(text), section(t(lang, "checkin.errors.try",
                                       example=t(lang, "checkin.example"))),
              context(t(lang, "checkin.errors.more"))]
    return message(text, blocks)


def checkin_help_blocks(lang: str) -> dict:
    text = t(lang, "checkin.help")
    return message(text, [section(text), open_button(OPEN_ACTION, t(lang, "checkin.open_button"))])


def invalid_count(lang: str) -> str:
    return t(lang, "checkin.invalid.count", max=MAX_PLANNED)


def invalid_length(lang: str, *, max_length: int, length: int) -> str:
    return t(lang, "checkin.invalid.too_long", max=max_length, length=length)


def invalid_empty(lang: str) -> str:
    return t(lang, "checkin.invalid.empty")
