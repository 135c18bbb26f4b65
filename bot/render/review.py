"""Block Kit for the review cycle: the DMs of bot/jobs/review.py, the forms (self-assessment,
rating with competencies, appeal, HR decision) and /review. The result conversation's pack,
record and confirmation are in bot/render/review_talk.py; improvement plans in
bot/render/review_plans.py.

The tone is a coach's (seed 000): every message says what happens next and how to get help.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.i18n import Raw, format_day, format_period, t
from bot.render.blocks import context, error_section, message, section
from bot.render.forms import VALUE_ACTION, modal, plain, shown, text_input
from bot.render.reports import _sections
from bot.scoring.grades import GRADES
from bot.scoring.rules import CompetencyRules
from store.models import Review, ReviewEvent
from store.reviews import BEFORE_TALK, utc

# Buttons (value: the review's id) and the forms they open.
SELF_OPEN, RATE_OPEN, APPEAL_OPEN, DECIDE_OPEN = (
    "review_self_open", "review_rate_open", "review_appeal_open", "review_decide_open")
SELF_FORM, RATE_FORM, APPEAL_FORM, DECIDE_FORM = (
    "review_self", "review_rate", "review_appeal", "review_decide")

# block_id -> the longest answer kept (the columns hold 3000)
LIMIT = 3000
FACTOR_LIMIT = 2000
EXAMPLE_LIMIT = 1000
SELF_TEXTS = ("best", "improve", "difficulties", "support")
SELF_OPTIONAL = ("difficulties", "support")
RATE_TEXTS = ("strengths", "improvements", "comments")
FACTORS = ("controllable", "uncontrollable")
COMPETENCY_RATINGS = ("strength", "solid", "develop")


def mention(user: str | None) -> Raw:
    return Raw(f"<@{user}>") if user else Raw("—")


def day(lang: str, value: date | None) -> Raw:
    return Raw(format_day(value, lang)) if value else Raw("—")


def period(lang: str, review: Review) -> Raw:
    kind = "quarter" if "Q" in review.period else "month"
    return Raw(t(lang, f"review.period.{kind}", label=format_period(review.period, lang)))


def button(action_id: str, value: str, label: str, *, primary: bool = True) -> dict:
    button = {"type": "button", "action_id": action_id, "value": value, "text": plain(label)}
    if primary:
        button["style"] = "primary"
    return button


def actions_block(*buttons: dict) -> dict:
    return {"type": "actions", "elements": list(buttons)}


def dm(text: str, body: Sequence[str], *, buttons: Sequence[dict] = (),
        note: str = "") -> dict:
    blocks = [section(text), *_sections([b for b in body if b])]
    if buttons:
        blocks.append(actions_block(*buttons))
    if note:
        blocks.append(context(note))
    return {"text": text, "blocks": blocks}


def score_line(lang: str, review: Review, *, to_rep: bool = True) -> str:
    if review.score_total is None or review.score_grade is None:  # ungraded: no number
        return t(lang, "review.score_none" if to_rep else "review.score_none_manager",
                 period=period(lang, review))
    return t(lang, "review.score", period=period(lang, review),
             total=f"{review.score_total:.1f}", grade=review.score_grade or "—")


def field_line(lang: str, key: str, value: str | None) -> str:
    return t(lang, "review.field_line", label=Raw(t(lang, key)), value=shown(value)) \
        if value else ""


def self_lines(lang: str, review: Review) -> list[str]:
    """The rep's own view, in the order the seed asks for it (亮点, 不足, 困难, 建议)."""
    lines = [field_line(lang, f"review.self_field.{f}", getattr(review, f"self_{f}"))
             for f in SELF_TEXTS]
    if review.self_grade:
        lines.append(t(lang, "review.self_grade_line", grade=review.self_grade))
    return lines


def rating_lines(lang: str, review: Review) -> list[str]:
    return [t(lang, "review.grade_line", grade=review.grade or "—",
              by=mention(review.rated_by)),
            *[field_line(lang, f"review.rate_field.{f}", getattr(review, f))
              for f in (*RATE_TEXTS, *FACTORS)]]


