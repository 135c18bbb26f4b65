"""Block Kit for the result conversation (seed 000): the rep's note of when and what to bring,
the manager's talk pack a working day ahead, the record the manager writes after the talk and
the rep confirms (or comments on), moves, and what follows (the appeal window, HR's and the
managers' notices, an S's prompts, the recommendations from final grades).

The rep never sees the grade before the talk: their note says when and what to bring, and the
grade first reaches them in the record, after the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.i18n import Raw, format_day, format_money, format_number, format_percent, t
from bot.render.blocks import context, header, section
from bot.render.calibrate import date_input, when_both
from bot.render.forms import VALUE_ACTION, plain, shown
from bot.render.reports import _sections
from bot.render.review import (
    APPEAL_OPEN,
    RATE_OPEN,
    button,
    day,
    dm,
    field_line,
    form_modal,
    grade_options,
    input_block,
    mention,
    period,
    pitfalls,
    select_block,
    self_lines,
)
from bot.render.score import MONEY_METRICS, RATE_METRICS, recommendation_text
from bot.scoring.recommend import Recommendation
from bot.services.talk_pack import DataLine, TalkPack
from store.models import ActionItem, Review

MOVE_OPEN, RECORD_OPEN, CONFIRM_OPEN = "review_talk_move", "review_record_open", \
    "review_confirm_open"
MOVE_FORM, RECORD_FORM, CONFIRM_FORM = "review_talk_move_form", "review_record", \
    "review_confirm"
POINT_ROWS = 2  # strengths and improvements: two each, each with its behaviour example
ACTION_ROWS = 3
POINT_LIMIT, EXAMPLE_LIMIT, TEXT_LIMIT, ACTION_LIMIT = 500, 1000, 2000, 500


def talk_when(lang: str, review: Review, tz: ZoneInfo, other: str, other_tz: ZoneInfo) -> Raw:
    """The talk's time in the reader's zone, and the other person's when it differs."""
    return when_both(lang, review.talk_at, tz, other, other_tz)


def _number(lang: str, metric: str, value: object, currency: str) -> str:
    if value is None:
        return "–"
    if metric in MONEY_METRICS:
        return format_money(value, currency, lang)  # type: ignore[arg-type]
    if metric in RATE_METRICS:
        return format_percent(value, lang)  # type: ignore[arg-type]
    return format_number(value, lang)  # type: ignore[arg-type]


# ----------------------------------------------------------------- before the talk

def talk_note_blocks(lang: str, *, review: Review, tz: ZoneInfo, other_tz: ZoneInfo) -> dict:
    """To the rep when the talk is set: when, with whom, and what to bring; no grade."""
    text = t(lang, "review.talk.note", period=period(lang, review),
             manager=mention(review.talk_with))
    body = [talk_when(lang, review, tz, review.talk_with, other_tz),
            t(lang, "review.talk.bring")]
    return dm(text, body, buttons=[button(MOVE_OPEN, str(review.id),
                                          t(lang, "review.talk.move_button"), primary=False)],
              note=t(lang, "review.talk.note_footer"))


def talk_moved_blocks(lang: str, *, review: Review, tz: ZoneInfo, other: str,
                      other_tz: ZoneInfo) -> dict:
    text = t(lang, "review.talk.moved", by=mention(review.talk_moved_by),
             rep=mention(review.user_id), period=period(lang, review))
    return dm(text, [talk_when(lang, review, tz, other, other_tz)],
              buttons=[button(MOVE_OPEN, str(review.id), t(lang, "review.talk.move_button"),
                              primary=False)])


def _data_line(lang: str, line: DataLine, currency: str) -> str:
    a = line.attainment
    return t(lang, "review.talk.data_line", metric=Raw(t(lang, f"score.metric_{line.metric}")),
             actual=Raw(_number(lang, line.metric, a.actual, currency)),
             target=Raw(_number(lang, line.metric, a.target.value, currency))
             if a.target is not None else "",
             band=Raw(t(lang, f"score.band_{a.band}", percent=Raw(
                 _number(lang, "count", a.percent, currency)))) if a.target is not None else "",
             average=Raw(_number(lang, line.metric, line.team_average, currency)),
             best=Raw(_number(lang, line.metric, line.team_best, currency)),
             mine=line.best)


