"""/calibrate's buttons and forms: the rep's four questions, the manager's minutes with their
action items, a move and a skip. Each button names its calibration (its value is the
calibration's ref) and opens its form; each form is checked field by field and saved through
its saver; who else needs to know hears after the ack (bot/jobs/calibration.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Usage
from bot.i18n import Raw, t
from bot.jobs.calibration import ledger_period, notify, notify_moved
from bot.render import calibrate as render
from bot.render.blocks import usage_text
from bot.services import calibration as cal
from handlers.access import refuse, require_manager, require_party
from handlers.forms import agreed_items, check_texts, day_from, metadata, modal_value, picked
from store import actions, audit
from store import calibrations as store
from store.calibrations import Answers, Minutes

Reply = Callable[[], dict]  # built once the change is committed (it may look people up)
After = Callable[[], object]  # what to send once the form has its answer
# A form's saver: field errors (nothing is saved), or None, the view to show once committed,
# and what to send after the ack.
Saver = Callable[[Deps, WebClient, Who, cal.Occurrence, dict, Session],
                 tuple[dict | None, Reply, After]]


def _nothing() -> None:
    return None


# ----------------------------------------------------------------- the listeners

def handle_button(ack: Ack, body: dict, client: WebClient, *, deps: Deps, form: str) -> None:
    """A DM's button: the form for the calibration it names, or why not (in a modal)."""
    ack()
    who = deps.who(client, body)
    ref = ((body.get("actions") or [{}])[0].get("value") or "")
    try:
        view = _form_view(deps, who, ref, form)
    except Usage as usage:  # the answer is a modal: the error handler can't show one
        view = render.done_view(who.lang, usage_text(usage, who.lang))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_submit(ack: Ack, body: dict, view: dict, client: WebClient, *, deps: Deps,
                  save: Saver) -> None:
    """A form sent: field errors shown in the form and nothing saved, or saved and the form
    turned into a confirmation; who else needs to know hears after the ack."""
    who = deps.who(client, body)
    values = (view.get("state") or {}).get("values") or {}
    ref = str(metadata(view).get("ref") or "")
    try:
        with deps.sessions() as session:
            occ = _occurrence(session, deps, ref)
            errors, done, after = save(deps, client, who, occ, values, session)
            if errors:
                session.rollback()
                ack(response_action="errors", errors=errors)
                return
    except Usage as usage:  # the answer is the form itself: the modal says why
        ack(response_action="update", view=render.done_view(who.lang,
                                                             usage_text(usage, who.lang)))
        return
    ack(response_action="update", view=done())
    after()


# ----------------------------------------------------------------- opening a form

def _occurrence(session: Session, deps: Deps, ref: str) -> cal.Occurrence:
    occ = cal.resolve(session, ref, deps.clock.now())
    if occ is None:
        raise Usage("calx.gone")
    return occ


def _form_view(deps: Deps, who: Who, ref: str, form: str) -> dict:
    with deps.sessions() as session:
        occ = _occurrence(session, deps, ref)
        _check(session, deps, who, occ, form)
        if form == "answers":
            return render.answers_modal(who.lang, occ, tz=who.profile.tz)
        if form == "move":
            return render.move_modal(who.lang, occ, tz=who.profile.tz)
        if form == "skip":
            return render.skip_modal(who.lang, occ, tz=who.profile.tz)
        # A button names its calibration: the manager may write its minutes whenever they
        # like (only `/calibrate minutes`, which picks one, refuses one still days away).
        items = actions.of_calibration(session, calibration_id=occ.row.id) if occ.row else []
        return render.minutes_modal(who.lang, occ, tz=who.profile.tz, items=items)


def _check(session: Session, deps: Deps, who: Who, occ: cal.Occurrence, form: str) -> None:
    """May this person use this form for this calibration, now?"""
    if form == "answers":
        if who.user_id != occ.pair.rep:
            refuse(deps, who, "calibrate.answers", occ.pair.rep, "calx.rep_only")
    elif form in ("minutes", "skip"):
        require_manager(session, deps, who, occ.pair.rep, f"calibrate.{form}")
    else:
        require_party(session, deps, who, occ.pair.rep, occ.pair.manager, "calibrate.move")
    if occ.status == store.CANCELLED:
        raise Usage("calx.gone")
    if form != "minutes" and not occ.open:
        raise Usage("calx.closed_" + occ.status)


# ----------------------------------------------------------------- the savers

def _texts(lang: str, values: dict, limits: dict[str, int], errors: dict[str, str]) -> dict:
    return check_texts(values, {name: (name, limit) for name, limit in limits.items()},
                       errors, lambda limit, length: t(lang, "calx.too_long", max=limit,
                                                       length=length))


