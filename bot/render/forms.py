"""Block Kit for modals, shared by every form: inputs, the modal itself, an open button, and
an answer shown back. Every input's action_id is VALUE_ACTION; its block_id names the field."""

from __future__ import annotations

import json

VALUE_ACTION = "value"
DISPLAY_LIMIT = 1200  # characters of one answer shown back (sections hold 3000)


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
