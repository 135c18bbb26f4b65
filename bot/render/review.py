"""Block Kit for the review cycle and improvement plans: the DMs of bot/jobs/review.py, the
forms (self-assessment, rating, appeal, HR decision, plan targets, monthly check) and /review.

The tone is a coach's (seed 000): every message says what happens next and how to get help.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.i18n import Raw, format_day, format_period, t
from bot.render.blocks import context, error_section, message, section
from bot.render.forms import VALUE_ACTION, modal, plain, shown, text_input
from bot.render.reports import _sections
from bot.scoring.grades import GRADES
from store.models import ImprovementPlan, PlanCheck, Review, ReviewEvent
from store.reviews import CHECK_STATUSES, OUTCOMES, plan_end, utc

# Buttons (value: the review's id, or "<plan id>:<month>") and the forms they open.
SELF_OPEN, RATE_OPEN, APPEAL_OPEN, DECIDE_OPEN = (
    "review_self_open", "review_rate_open", "review_appeal_open", "review_decide_open")
PLAN_OPEN, CHECK_OPEN = "plan_setup_open", "plan_check_open"
SELF_FORM, RATE_FORM, APPEAL_FORM, DECIDE_FORM = (
    "review_self", "review_rate", "review_appeal", "review_decide")
PLAN_FORM, CHECK_FORM = "plan_setup", "plan_check"

# block_id -> the longest answer kept (the columns hold 3000)
LIMIT = 3000
SELF_TEXTS = ("best", "improve", "support")
RATE_TEXTS = ("strengths", "improvements", "next_plan", "comments")


def mention(user: str | None) -> Raw:
    return Raw(f"<@{user}>") if user else Raw("—")


def day(lang: str, value: date | None) -> Raw:
    return Raw(format_day(value, lang)) if value else Raw("—")


def period(lang: str, review: Review) -> Raw:
    kind = "quarter" if "Q" in review.period else "month"
    return Raw(t(lang, f"review.period.{kind}", label=format_period(review.period, lang)))


def _button(action_id: str, value: str, label: str, *, primary: bool = True) -> dict:
    button = {"type": "button", "action_id": action_id, "value": value, "text": plain(label)}
    if primary:
        button["style"] = "primary"
    return button


def _actions(*buttons: dict) -> dict:
    return {"type": "actions", "elements": list(buttons)}


def _dm(text: str, body: Sequence[str], *, buttons: Sequence[dict] = (),
        note: str = "") -> dict:
    blocks = [section(text), *_sections([b for b in body if b])]
    if buttons:
        blocks.append(_actions(*buttons))
    if note:
        blocks.append(context(note))
    return {"text": text, "blocks": blocks}


def score_line(lang: str, review: Review) -> str:
    if review.score_total is None:
        return t(lang, "review.score_none", period=period(lang, review))
    return t(lang, "review.score", period=period(lang, review),
             total=f"{review.score_total:.1f}", grade=review.score_grade or "—")


def _field(lang: str, key: str, value: str | None) -> str:
    return t(lang, "review.field_line", label=Raw(t(lang, key)), value=shown(value)) \
        if value else ""


def self_lines(lang: str, review: Review) -> list[str]:
    lines = [_field(lang, f"review.self_field.{f}", getattr(review, f"self_{f}"))
             for f in SELF_TEXTS]
    if review.self_grade:
        lines.append(t(lang, "review.self_grade_line", grade=review.self_grade))
    return lines


def rating_lines(lang: str, review: Review) -> list[str]:
    return [t(lang, "review.grade_line", grade=review.grade or "—",
              by=mention(review.rated_by)),
            *[_field(lang, f"review.rate_field.{f}", getattr(review, f)) for f in RATE_TEXTS]]


# ----------------------------------------------------------------- to the rep

def self_request_blocks(lang: str, *, review: Review, team: str) -> dict:
    text = t(lang, "review.self_request.text", period=period(lang, review), team=team)
    body = [t(lang, "review.self_request.body", due=day(lang, review.self_due)),
            score_line(lang, review)]
    if "Q" in review.period:
        body.append(t(lang, "review.covers_last_month",
                      month=Raw(f"{review.period_end:%Y-%m}")))
    return _dm(text, body, buttons=[_button(SELF_OPEN, str(review.id),
                                            t(lang, "review.self_button"))],
               note=t(lang, "review.self_request.note"))


def self_remind_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.self_remind", period=period(lang, review),
             due=day(lang, review.self_due))
    return _dm(text, [], buttons=[_button(SELF_OPEN, str(review.id),
                                          t(lang, "review.self_button"))],
               note=t(lang, "review.self_request.note"))


def result_blocks(lang: str, *, review: Review) -> dict:
    edited = review.rating_version > 1
    text = t(lang, "review.result.text", period=period(lang, review), grade=review.grade,
             edited=edited)
    body = [*rating_lines(lang, review), t(lang, "review.result.one_on_one",
                                           manager=mention(review.rated_by))]
    return _dm(text, body, buttons=[_button(APPEAL_OPEN, str(review.id),
                                            t(lang, "review.appeal_button"), primary=False)],
               note=t(lang, "review.result.appeal_note", due=day(lang, review.appeal_due)))


def decision_blocks(lang: str, *, review: Review, to_rep: bool) -> dict:
    key = "review.decision.rep" if to_rep else "review.decision.manager"
    text = t(lang, key, period=period(lang, review), rep=mention(review.user_id),
             decision=review.decision, grade=review.decided_grade, before=review.grade or "—",
             edited=review.decision_version > 1)
    body = [_field(lang, "review.decide_field.comment", review.decision_comment)]
    return _dm(text, body, note=t(lang, "review.decision.note"))


# ----------------------------------------------------------------- to the managers

def rate_request_blocks(lang: str, *, review: Review, late: bool) -> dict:
    key = "review.rate_request.late" if late else "review.rate_request.text"
    text = t(lang, key, rep=mention(review.user_id), period=period(lang, review))
    body = [score_line(lang, review)]
    body += self_lines(lang, review) if review.self_at else []
    body.append(t(lang, "review.rate_request.due", due=day(lang, review.rating_due)))
    return _dm(text, body, buttons=[_button(RATE_OPEN, str(review.id),
                                            t(lang, "review.rate_button"))],
               note=t(lang, "review.private_note"))


def self_late_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.self_late", rep=mention(review.user_id), period=period(lang, review))
    return _dm(text, self_lines(lang, review),
               buttons=[_button(RATE_OPEN, str(review.id), t(lang, "review.rate_button"))],
               note=t(lang, "review.private_note"))


def rate_remind_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.rate_remind", rep=mention(review.user_id),
             period=period(lang, review), due=day(lang, review.rating_due))
    return _dm(text, [], buttons=[_button(RATE_OPEN, str(review.id),
                                          t(lang, "review.rate_button"))])


def escalation_blocks(lang: str, *, review: Review, step: str, owners: Sequence[str],
                      due: date | None) -> dict:
    """A late step, to whoever stands above its owners (rating) or to HR (an appeal)."""
    text = t(lang, f"review.escalate.{step}", rep=mention(review.user_id),
             period=period(lang, review), owners=Raw(", ".join(mention(o) for o in owners)),
             due=day(lang, due))
    return _dm(text, [], note=t(lang, "review.escalate.note"))


def appeal_blocks(lang: str, *, review: Review, remind: bool = False) -> dict:
    key = "review.appeal.remind" if remind else "review.appeal.text"
    text = t(lang, key, rep=mention(review.user_id), period=period(lang, review),
             due=day(lang, review.decision_due))
    body = [] if remind else [
        *rating_lines(lang, review), _field(lang, "review.appeal_field.reason",
                                            review.appeal_reason)]
    return _dm(text, body, buttons=[_button(DECIDE_OPEN, str(review.id),
                                            t(lang, "review.decide_button"))],
               note=t(lang, "review.private_note"))


# ----------------------------------------------------------------- plans

def plan_setup_blocks(lang: str, *, plan: ImprovementPlan, review: Review) -> dict:
    text = t(lang, "review.plan.setup", rep=mention(plan.user_id), period=period(lang, review),
             grade=review.final_grade, start=day(lang, plan.start),
             end=day(lang, plan_end(plan)))
    return _dm(text, [t(lang, "review.plan.setup_body")],
               buttons=[_button(PLAN_OPEN, str(plan.id), t(lang, "review.plan.setup_button"))],
               note=t(lang, "review.private_note"))


def plan_open_blocks(lang: str, *, plan: ImprovementPlan) -> dict:
    text = t(lang, "review.plan.rep_open", start=day(lang, plan.start),
             end=day(lang, plan_end(plan)))
    return _dm(text, [t(lang, "review.plan.rep_open_body")])


def plan_targets_blocks(lang: str, *, plan: ImprovementPlan) -> dict:
    text = t(lang, "review.plan.rep_targets", mentor=mention(plan.mentor_user_id),
             end=day(lang, plan_end(plan)))
    return _dm(text, [_field(lang, "review.plan_field.targets", plan.targets),
                      _field(lang, "review.plan_field.notes", plan.notes)],
               note=t(lang, "review.plan.rep_targets_note"))


def plan_check_blocks(lang: str, *, plan: ImprovementPlan, month: int, last: bool) -> dict:
    text = t(lang, "review.plan.check", rep=mention(plan.user_id), month=month,
             months=plan.months, last=last)
    body = [_field(lang, "review.plan_field.targets", plan.targets)
            or t(lang, "review.plan.no_targets")]
    return _dm(text, body, buttons=[_button(CHECK_OPEN, f"{plan.id}:{month}",
                                            t(lang, "review.plan.check_button"))],
               note=t(lang, "review.private_note"))


# ----------------------------------------------------------------- forms

def _input(block_id: str, label: str, *, initial: str | None, hint: str | None = None,
           optional: bool = False) -> dict:
    block = text_input(block_id, label, max_length=LIMIT, initial=initial, hint=hint)
    block["optional"] = optional
    return block


def _option(value: str, label: str) -> dict:
    return {"text": plain(label[:75]), "value": value}


def _select(block_id: str, label: str, options: list[dict], *, initial: str | None,
            optional: bool = False, radio: bool = False) -> dict:
    element: dict = {"type": "radio_buttons" if radio else "static_select",
                     "action_id": VALUE_ACTION, "options": options}
    if not radio:
        element["placeholder"] = plain(label[:150])
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": plain(label), "element": element}


def grade_options(lang: str) -> list[dict]:
    return [_option(g, t(lang, f"review.grade.{g}")) for g in GRADES]


def _form(lang: str, *, title: str, callback: str, blocks: list[dict], meta: dict) -> dict:
    return modal(title=title, blocks=blocks, callback_id=callback,
                 submit=t(lang, "review.form.submit"), close=t(lang, "review.form.cancel"),
                 metadata=meta)


def self_form(lang: str, *, review: Review) -> dict:
    intro = t(lang, "review.self_form.editing" if review.self_at else "review.self_form.intro",
              period=period(lang, review), due=day(lang, review.self_due))
    blocks = [section(intro), context(score_line(lang, review))]
    for field in SELF_TEXTS:
        blocks.append(_input(field, t(lang, f"review.self_field.{field}"),
                             initial=getattr(review, f"self_{field}") or None,
                             hint=t(lang, f"review.self_hint.{field}"),
                             optional=field == "support"))
    blocks.append(_select("grade", t(lang, "review.self_field.grade"), grade_options(lang),
                          initial=review.self_grade, optional=True))
    return _form(lang, title=t(lang, "review.self_form.title"), callback=SELF_FORM,
                 blocks=blocks, meta={"r": review.id})


def rate_form(lang: str, *, review: Review) -> dict:
    intro = t(lang, "review.rate_form.editing" if review.rated_at else "review.rate_form.intro",
              rep=mention(review.user_id), period=period(lang, review),
              due=day(lang, review.rating_due))
    answers = self_lines(lang, review) if review.self_at else [
        t(lang, "review.rate_form.no_self")]
    blocks = [section(intro), context(score_line(lang, review)), *_sections(answers),
              _select("grade", t(lang, "review.rate_field.grade"), grade_options(lang),
                      initial=review.grade or review.score_grade)]
    for field in RATE_TEXTS:
        blocks.append(_input(field, t(lang, f"review.rate_field.{field}"),
                             initial=getattr(review, field) or None,
                             hint=t(lang, f"review.rate_hint.{field}"),
                             optional=field == "comments"))
    return _form(lang, title=t(lang, "review.rate_form.title"), callback=RATE_FORM,
                 blocks=blocks, meta={"r": review.id})


def appeal_form(lang: str, *, review: Review) -> dict:
    blocks = [section(t(lang, "review.appeal_form.intro", period=period(lang, review),
                        grade=review.grade, due=day(lang, review.appeal_due))),
              _input("reason", t(lang, "review.appeal_field.reason"),
                     initial=review.appeal_reason or None,
                     hint=t(lang, "review.appeal_form.hint"))]
    return _form(lang, title=t(lang, "review.appeal_form.title"), callback=APPEAL_FORM,
                 blocks=blocks, meta={"r": review.id})


def decide_form(lang: str, *, review: Review) -> dict:
    blocks = [section(t(lang, "review.decide_form.intro", rep=mention(review.user_id),
                        period=period(lang, review), due=day(lang, review.decision_due))),
              *_sections([score_line(lang, review), *rating_lines(lang, review),
                          _field(lang, "review.appeal_field.reason", review.appeal_reason)]),
              _select("decision", t(lang, "review.decide_field.decision"),
                      [_option(d, t(lang, f"review.decide_option.{d}"))
                       for d in ("upheld", "changed")], initial=review.decision, radio=True),
              _select("grade", t(lang, "review.decide_field.grade"), grade_options(lang),
                      initial=review.decided_grade or review.grade, optional=True),
              _input("comment", t(lang, "review.decide_field.comment"),
                     initial=review.decision_comment or None,
                     hint=t(lang, "review.decide_form.hint"))]
    return _form(lang, title=t(lang, "review.decide_form.title"), callback=DECIDE_FORM,
                 blocks=blocks, meta={"r": review.id})


def plan_form(lang: str, *, plan: ImprovementPlan) -> dict:
    mentor = {"type": "users_select", "action_id": VALUE_ACTION,
              "placeholder": plain(t(lang, "review.plan_field.mentor"))}
    if plan.mentor_user_id:
        mentor["initial_user"] = plan.mentor_user_id
    blocks = [section(t(lang, "review.plan_form.intro", rep=mention(plan.user_id),
                        start=day(lang, plan.start), end=day(lang, plan_end(plan)))),
              _input("targets", t(lang, "review.plan_field.targets"),
                     initial=plan.targets or None, hint=t(lang, "review.plan_form.hint")),
              {"type": "input", "block_id": "mentor", "optional": False,
               "label": plain(t(lang, "review.plan_field.mentor")), "element": mentor},
              _input("notes", t(lang, "review.plan_field.notes"), initial=plan.notes or None,
                     optional=True)]
    return _form(lang, title=t(lang, "review.plan_form.title"), callback=PLAN_FORM,
                 blocks=blocks, meta={"p": plan.id})


def check_form(lang: str, *, plan: ImprovementPlan, month: int, last: bool,
               existing: PlanCheck | None) -> dict:
    blocks = [section(t(lang, "review.check_form.intro", rep=mention(plan.user_id),
                        month=month, months=plan.months)),
              *_sections([_field(lang, "review.plan_field.targets", plan.targets)
                          or t(lang, "review.plan.no_targets")]),
              _select("status", t(lang, "review.check_field.status"),
                      [_option(s, t(lang, f"review.check_status.{s}")) for s in CHECK_STATUSES],
                      initial=existing.status if existing else None, radio=True),
              _input("note", t(lang, "review.check_field.note"),
                     initial=existing.note if existing else None, optional=True)]
    if last:
        blocks.append(_select("outcome", t(lang, "review.check_field.outcome"),
                              [_option(o, t(lang, f"review.outcome.{o}")) for o in OUTCOMES],
                              initial=existing.outcome if existing else None, radio=True))
    return _form(lang, title=t(lang, "review.check_form.title"), callback=CHECK_FORM,
                 blocks=blocks, meta={"p": plan.id, "m": month})


def done_view(lang: str, text: str) -> dict:
    """What a form turns into once saved, or the answer to a button that cannot open one."""
    return modal(title=t(lang, "review.form.title_done"), blocks=[section(text)],
                 close=t(lang, "review.form.close"))


# ----------------------------------------------------------------- /review

def pending_blocks(lang: str, items: Sequence[tuple[str, dict | None]]) -> dict:
    """`/review`: one line per open step, with the button that does it."""
    if not items:
        text = t(lang, "review.cmd.nothing")
        return message(text, [section(text), context(t(lang, "review.cmd.more"))])
    text = t(lang, "review.cmd.pending", count=len(items))
    blocks = [section(text)]
    for line, button in items[:20]:
        block = section(line)
        if button:
            block["accessory"] = button
        blocks.append(block)
    blocks.append(context(t(lang, "review.cmd.more")))
    return message(text, blocks)


def step_button(action_id: str, value: str, label_key: str, lang: str) -> dict:
    return _button(action_id, value, t(lang, label_key), primary=False)


def history_blocks(lang: str, *, rep: str, reviews: Sequence[Review],
                   events: dict[int, list[ReviewEvent]], tz) -> dict:  # noqa: ANN001
    if not reviews:
        text = t(lang, "review.cmd.no_history", rep=mention(rep))
        return message(text, [section(text)])
    text = t(lang, "review.cmd.history", rep=mention(rep))
    blocks = [section(text)]
    for review in reviews:
        lines = [t(lang, "review.cmd.history_row", period=period(lang, review),
                   status=Raw(t(lang, f"review.status.{review.status}")),
                   score=review.score_grade or "—", grade=review.grade or "—",
                   final=review.final_grade or "—", self_grade=review.self_grade or "—")]
        for event in events.get(review.id, [])[-12:]:
            at = utc(event.at).astimezone(tz)
            lines.append(t(lang, "review.cmd.event", at=Raw(f"{at:%Y-%m-%d %H:%M}"),
                           action=Raw(t(lang, f"review.event.{event.action}")),
                           actor=mention(event.actor_user_id) if event.actor_user_id else
                           Raw(t(lang, "review.cmd.pacer")), detail=event.detail))
        blocks += _sections(lines)
    return message(text, blocks[:45])


def usage_blocks(lang: str, key: str, **params: object) -> dict:
    text = "⚠️ " + t(lang, key, **params)
    return message(text, [error_section(text), section(t(lang, "review.cmd.try")),
                          context(t(lang, "review.cmd.more"))])


def help_blocks(lang: str) -> dict:
    text = t(lang, "review.cmd.help")
    return message(text, [section(text)])
