"""The result conversation's forms (seed 000): moving the talk, the manager's record of what
was agreed, and the rep's confirmation (with a comment, if any). The DMs that carry their
buttons come from bot/jobs/review.py; who may do what is bot/services/review.py's
check_review; `/review move` (words) is in handlers/review.py.

The record asks, the seed's way, for each agreed strength and improvement with a concrete
behaviour example, SMART actions (what, by when, how it is measured: they become the rep's
action items, with reminders), the support promised and the development direction, and for a
top performer a stretch goal or a newcomer to mentor. The rep confirms it, or confirms with a
comment where they see it differently; both versions are kept, and the confirmation opens the
appeal window.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Refused
from bot.i18n import t
from bot.jobs.review import APPEAL_DAYS, CONFIRM_DAYS, advance
from bot.render import review as render
from bot.render import review_talk as talk
from bot.render.calibrate import parse_time
from bot.scoring.grades import GRADES
from bot.services import review as service
from bot.slack.text import row_id
from handlers.forms import (
    Answers,
    agreed_items,
    day_from,
    handle_step_open,
    handle_step_submit,
    picked,
)
from store import actions, audit
from store import reviews as store
from store.models import Review

POINTS = ("strengths", "improvements")


def _after(deps: Deps, team_id: int) -> None:
    advance(deps, team_id=team_id, now=deps.clock.now())


def _review(session: Session, ident: object) -> Review | None:
    rid = row_id(ident)
    return store.get(session, rid) if rid else None


def _checked(session: Session, deps: Deps, who: Who, ident: object, step: str) -> Review:
    return service.check_review(session, who, _review(session, ident), step, deps.clock.now())




# ----------------------------------------------------------------- opening the forms

def move_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    review = _checked(session, deps, who, raw, "move")
    return talk.move_form(who.lang, review=review, tz=who.profile.tz, viewer=who.user_id)


def record_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    review = _checked(session, deps, who, raw, "record")
    return talk.record_form(who.lang, review=review, body=service.latest_record(session, review),
                            items=actions.of_review(session, review_id=review.id))


def confirm_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    review = _checked(session, deps, who, raw, "confirm")
    return talk.confirm_form(who.lang, review=review, body=service.latest_record(session, review),
                             items=actions.of_review(session, review_id=review.id))


# ----------------------------------------------------------------- saving them

def save_move(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
              client: WebClient) -> tuple[str, int]:
    review = _checked(session, deps, who, meta.get("r"), "move")
    day = day_from(picked(form.values, "day", "selected_date"))
    at_time = parse_time(picked(form.values, "time", "selected_time"))
    if day is None:
        form.errors["day"] = t(who.lang, "calx.pick_day")
    if at_time is None:
        form.errors["time"] = t(who.lang, "calx.pick_time")
    if form.errors:
        return "", review.team_id
    at = datetime.combine(day, at_time, tzinfo=who.profile.tz)
    now = deps.clock.now()
    refusal = service.move_refusal(session, review, at, now)
    if refusal:
        form.errors["time" if refusal == "calx.move_past" else "day"] = t(
            who.lang, refusal, **service.refusal_words(session, review, at, who.lang))
        return "", review.team_id
    store.move_talk(session, review=review, at=at, by=who.user_id, now=now)
    other = review.talk_with if who.user_id == review.user_id else review.user_id
    return talk.moved_text(who.lang, review=review, tz=who.profile.tz, other=other,
                           other_tz=deps.users.profile(client, who.workspace_id, other).tz), \
        review.team_id


def _points(form: Answers, kind: str) -> list[dict]:
    """A form's strengths (or improvements): each needs its behaviour example (seed 000:
    反馈需具体到行为和案例), the first is required."""
    found = []
    for n in range(1, talk.POINT_ROWS + 1):
        text = form.text(f"{kind}_{n}", required=n == 1, limit=talk.POINT_LIMIT)
        example = form.text(f"{kind}_{n}_ex", required=n == 1 or bool(text),
                            limit=talk.EXAMPLE_LIMIT)
        if example and not text:
            form.errors[f"{kind}_{n}"] = t(form.lang, "review.invalid.point_for_example")
        if text and example:
            found.append({"text": text, "example": example})
    return found


def save_record(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
                client: WebClient) -> tuple[str, int]:
    review = _checked(session, deps, who, meta.get("r"), "record")
    grade = form.choice("grade", GRADES, "review.invalid.grade")
    body: dict = {"grade": grade, **{kind: _points(form, kind) for kind in POINTS}}
    agreed = agreed_items(form.values, who.lang, who.today(deps.clock), form.errors,
                          rows=talk.ACTION_ROWS, default_owner=review.user_id,
                          text_max=talk.ACTION_LIMIT, measure_max=talk.ACTION_LIMIT)
    if not agreed and not any(k.startswith("a") and k[1:2].isdigit() for k in form.errors):
        form.errors["a1_text"] = t(who.lang, "review.invalid.action_needed")
    for name in ("support", "development", "stretch"):
        body[name] = form.text(name, required=name == "development", limit=talk.TEXT_LIMIT)
    mentee = form.raw("mentee")
    if mentee in (review.user_id, who.user_id):
        form.errors["mentee"] = t(who.lang, "review.invalid.mentee")
    body["mentee"] = mentee
    body["actions"] = [{"text": a.text, "measure": a.measure, "due": a.due_on.isoformat()}
                       for a in agreed]
    if form.errors:
        return "", review.team_id
    now = deps.clock.now()
    due = service.working_days_on(session, review.team_id, CONFIRM_DAYS, now)
    first = store.save_record(session, review=review, by=who.user_id, grade=grade,
                              body=json.dumps(body, ensure_ascii=False), confirm_due=due,
                              now=now)
    actions.save_for_review(session, review=review, agreed=agreed, by=who.user_id, now=now)
    audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                 action="review.record", target=review.user_id, outcome="done", now=now,
                 detail=f"{review.period} v{review.record_version} {grade}")
    return t(who.lang, "review.saved.record", first=first, rep=render.mention(review.user_id),
             due=render.day(who.lang, due), items=len(agreed)), review.team_id


def save_confirm(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
                 client: WebClient) -> tuple[str, int]:
    review = _checked(session, deps, who, meta.get("r"), "confirm")
    if row_id(meta.get("v")) != review.record_version:
        raise Refused("review.refuse.record_changed")  # the manager edited it meanwhile
    comment = form.text("comment", required=False)
    if form.errors:
        return "", review.team_id
    now = deps.clock.now()
    due = service.working_days_on(session, review.team_id, APPEAL_DAYS, now)
    store.confirm(session, review=review, comment=comment, appeal_due=due, now=now)
    return t(who.lang, "review.saved.confirm", period=render.period(who.lang, review),
             comment=bool(comment), due=render.day(who.lang, due)), review.team_id


STEPS = (
    (talk.MOVE_OPEN, "move", move_view, talk.MOVE_FORM, "day", save_move),
    (talk.RECORD_OPEN, "record", record_view, talk.RECORD_FORM, "grade", save_record),
    (talk.CONFIRM_OPEN, "confirm", confirm_view, talk.CONFIRM_FORM, "comment", save_confirm),
)
LISTENERS = [
    *(("action", action, partial(handle_step_open, step=f"review.{step}", view=view,
                                 done=render.done_view))
      for action, step, view, _, _, _ in STEPS),
    *(("view", callback, partial(handle_step_submit, step=f"review.{step}", first_block=first,
                                 save=save, done=render.done_view, after=_after))
      for _, step, _, callback, first, save in STEPS),
]