def save_answers(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence,
                 values: dict, session: Session) -> tuple[dict | None, Reply, After]:
    _check(session, deps, who, occ, "answers")
    errors: dict[str, str] = {}
    texts = _texts(who.lang, values, render.QUESTIONS, errors)
    if not errors and not any(texts.values()):
        errors["progress"] = t(who.lang, "calx.answers_empty")
    if errors:
        return errors, dict, _nothing
    now = deps.clock.now()
    row = cal.stored(session, occ, now)
    first = store.save_answers(session, row=row, answers=Answers(**texts), now=now)
    answered = cal.Occurrence(occ.pair, row.slot, occ.at, row.status, occ.set_at, row)

    def done() -> dict:
        return render.done_view(who.lang, t(who.lang, "calx.answers_saved",
                                            other=Raw(f"<@{occ.pair.manager}>"), first=first))

    def after() -> None:
        notify(deps, client, occ.pair.info, occ.pair.manager, ledger_period(occ, "answers"),
               lambda lang, tz: render.answers_notice_blocks(lang, answered, tz=tz))
    return None, done, after if first else _nothing


def save_minutes(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence,
                 values: dict, session: Session) -> tuple[dict | None, Reply, After]:
    _check(session, deps, who, occ, "minutes")
    now = deps.clock.now()
    errors: dict[str, str] = {}
    texts = _texts(who.lang, values, render.MINUTES_FIELDS, errors)
    if not texts["notes"] and "notes" not in errors:
        errors["notes"] = t(who.lang, "calx.notes_empty")
    agreed = agreed_items(values, who.lang, who.today(deps.clock), errors,
                          rows=render.ITEM_ROWS, default_owner=occ.pair.rep,
                          text_max=render.ITEM_TEXT_MAX, measure_max=render.ITEM_MEASURE_MAX)
    if errors:
        return errors, dict, _nothing
    row = cal.stored(session, occ, now)
    first = store.record_minutes(session, row=row, minutes=Minutes(**texts), by=who.user_id,
                                 now=now)
    items = actions.save_agreed(session, calibration=row, agreed=agreed, by=who.user_id,
                                now=now)
    if who.user_id != row.manager_user_id:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="calibrate.minutes", target=row.rep_user_id, outcome="done",
                     now=now)
    open_items = len([i for i in items if i.status == "open"])

    def done() -> dict:
        return render.done_view(who.lang, t(who.lang, "calx.minutes_saved",
                                            rep=Raw(f"<@{row.rep_user_id}>"), items=open_items,
                                            first=first))
    period = ledger_period(occ, "summary", now)

    def after() -> None:
        for person in (row.rep_user_id, row.manager_user_id):
            notify(deps, client, occ.pair.info, person, period,
                   lambda lang, tz, p=person: render.summary_blocks(
                       lang, row, items, viewer=p, tz=tz, edited=not first))
    return None, done, after


def save_move(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence, values: dict,
              session: Session) -> tuple[dict | None, Reply, After]:
    _check(session, deps, who, occ, "move")
    day = day_from(picked(values, "day", "selected_date"))
    at_time = render.parse_time(picked(values, "time", "selected_time"))
    following = picked(values, "scope", "selected_option") == "following"
    errors: dict[str, str] = {}
    if day is None:
        errors["day"] = t(who.lang, "calx.pick_day")
    if at_time is None:
        errors["time"] = t(who.lang, "calx.pick_time")
    if errors:
        return errors, dict, _nothing
    at = datetime.combine(day, at_time, tzinfo=who.profile.tz)
    now = deps.clock.now()
    refusal = cal.move_refusal(occ, at, now)
    if refusal:
        block = "time" if refusal == "calx.move_past" and day == who.today(deps.clock) else "day"
        return {block: t(who.lang, refusal, **render.move_words(who.lang, occ, at))}, dict, \
            _nothing
    moved = cal.move_for(session, occ, at=at, following=following,
                         workspace_id=who.workspace_id, by=who.user_id, now=now)

    def zone(user: str) -> ZoneInfo:
        return deps.users.profile(client, who.workspace_id, user).tz

    return (None, lambda: render.done_view(who.lang, render.moved_text(
                who.lang, moved, viewer=who.user_id, tz=who.profile.tz, zone=zone,
                following=following)),
            lambda: notify_moved(deps, client, moved, by=who.user_id, following=following,
                                 zone=zone))


def save_skip(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence, values: dict,
              session: Session) -> tuple[dict | None, Reply, After]:
    _check(session, deps, who, occ, "skip")
    reason = modal_value(values, "reason")
    if len(reason) > cal.SKIP_REASON_MAX:
        return {"reason": t(who.lang, "calx.too_long", max=cal.SKIP_REASON_MAX,
                            length=len(reason))}, dict, _nothing
    cal.skip_for(session, occ, reason=reason, by=who.user_id, now=deps.clock.now())
    return None, lambda: render.done_view(who.lang, t(
        who.lang, "calx.skipped", rep=Raw(f"<@{occ.pair.rep}>"),
        when=Raw(render.when(occ.at, who.profile.tz, who.lang)))), _nothing


LISTENERS = [
    *(("action", action_id, partial(handle_button, form=form))
      for action_id, form in ((render.ANSWER_ACTION, "answers"), (render.MOVE_ACTION, "move"),
                              (render.MINUTES_ACTION, "minutes"), (render.SKIP_ACTION, "skip"))),
    *(("view", callback_id, partial(handle_submit, save=save))
      for callback_id, save in ((render.ANSWERS_FORM, save_answers),
                                (render.MINUTES_FORM, save_minutes),
                                (render.MOVE_FORM, save_move), (render.SKIP_FORM, save_skip))),
]
