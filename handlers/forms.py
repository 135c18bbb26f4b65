"""Forms (Slack modals), shared by every handler: what a submitted view holds, the team and
day it was opened for, agreed action items (calibration minutes, review records); the one flow
of the periodic forms, the daily check-in (handlers/checkin.py) and the Friday brief
(handlers/brief.py), which differ only by the period an answer covers, their fields and their
inline grammar; and the one flow of a form a DM's button opens and a saver checks field by
field (the review cycle's forms, handlers/review*.py).

A periodic form is answered by `/checkin` (`/brief`) with no text (the modal), by its button
in a reminder DM (the modal), or inline (`/checkin plan: ...`); one answer per rep per period,
a second edits it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import ModuleType
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.periods import week_bounds
from bot.deps import Deps, Who
from bot.errors import Refused
from bot.grammar.inline import InlineError
from bot.i18n import Raw, format_day, t
from bot.render import periodic as render
from bot.render.forms import VALUE_ACTION
from bot.render.periodic import DAY, FormKind
from bot.slack.text import row_id
from handlers.registry import Listener
from store import audit, teams
from store.actions import Agreed

STALE_FORM_DAYS = 7


# ================================================================ reading a submitted view

def metadata(view: dict) -> dict:
    """The private_metadata a form was opened with (as sent, but it may be stale)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def modal_value(values: dict, block_id: str) -> str:
    """The text in one input of a submitted view (blank when left empty)."""
    entry = (values.get(block_id) or {}).get(VALUE_ACTION) or {}
    return (entry.get("value") or "").strip()


def picked(values: dict, block_id: str, key: str) -> str:
    """What a picker holds (`selected_date`, `selected_user`, `selected_option`...); blank
    when nothing was picked."""
    entry = (values.get(block_id) or {}).get(VALUE_ACTION) or {}
    value = entry.get(key)
    if isinstance(value, dict):  # radio buttons and selects: {"value": …}
        value = value.get("value")
    return value if isinstance(value, str) else ""


def check_texts(values: dict, fields: Mapping[str, tuple[str, int]], errors: dict[str, str],
                too_long: Callable[[int, int], str]) -> dict[str, str]:
    """Each free-text answer by model field; too-long ones add `too_long(max, length)` errors."""
    answers = {}
    for block_id, (field, limit) in fields.items():
        text = modal_value(values, block_id)
        if len(text) > limit:
            errors[block_id] = too_long(limit, len(text))
        answers[field] = text
    return answers


def team_id_for(session: Session, who: Who, meta: dict) -> int | None:
    """The team the answer files under: the one named when the form opened if the rep is
    still on it, else the rep's (metadata comes back from Slack as sent, but may be stale)."""
    named = row_id(meta.get("team"))
    if named in teams.teams_of(session, workspace_id=who.workspace_id, user_id=who.user_id):
        return named
    team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    return team.id if team else None


def day_from(value: object) -> date | None:
    """The ISO date a form's metadata carries, or None if it carries none (or garbage)."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def form_day(value: object, today: date) -> date:
    """The day a form was opened for (its metadata): kept if it is today or up to
    STALE_FORM_DAYS back (Save pressed after midnight), else today."""
    day = day_from(value)
    if day is None or not today - timedelta(days=STALE_FORM_DAYS) <= day <= today:
        return today
    return day


# ================================================================ the periodic forms

@dataclass(frozen=True)
class Inline:
    """What an inline answer asks: "help", or "save" these answers."""

    action: str
    answers: Any = None


@dataclass(frozen=True)
class PeriodicForm:
    """One periodic form: its face in Slack, its inline grammar, where its answers are kept."""

    kind: FormKind  # ids, fields and words (bot/render/checkin.py, brief.py)
    parse: Callable[[str], Inline]  # the inline grammar; raises InlineError
    answers: Callable[..., Any]  # the store's answers type, built from the fields
    store: ModuleType  # store/checkins.py, store/briefs.py: get() and upsert()
    period_field: str  # how the store names the period's first day ("day", "week_start")

    def stored(self, session: Session, who: Who, start: date) -> Any:
        """The rep's answer for the period starting `start`, or None."""
        return self.store.get(session, workspace_id=who.workspace_id, user_id=who.user_id,
                              **{self.period_field: start})

    def save(self, session: Session, who: Who, team_id: int | None, start: date,
             answers: Any, *, now: datetime, replace: bool) -> tuple[Any, bool]:
        """Store the answer (a second one in the period edits the first); the stored row
        (the store's Saved names it after the kind), and whether it is new."""
        saved = self.store.upsert(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                  team_id=team_id, **{self.period_field: start},
                                  answers=answers, now=now, replace=replace)
        return getattr(saved, self.kind.name), saved.created

    def start(self, day: date) -> date:
        """The first day of the period `day` falls in."""
        return day if self.kind.period == DAY else week_bounds(day)[0]

    @property
    def meta_key(self) -> str:  # the modal's metadata names the period by its first day
        return "day" if self.kind.period == DAY else "week"