def talk_pack_blocks(lang: str, *, pack: TalkPack, tz: ZoneInfo, rep_tz: ZoneInfo) -> dict:
    """To the manager a working day ahead, in the seed's order: the rep's own view first."""
    review = pack.review
    title = t(lang, "review.talk.pack_title", rep=mention(review.user_id),
              period=period(lang, review))
    blocks = [header(title[:150]),
              section(t(lang, "review.talk.pack_when", when=talk_when(lang, review, tz,
                                                                  review.user_id, rep_tz))),
              context(pitfalls(lang)),
              section(t(lang, "review.talk.order", top=pack.top, low=pack.low))]
    mine = self_lines(lang, review) if review.self_at else [t(lang, "review.talk.no_self")]
    blocks += _sections([f"*{t(lang, 'review.talk.self_title')}*", *filter(None, mine)])
    data = [_data_line(lang, line, pack.currency) for line in pack.data] or [
        t(lang, "review.talk.no_data")]
    if pack.total is not None and pack.score_grade:  # an ungraded card's total means nothing
        data.append(t(lang, "review.talk.scorecard", total=f"{pack.total:.1f}",
                      grade=pack.score_grade or "—"))
    blocks += _sections([f"*{t(lang, 'review.talk.data_title')}*", *data])
    factors = [t(lang, "review.talk.factor", controllable=shown(c) or "—",
                 uncontrollable=shown(u) or "—") for c, u in pack.factors] or [
        t(lang, "review.talk.no_factors")]
    blocks += _sections([f"*{t(lang, 'review.talk.factors_title')}*", *factors])
    skills = [t(lang, "review.talk.competency", name=c.name,
                rating=Raw(t(lang, f"review.competency.{c.rating}")) if c.rating else "—",
                example=shown(c.example)) for c in pack.competencies]
    blocks += _sections([f"*{t(lang, 'review.talk.competencies_title', level=pack.level_name)}*",
                         *skills])
    blocks += _sections(list(filter(None, [
        f"*{t(lang, 'review.talk.grade_title')}*", t(lang, "review.talk.grade", grade=review.grade),
        field_line(lang, "review.rate_field.strengths", review.strengths),
        field_line(lang, "review.rate_field.improvements", review.improvements),
        field_line(lang, "review.rate_field.comments", review.comments)])))
    blocks.append({"type": "actions", "elements": [
        button(MOVE_OPEN, str(review.id), t(lang, "review.talk.move_button"), primary=False),
        button(RATE_OPEN, str(review.id), t(lang, "review.talk.rerate_button"),
               primary=False)]})
    blocks.append(context(t(lang, "review.talk.pack_footer")))
    return {"text": title, "blocks": blocks[:50]}


# ----------------------------------------------------------------- the record

def record_prompt_blocks(lang: str, *, review: Review, remind: bool) -> dict:
    key = "review.talk.record_remind" if remind else "review.talk.record_prompt"
    text = t(lang, key, rep=mention(review.user_id), period=period(lang, review))
    return dm(text, [t(lang, "review.talk.record_body")],
              buttons=[button(RECORD_OPEN, str(review.id), t(lang, "review.talk.record_button"))],
              note=pitfalls(lang))


def record_lines(lang: str, review: Review, body: dict, items: Sequence[ActionItem]) -> list[str]:
    """What was agreed, as both read it."""
    lines = [t(lang, "review.record.grade", grade=body.get("grade") or review.grade)]
    for kind in ("strengths", "improvements"):
        points = [t(lang, "review.record.point", text=shown(p.get("text", "")),
                    example=shown(p.get("example", ""))) for p in body.get(kind, [])]
        if points:
            lines.append(f"*{t(lang, f'review.record.{kind}')}*\n" + "\n".join(points))
    agreed = [t(lang, "review.record.action", text=i.text, measure=i.measure,
                due=Raw(format_day(i.due_on, lang))) for i in items if i.status != "dropped"]
    if agreed:
        lines.append(f"*{t(lang, 'review.record.actions')}*\n" + "\n".join(agreed))
    for name in ("support", "development", "stretch"):
        lines.append(field_line(lang, f"review.record.{name}", body.get(name)))
    if body.get("mentee"):
        lines.append(t(lang, "review.record.mentee", mentee=mention(body["mentee"])))
    return [line for line in lines if line]