def pitfalls(lang: str) -> str:
    """Seed 000's four pitfalls, as a coach says them to a manager."""
    return t(lang, "review.pitfalls")


# ----------------------------------------------------------------- to the rep

def self_request_blocks(lang: str, *, review: Review, team: str) -> dict:
    text = t(lang, "review.self_request.text", period=period(lang, review), team=team)
    body = [t(lang, "review.self_request.body", due=day(lang, review.self_due)),
            score_line(lang, review)]
    if "Q" in review.period:
        body.append(t(lang, "review.covers_last_month",
                      month=Raw(f"{review.period_end:%Y-%m}")))
    return dm(text, body, buttons=[button(SELF_OPEN, str(review.id),
                                            t(lang, "review.self_button"))],
               note=t(lang, "review.self_request.note"))


def self_remind_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.self_remind", period=period(lang, review),
             due=day(lang, review.self_due))
    return dm(text, [], buttons=[button(SELF_OPEN, str(review.id),
                                          t(lang, "review.self_button"))],
               note=t(lang, "review.self_request.note"))


def decision_blocks(lang: str, *, review: Review, to_rep: bool) -> dict:
    key = "review.decision.rep" if to_rep else "review.decision.manager"
    text = t(lang, key, period=period(lang, review), rep=mention(review.user_id),
             decision=review.decision, grade=review.decided_grade, before=review.grade or "—",
             edited=review.decision_version > 1)
    body = [field_line(lang, "review.decide_field.comment", review.decision_comment)]
    return dm(text, body, note=t(lang, "review.decision.note"))


# ----------------------------------------------------------------- to the managers

def rate_request_blocks(lang: str, *, review: Review, late: bool) -> dict:
    key = "review.rate_request.late" if late else "review.rate_request.text"
    text = t(lang, key, rep=mention(review.user_id), period=period(lang, review))
    body = [score_line(lang, review, to_rep=False)]
    body += self_lines(lang, review) if review.self_at else []
    body.append(t(lang, "review.rate_request.due", due=day(lang, review.rating_due)))
    return dm(text, body, buttons=[button(RATE_OPEN, str(review.id),
                                            t(lang, "review.rate_button"))],
               note=t(lang, "review.private_note"))


def self_late_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.self_late", rep=mention(review.user_id), period=period(lang, review))
    return dm(text, self_lines(lang, review),
               buttons=[button(RATE_OPEN, str(review.id), t(lang, "review.rate_button"))],
               note=t(lang, "review.private_note"))


def rate_remind_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.rate_remind", rep=mention(review.user_id),
             period=period(lang, review), due=day(lang, review.rating_due))
    return dm(text, [], buttons=[button(RATE_OPEN, str(review.id),
                                          t(lang, "review.rate_button"))])


def escalation_blocks(lang: str, *, review: Review, step: str, owners: Sequence[str],
                      due: date | None) -> dict:
    """A late step, to whoever stands above its owners (rating) or to HR (an appeal)."""
    text = t(lang, f"review.escalate.{step}", rep=mention(review.user_id),
             period=period(lang, review), owners=Raw(", ".join(mention(o) for o in owners)),
             due=day(lang, due))
    return dm(text, [], note=t(lang, "review.escalate.note"))


def appeal_blocks(lang: str, *, review: Review, remind: bool = False,
                  record: Sequence[str] = ()) -> dict:
    """To HR: the appeal, with the rating, the record both sides saw (and the rep's comment),
    and the rep's reason."""
    key = "review.appeal.remind" if remind else "review.appeal.text"
    text = t(lang, key, rep=mention(review.user_id), period=period(lang, review),
             due=day(lang, review.decision_due))
    body = [] if remind else [
        *rating_lines(lang, review), *record,
        field_line(lang, "review.appeal_field.their_reason", review.appeal_reason)]
    return dm(text, body, buttons=[button(DECIDE_OPEN, str(review.id),
                                            t(lang, "review.decide_button"))],
               note=t(lang, "review.private_note"))


# ----------------------------------------------------------------- forms