def listeners(command: str, form: PeriodicForm) -> list[Listener]:
    """A periodic form's listeners: its command, its open button and its modal."""
    return [("command", command, functools.partial(handle_form_command, form=form)),
            ("action", form.kind.open_action, functools.partial(handle_form_button, form=form)),
            ("view", form.kind.callback, functools.partial(handle_form_submit, form=form))]


def handle_form_command(ack: Ack, command: dict, client: WebClient, *, deps: Deps,
                        form: PeriodicForm) -> None:
    text = (command.get("text") or "").strip()
    if not text:
        # Ack first so Slack hears back at once; the trigger_id stays valid for 3 s.
        ack()
        open_form(deps, form, client, command, command["trigger_id"])
        return
    who = deps.who(client, command)
    try:
        parsed = form.parse(text)
    except InlineError as error:  # the grammar's own reply: what to fix, and an example
        ack(**render.error_blocks(form.kind, who.lang, error.code, error.params))
        return
    if parsed.action == "help":
        ack(**render.help_blocks(form.kind, who.lang))
        return
    start = form.start(who.today(deps.clock))
    with deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
        row, created = form.save(session, who, team.id if team else None, start,
                                 parsed.answers, now=deps.clock.now(), replace=False)
    ack(**render.saved_blocks(form.kind, who.lang, row=row, start=start, created=created,
                              on_team=team is not None))


def handle_form_button(ack: Ack, body: dict, client: WebClient, *, deps: Deps,
                       form: PeriodicForm) -> None:
    ack()
    open_form(deps, form, client, body, body["trigger_id"])


def handle_form_submit(ack: Ack, body: dict, view: dict, client: WebClient, *, deps: Deps,
                       form: PeriodicForm) -> None:
    who = deps.who(client, body)
    meta = metadata(view)
    answers, errors = read_form(form, view.get("state", {}).get("values", {}), who.lang)
    if answers is None:
        ack(response_action="errors", errors=errors)
        return
    # The period the form was opened for, even if Save is pressed after midnight (Sunday's).
    start = form.start(form_day(meta.get(form.meta_key), form.start(who.today(deps.clock))))
    with deps.sessions() as session:
        team_id = team_id_for(session, who, meta)
        row, created = form.save(session, who, team_id, start, answers, now=deps.clock.now(),
                                 replace=True)
    ack(response_action="update", view=render.saved_view(
        form.kind, who.lang, row=row, start=start, created=created, on_team=team_id is not None))


def open_form(deps: Deps, form: PeriodicForm, client: WebClient, body: dict,
              trigger_id: str) -> None:
    """Open the form for the rep's current period, pre-filled if they already answered."""
    who = deps.who(client, body)
    start = form.start(who.today(deps.clock))
    with deps.sessions() as session:
        existing = form.stored(session, who, start)
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    # The submission needs the team and period the form was opened for.
    meta = {"team": team.id if team else None, form.meta_key: start.isoformat()}
    client.views_open(trigger_id=trigger_id, view=render.form_modal(
        form.kind, who.lang, start=start, existing=existing, metadata=meta))


def read_form(form: PeriodicForm, values: dict, lang: str) -> tuple[Any, dict[str, str]]:
    """The submitted form as answers, or the per-block errors to show (in `lang`)."""
    kind = form.kind
    errors: dict[str, str] = {}
    texts = check_texts(values, kind.text_fields, errors, lambda limit, length:
                        render.invalid_length(kind, lang, max_length=limit, length=length))
    counts: dict[str, int | None] = {}
    for block_id, field in kind.count_fields.items():
        raw = modal_value(values, block_id)
        if not raw:
            counts[field] = None
        elif re.fullmatch(r"\d{1,3}", raw) and int(raw) <= kind.max_count:
            counts[field] = int(raw)
        else:
            errors[block_id] = render.invalid_count(kind, lang)
    if not errors and not any(texts.values()) and all(v is None for v in counts.values()):
        errors[kind.fields[0].block_id] = render.invalid_empty(kind, lang)
    if errors:
        return None, errors
    return form.answers(**texts, **counts), {}


# ================================================================ agreed action items