def record_blocks(lang: str, *, review: Review, body: dict, items: Sequence[ActionItem],
                  edited: bool) -> dict:
    """To the rep after the talk: the record to confirm, or to comment on."""
    text = t(lang, "review.record.text", manager=mention(review.talk_with),
             period=period(lang, review), edited=edited)
    return dm(text, record_lines(lang, review, body, items),
              buttons=[button(CONFIRM_OPEN, str(review.id),
                              t(lang, "review.record.confirm_button"))],
              note=t(lang, "review.record.note", due=day(lang, review.confirm_due)))


def confirm_remind_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.record.remind", period=period(lang, review),
             due=day(lang, review.confirm_due))
    return dm(text, [], buttons=[button(CONFIRM_OPEN, str(review.id),
                                        t(lang, "review.record.confirm_button"))])


def confirmed_blocks(lang: str, *, review: Review, comment: str, to_rep: bool) -> dict:
    """After the confirmation (or when it went overdue): the rep gets the appeal window,
    the managers the rep's answer."""
    overdue = review.confirmation == "overdue"
    if to_rep:
        text = t(lang, "review.record.window", period=period(lang, review), overdue=overdue,
                 due=day(lang, review.appeal_due))
        return dm(text, [], buttons=[button(APPEAL_OPEN, str(review.id),
                                            t(lang, "review.appeal_button"), primary=False)],
                  note=t(lang, "review.record.window_note"))
    text = t(lang, "review.record.confirmed", rep=mention(review.user_id),
             period=period(lang, review), overdue=overdue, due=day(lang, review.appeal_due))
    return dm(text, [field_line(lang, "review.record.comment", comment)],
              note=t(lang, "review.private_note"))


def summary_lines(lang: str, review: Review, body: dict, items: Sequence[ActionItem],
                  comment: str) -> list[str]:
    """The record as both saw it and the rep's comment on it, for HR (an appeal)."""
    if not body:
        return []
    return [f"*{t(lang, 'review.record.title')}*", *record_lines(lang, review, body, items),
            field_line(lang, "review.record.comment", comment)]


def appeal_filed_blocks(lang: str, *, review: Review) -> dict:
    text = t(lang, "review.appeal.filed", rep=mention(review.user_id),
             period=period(lang, review), due=day(lang, review.decision_due))
    return dm(text, [field_line(lang, "review.appeal_field.their_reason",
                                review.appeal_reason)],
              note=t(lang, "review.appeal.filed_note"))


# ----------------------------------------------------------------- what follows a final grade

def top_prompt_blocks(lang: str, *, review: Review, to_rep: bool) -> dict:
    """An S (seed 003 §二(三)2-3): priority training for the manager to arrange, and an
    invitation to the rep to share their playbook with the team."""
    text = t(lang, "review.top.rep" if to_rep else "review.top.manager",
             rep=mention(review.user_id), period=period(lang, review))
    return dm(text, [t(lang, "review.top.rep_body" if to_rep else "review.top.manager_body")])


def consequences_blocks(lang: str, *, review: Review,
                        recommendations: Sequence[Recommendation]) -> dict:
    text = t(lang, "review.consequences", rep=mention(review.user_id),
             period=period(lang, review), grade=review.final_grade)
    return dm(text, ["• " + recommendation_text(lang, r) for r in recommendations],
              note=t(lang, "review.consequences_note"))


# ----------------------------------------------------------------- forms

def move_form(lang: str, *, review: Review, tz: ZoneInfo, viewer: str) -> dict:
    local = review.talk_at.astimezone(tz) if review.talk_at else None
    when = f"{format_day(local.date(), lang)} {local:%H:%M}" if local else "—"
    other = review.talk_with if viewer == review.user_id else review.user_id
    blocks = [section(t(lang, "review.talk.move_intro", other=mention(other),
                        when=Raw(when), zone=str(tz))),
              {"type": "input", "block_id": "day", "label": plain(t(lang, "cal.field.day")),
               "element": {"type": "datepicker", "action_id": VALUE_ACTION,
                           **({"initial_date": local.date().isoformat()} if local else {})}},
              {"type": "input", "block_id": "time",
               "label": plain(t(lang, "cal.field.time", zone=str(tz))),
               "element": {"type": "timepicker", "action_id": VALUE_ACTION,
                           **({"initial_time": f"{local:%H:%M}"} if local else {})}}]
    return form_modal(lang, title=t(lang, "review.talk.move_title"), callback=MOVE_FORM,
                      blocks=blocks, meta={"r": review.id})