def input_block(block_id: str, label: str, *, initial: str | None, hint: str | None = None,
           optional: bool = False, max_length: int = LIMIT) -> dict:
    block = text_input(block_id, label, max_length=max_length, initial=initial, hint=hint)
    block["optional"] = optional
    return block


def option(value: str, label: str) -> dict:
    return {"text": plain(label[:75]), "value": value}


def select_block(block_id: str, label: str, options: list[dict], *, initial: str | None,
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
    return [option(g, t(lang, f"review.grade.{g}")) for g in GRADES]


def form_modal(lang: str, *, title: str, callback: str, blocks: list[dict], meta: dict) -> dict:
    return modal(title=title, blocks=blocks, callback_id=callback,
                 submit=t(lang, "review.form.submit"), close=t(lang, "review.form.cancel"),
                 metadata=meta)


def self_form(lang: str, *, review: Review) -> dict:
    intro = t(lang, "review.self_form.editing" if review.self_at else "review.self_form.intro",
              period=period(lang, review), due=day(lang, review.self_due))
    blocks = [section(intro), context(score_line(lang, review))]
    for field in SELF_TEXTS:
        blocks.append(input_block(field, t(lang, f"review.self_field.{field}"),
                             initial=getattr(review, f"self_{field}") or None,
                             hint=t(lang, f"review.self_hint.{field}"),
                             optional=field in SELF_OPTIONAL))
    blocks.append(select_block("grade", t(lang, "review.self_field.grade"), grade_options(lang),
                          initial=review.self_grade, optional=True))
    return form_modal(lang, title=t(lang, "review.self_form.title"), callback=SELF_FORM,
                 blocks=blocks, meta={"r": review.id})


def rate_form(lang: str, *, review: Review, competencies: CompetencyRules, level: str,
              ratings: dict[str, dict]) -> dict:
    """The manager's rating: the grade, each competency of the rep's level with a behaviour
    example (seed 000 能力评估), what to recognise and to improve, the factors in and out of
    their control, and the pitfalls to avoid. It goes to the talk, not to the rep."""
    intro = t(lang, "review.rate_form.editing" if review.rated_at else "review.rate_form.intro",
              rep=mention(review.user_id), period=period(lang, review),
              due=day(lang, review.rating_due))
    answers = self_lines(lang, review) if review.self_at else [
        t(lang, "review.rate_form.no_self")]
    blocks = [section(intro), context(pitfalls(lang)),
              context(score_line(lang, review, to_rep=False)),
              *_sections(answers),
              select_block("grade", t(lang, "review.rate_field.grade"), grade_options(lang),
                      initial=review.grade or review.score_grade),
              section(t(lang, "review.rate_form.competencies",
                        level=competencies.name(level, lang)))]
    scale = [option(r, t(lang, f"review.competency.{r}")) for r in COMPETENCY_RATINGS]
    for key in competencies.dimensions(level):
        name = competencies.name(key, lang)
        given = ratings.get(key, {})
        blocks.append(select_block(f"c_{key}", name, scale, initial=given.get("rating")))
        blocks.append(input_block(f"c_{key}_ex", t(lang, "review.rate_field.example", name=name),
                             initial=given.get("example") or None, max_length=EXAMPLE_LIMIT,
                             hint=t(lang, "review.rate_hint.example")))
    for field in (*RATE_TEXTS[:2], *FACTORS, RATE_TEXTS[2]):
        blocks.append(input_block(field, t(lang, f"review.rate_field.{field}"),
                             initial=getattr(review, field) or None,
                             hint=t(lang, f"review.rate_hint.{field}"),
                             optional=field in (*FACTORS, "comments"),
                             max_length=FACTOR_LIMIT if field in FACTORS else LIMIT))
    return form_modal(lang, title=t(lang, "review.rate_form.title"), callback=RATE_FORM,
                 blocks=blocks, meta={"r": review.id})


def appeal_form(lang: str, *, review: Review) -> dict:
    blocks = [section(t(lang, "review.appeal_form.intro", period=period(lang, review),
                        grade=review.grade, due=day(lang, review.appeal_due))),
              input_block("reason", t(lang, "review.appeal_field.reason"),
                     initial=review.appeal_reason or None,
                     hint=t(lang, "review.appeal_form.hint"))]
    return form_modal(lang, title=t(lang, "review.appeal_form.title"), callback=APPEAL_FORM,
                 blocks=blocks, meta={"r": review.id})


def decide_form(lang: str, *, review: Review, record: Sequence[str] = ()) -> dict:
    blocks = [section(t(lang, "review.decide_form.intro", rep=mention(review.user_id),
                        period=period(lang, review), due=day(lang, review.decision_due))),
              *_sections([line for line in (
                  score_line(lang, review, to_rep=False), *rating_lines(lang, review), *record,
                  field_line(lang, "review.appeal_field.their_reason", review.appeal_reason))
                  if line]),
              select_block("decision", t(lang, "review.decide_field.decision"),
                      [option(d, t(lang, f"review.decide_option.{d}"))
                       for d in ("upheld", "changed")], initial=review.decision, radio=True),
              select_block("grade", t(lang, "review.decide_field.grade"), grade_options(lang),
                      initial=review.decided_grade or review.grade, optional=True),
              input_block("comment", t(lang, "review.decide_field.comment"),
                     initial=review.decision_comment or None,
                     hint=t(lang, "review.decide_form.hint"))]
    return form_modal(lang, title=t(lang, "review.decide_form.title"), callback=DECIDE_FORM,
                 blocks=blocks, meta={"r": review.id})


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
    return button(action_id, value, t(lang, label_key), primary=False)


def history_blocks(lang: str, *, rep: str, reviews: Sequence[Review],
                   events: dict[int, list[ReviewEvent]], tz, viewer: str,  # noqa: ANN001
                   annual: Sequence[tuple[int, str]] = ()) -> dict:
    """Past reviews and their history. The rep hears the manager's grade in the talk, so
    before it their own history shows neither the grade nor what the rating said."""
    if not reviews and not annual:
        text = t(lang, "review.cmd.no_history", rep=mention(rep))
        return message(text, [section(text)])
    text = t(lang, "review.cmd.history", rep=mention(rep))
    blocks = [section(text)]
    if annual:
        blocks.append(section("\n".join(t(lang, "review.cmd.annual_row", year=year, grade=grade)
                                         for year, grade in annual)))
    for review in reviews:
        hidden = viewer == review.user_id and review.status in BEFORE_TALK
        lines = [t(lang, "review.cmd.history_row", period=period(lang, review),
                   status=Raw(t(lang, f"review.status.{review.status}")),
                   score=review.score_grade or "—",
                   grade="—" if hidden else review.grade or "—",
                   final=review.final_grade or "—", self_grade=review.self_grade or "—")]
        for event in events.get(review.id, [])[-12:]:
            if hidden and event.action in ("rated", "rating_edited"):
                continue
            at = utc(event.at).astimezone(tz)
            lines.append(t(lang, "review.cmd.event", at=Raw(f"{at:%Y-%m-%d %H:%M}"),
                           action=Raw(t(lang, f"review.event.{event.action}")),
                           actor=mention(event.actor_user_id) if event.actor_user_id else
                           Raw(t(lang, "review.cmd.pacer")), detail=_detail(event, tz)))
        blocks += _sections(lines)
    return message(text, blocks[:45])


def _detail(event: ReviewEvent, tz) -> str:  # noqa: ANN001
    """An event's detail; a talk's time (stored in UTC) in the reader's zone."""
    if event.action in ("talk_scheduled", "talk_moved"):
        try:
            return f"{datetime.fromisoformat(event.detail).astimezone(tz):%Y-%m-%d %H:%M}"
        except ValueError:
            return event.detail
    return event.detail


def usage_blocks(lang: str, key: str, /, **params: object) -> dict:
    text = "⚠️ " + t(lang, key, **params)
    return message(text, [error_section(text), section(t(lang, "review.cmd.try")),
                          context(t(lang, "review.cmd.more"))])


def help_blocks(lang: str) -> dict:
    text = t(lang, "review.cmd.help")
    return message(text, [section(text)])