def agreed_items(values: dict, lang: str, today: date, errors: dict[str, str], *, rows: int,
                 default_owner: str, text_max: int, measure_max: int) -> list[Agreed]:
    """The action-item rows of a form (a{n}_text, _owner, _due, _measure); a row with
    anything in it needs a text, a due date from today on and a measure (seed 000: 具体行动项、
    完成时间、衡量标准)."""
    agreed = []
    for n in range(1, rows + 1):
        text, measure = modal_value(values, f"a{n}_text"), modal_value(values, f"a{n}_measure")
        due_text = picked(values, f"a{n}_due", "selected_date")
        owner = picked(values, f"a{n}_owner", "selected_user") or default_owner
        if not (text or measure or due_text):
            continue
        if not text:
            errors[f"a{n}_text"] = t(lang, "calx.item_text")
        elif len(text) > text_max:
            errors[f"a{n}_text"] = t(lang, "calx.too_long", max=text_max, length=len(text))
        if len(measure) > measure_max:
            errors[f"a{n}_measure"] = t(lang, "calx.too_long", max=measure_max,
                                        length=len(measure))
        elif not measure:
            errors[f"a{n}_measure"] = t(lang, "calx.item_measure")
        due = day_from(due_text)
        if due is None:
            errors[f"a{n}_due"] = t(lang, "calx.item_due")
        elif due < today:
            errors[f"a{n}_due"] = t(lang, "calx.item_due_past",
                                    today=Raw(format_day(today, lang)))
        elif due > today + timedelta(days=366):
            errors[f"a{n}_due"] = t(lang, "calx.item_due_far")
        if not errors and due is not None:
            agreed.append(Agreed(n, text, owner, due, measure))
    return agreed


# ================================================================ forms a DM's button opens

class Answers:
    """A submitted view's answers, and the errors to show beside its inputs (in `lang`)."""

    def __init__(self, view: dict, lang: str) -> None:
        self.values = view.get("state", {}).get("values", {})
        self.lang = lang
        self.errors: dict[str, str] = {}

    def raw(self, block_id: str) -> str | None:
        entry = (self.values.get(block_id) or {}).get(VALUE_ACTION) or {}
        if "selected_option" in entry:
            return (entry.get("selected_option") or {}).get("value")
        if "selected_user" in entry:
            return entry.get("selected_user")
        return (entry.get("value") or "").strip() or None

    def text(self, block_id: str, *, required: bool = True, limit: int = 3000) -> str:
        value = self.raw(block_id) or ""
        if required and not value:
            self.errors[block_id] = t(self.lang, "review.invalid.required")
        elif len(value) > limit:
            self.errors[block_id] = t(self.lang, "review.invalid.too_long", max=limit,
                                      length=len(value))
        return value

    def choice(self, block_id: str, allowed: tuple[str, ...], error: str, *,
               required: bool = True) -> str | None:
        value = self.raw(block_id)
        if value is None and not required:
            return None
        if value not in allowed:
            self.errors[block_id] = t(self.lang, error)
            return None
        return value


StepView = Callable[[Session, Deps, Who, str], dict]  # a form for the button's value
# A form's saver (the client to look people up): (the confirmation, the team whose steps to
# advance); sets answers.errors (then nothing is written) or raises Refused.
StepSaver = Callable[[Session, Deps, Who, dict, Answers, WebClient], tuple[str, int]]


def _denied(session: Session, deps: Deps, who: Who, refused: Refused, what: str) -> None:
    if refused.key.endswith(".not_yours"):
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action=what, target=what.rpartition(".")[2], outcome="denied",
                     now=deps.clock.now(), detail=refused.key)


def handle_step_open(ack: Ack, body: dict, client: WebClient, *, deps: Deps, step: str,
                     view: StepView, done: Callable[[str, str], dict]) -> None:
    """A DM's button: the step's form, or why it cannot be opened (refusals audited)."""
    ack()
    who = deps.who(client, body)
    raw = (body.get("actions") or [{}])[0].get("value") or ""
    with deps.sessions() as session:
        try:
            shown = view(session, deps, who, raw)
        except Refused as refused:
            _denied(session, deps, who, refused, step)
            shown = done(who.lang, refused.text(who.lang))
        except ValueError:
            shown = done(who.lang, t(who.lang, "review.refuse.not_found"))
    client.views_open(trigger_id=body["trigger_id"], view=shown)


def handle_step_submit(ack: Ack, body: dict, view: dict, client: WebClient, *, deps: Deps,
                       step: str, first_block: str, save: StepSaver,
                       done: Callable[[str, str], dict],
                       after: Callable[[Deps, int], object]) -> None:
    """A form's submit: refusals and invalid answers are shown in the form (nothing saved);
    a good one is saved, the form says so, and `after` sends what became due."""
    who = deps.who(client, body)
    answers = Answers(view, who.lang)
    with deps.sessions() as session:
        try:
            text, team_id = save(session, deps, who, metadata(view), answers, client)
        except Refused as refused:
            _denied(session, deps, who, refused, step)
            answers.errors = {first_block: refused.text(who.lang)}
        if answers.errors:  # nothing was written: the savers check everything first
            session.rollback()
            ack(response_action="errors", errors=answers.errors)
            return
    ack(response_action="update", view=done(who.lang, text))
    after(deps, team_id)