def record_form(lang: str, *, review: Review, body: dict, items: Sequence[ActionItem]) -> dict:
    """The manager's record of the talk (seed 000 总结共识, 记录面谈结果): what both agreed,
    each point with a concrete behaviour example, SMART actions, support, development and,
    for a top performer, a stretch goal or a newcomer to mentor."""
    intro = t(lang, "review.record_form.editing" if review.recorded_at else
              "review.record_form.intro", rep=mention(review.user_id),
              period=period(lang, review))
    blocks = [section(intro), context(pitfalls(lang)),
              select_block("grade", t(lang, "review.record_form.grade"), grade_options(lang),
                           initial=body.get("grade") or review.grade)]
    for kind in ("strengths", "improvements"):
        given = body.get(kind, [])
        blocks.append(section(f"*{t(lang, f'review.record.{kind}')}*"))
        for n in range(1, POINT_ROWS + 1):
            point = given[n - 1] if len(given) >= n else {}
            blocks.append(input_block(f"{kind}_{n}", t(lang, f"review.record_form.{kind}", n=n),
                                      initial=point.get("text") or None, optional=n > 1,
                                      max_length=POINT_LIMIT,
                                      hint=t(lang, f"review.record_form.{kind}_hint")
                                      if n == 1 else None))
            blocks.append(input_block(f"{kind}_{n}_ex", t(lang, "review.record_form.example"),
                                      initial=point.get("example") or None, optional=n > 1,
                                      max_length=EXAMPLE_LIMIT,
                                      hint=t(lang, "review.record_form.example_hint")
                                      if n == 1 else None))
    by_position = {i.position: i for i in items if i.status != "dropped"}
    blocks.append(section(f"*{t(lang, 'review.record.actions')}*\n"
                          + t(lang, "review.record_form.actions_hint")))
    for n in range(1, ACTION_ROWS + 1):
        item = by_position.get(n)
        blocks += [input_block(f"a{n}_text", t(lang, "cal.field.item", n=n),
                               initial=item.text if item else None, optional=True,
                               max_length=ACTION_LIMIT),
                   date_input(f"a{n}_due", t(lang, "cal.field.due"),
                               item.due_on if item else None),
                   input_block(f"a{n}_measure", t(lang, "cal.field.measure"),
                               initial=item.measure if item else None, optional=True,
                               max_length=ACTION_LIMIT)]
    for name in ("support", "development", "stretch"):
        blocks.append(input_block(name, t(lang, f"review.record.{name}"),
                                  initial=body.get(name) or None, optional=name != "development",
                                  max_length=TEXT_LIMIT,
                                  hint=t(lang, f"review.record_form.{name}_hint")))
    mentee = {"type": "users_select", "action_id": VALUE_ACTION}
    if body.get("mentee"):
        mentee["initial_user"] = body["mentee"]
    blocks.append({"type": "input", "block_id": "mentee", "optional": True,
                   "label": plain(t(lang, "review.record_form.mentee")), "element": mentee,
                   "hint": plain(t(lang, "review.record_form.mentee_hint"))})
    return form_modal(lang, title=t(lang, "review.record_form.title"), callback=RECORD_FORM,
                      blocks=blocks, meta={"r": review.id})


def confirm_form(lang: str, *, review: Review, body: dict,
                 items: Sequence[ActionItem]) -> dict:
    blocks = [section(t(lang, "review.confirm_form.intro", manager=mention(review.talk_with),
                        period=period(lang, review))),
              *_sections(record_lines(lang, review, body, items)),
              input_block("comment", t(lang, "review.confirm_form.comment"), initial=None,
                          optional=True, hint=t(lang, "review.confirm_form.hint"))]
    return form_modal(lang, title=t(lang, "review.confirm_form.title"), callback=CONFIRM_FORM,
                      blocks=blocks, meta={"r": review.id, "v": review.record_version})


def moved_text(lang: str, *, review: Review, tz: ZoneInfo, other: str,
               other_tz: ZoneInfo) -> str:
    return t(lang, "review.talk.moved_saved", other=mention(other),
             when=talk_when(lang, review, tz, other, other_tz))


