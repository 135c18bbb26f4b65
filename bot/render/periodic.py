"""Block Kit for the periodic forms: the daily check-in and the weekly (Friday) brief are one
form that differs by the period an answer covers and by its fields (a FormKind, described in
bot/render/checkin.py and bot/render/brief.py). The modal, its confirmation, the reply to an
inline answer, errors with a corrected example, and help.

Every word comes from the kind's own catalogue section (`checkin.*`, `brief.*`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.i18n import Raw, format_day, t
from bot.render.blocks import context, error_section, message, section
from bot.render.forms import modal, number_input, open_button, shown, text_input

DAY, WEEK = "day", "week"


@dataclass(frozen=True)
class Field:
    """One input: its block_id, the stored answer's attribute, and the longest text kept
    (None: a count from 0 to the kind's max_count)."""

    block_id: str
    attr: str
    limit: int | None = None
    multiline: bool = True
    hint: bool = False

    @property
    def is_count(self) -> bool:
        return self.limit is None


@dataclass(frozen=True)
class FormKind:
    name: str  # its catalogue section and command: "checkin", "brief"
    period: str  # DAY or WEEK: what one answer covers
    open_action: str  # a button that opens the form (reminder DMs send it)
    callback: str  # the modal's callback_id
    fields: tuple[Field, ...]
    summary: str  # the key (in the kind's section) of one answer shown back
    max_count: int = 0

    def key(self, name: str) -> str:
        return f"{self.name}.{name}"

    @property
    def text_fields(self) -> dict[str, tuple[str, int]]:
        """block_id -> (the stored answer's attribute, the longest answer kept)."""
        return {f.block_id: (f.attr, f.limit) for f in self.fields if f.limit is not None}

    @property
    def count_fields(self) -> dict[str, str]:
        """block_id -> the stored answer's attribute, for the counts."""
        return {f.block_id: f.attr for f in self.fields if f.is_count}


def period_words(kind: FormKind, lang: str, start: date) -> dict:
    """The period an answer covers, as the kind's texts name it: {day} or {start}–{end}."""
    if kind.period == DAY:
        return {"day": Raw(format_day(start, lang))}
    return {"start": Raw(format_day(start, lang)),
            "end": Raw(format_day(start + timedelta(days=6), lang))}


def button(kind: FormKind, lang: str) -> dict:
    """An actions block with the button that opens the form (for reminder DMs)."""
    return open_button(kind.open_action, t(lang, kind.key("open_button")))


def _input(kind: FormKind, lang: str, field: Field, existing) -> dict:  # noqa: ANN001
    initial = getattr(existing, field.attr) if existing is not None else None
    label = t(lang, kind.key(f"field.{field.block_id}"))
    if field.is_count:
        return number_input(field.block_id, label, maximum=kind.max_count, initial=initial)
    return text_input(field.block_id, label, max_length=field.limit, initial=initial,
                      multiline=field.multiline,
                      hint=t(lang, kind.key(f"hint.{field.block_id}")) if field.hint else None)


def form_modal(kind: FormKind, lang: str, *, start: date, existing, metadata: dict) -> dict:
    """The form for the period starting `start`, pre-filled (and saying so) when it was
    already answered."""
    intro = t(lang, kind.key("editing" if existing is not None else "intro"),
              **period_words(kind, lang, start))
    blocks = [section(intro), *(_input(kind, lang, field, existing) for field in kind.fields)]
    title = t(lang, kind.key("title_edit" if existing is not None else "title"))
    return modal(title=title, blocks=blocks, callback_id=kind.callback,
                 submit=t(lang, kind.key("submit")), close=t(lang, kind.key("cancel")),
                 metadata=metadata)


def _summary_blocks(kind: FormKind, lang: str, row) -> list[dict]:  # noqa: ANN001
    counts = {f.block_id: getattr(row, f.attr) for f in kind.fields if f.is_count}
    blocks = []
    if any(value is not None for value in counts.values()):
        blocks.append(section(t(lang, kind.key("summary.counts"), **counts)))
    for field in kind.fields:
        value = None if field.is_count else getattr(row, field.attr)
        if value:
            blocks.append(section(t(lang, kind.key(kind.summary),
                                    label=Raw(t(lang, kind.key(f"field.{field.block_id}"))),
                                    value=shown(value))))
    return blocks


def _headline(kind: FormKind, lang: str, start: date, created: bool, *, inline: bool) -> str:
    words = period_words(kind, lang, start)
    if created:
        return "✅ " + t(lang, kind.key("saved"), **words)
    return "✏️ " + t(lang, kind.key("edited_inline" if inline else "edited"), **words)


def saved_blocks(kind: FormKind, lang: str, *, row, start: date, created: bool,
                 on_team: bool) -> dict:
    """The private reply to an inline answer: what is now stored for the period."""
    headline = _headline(kind, lang, start, created, inline=True)
    blocks = [section(headline), *_summary_blocks(kind, lang, row)]
    notes = [t(lang, kind.key("edit_note"))]
    if not on_team:
        notes.append(t(lang, kind.key("no_team")))
    blocks.append(context(*notes))
    blocks.append(open_button(kind.open_action, t(lang, kind.key("edit_button"))))
    return message(headline, blocks)


def saved_view(kind: FormKind, lang: str, *, row, start: date, created: bool,
               on_team: bool) -> dict:
    """What the modal turns into once saved (response_action: update)."""
    headline = _headline(kind, lang, start, created, inline=False)
    blocks = [section(headline), *_summary_blocks(kind, lang, row)]
    if not on_team:
        blocks.append(context(t(lang, kind.key("no_team"))))
    return modal(title=t(lang, kind.key("title_saved")), blocks=blocks,
                 close=t(lang, kind.key("done")))


def error_blocks(kind: FormKind, lang: str, code: str, params: dict) -> dict:
    """A private, specific error with a corrected example; nothing was saved."""
    shown_params = dict(params)
    if "what" in params:
        shown_params["what"] = Raw(t(lang, kind.key(f"what.{params['what']}")))
    if "field" in params:
        shown_params["field"] = Raw(t(lang, kind.key(f"field.{params['field']}")))
    text = "⚠️ " + t(lang, kind.key(f"errors.{code}"), **shown_params)
    blocks = [error_section(text), section(t(lang, kind.key("errors.try"),
                                       example=t(lang, kind.key("example")))),
              context(t(lang, kind.key("errors.more")))]
    return message(text, blocks)


def help_blocks(kind: FormKind, lang: str) -> dict:
    text = t(lang, kind.key("help"))
    return message(text, [section(text), button(kind, lang)])


def invalid_count(kind: FormKind, lang: str) -> str:
    return t(lang, kind.key("invalid.count"), max=kind.max_count)


def invalid_length(kind: FormKind, lang: str, *, max_length: int, length: int) -> str:
    return t(lang, kind.key("invalid.too_long"), max=max_length, length=length)


def invalid_empty(kind: FormKind, lang: str) -> str:
    return t(lang, kind.key("invalid.empty"))
