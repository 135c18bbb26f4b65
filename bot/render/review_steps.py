"""The review steps waiting for someone (bot/services/review.py's Steps), each as a line and
the button that opens its form: for `/review` and the App Home."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.render.review import (
    APPEAL_OPEN,
    DECIDE_OPEN,
    RATE_OPEN,
    SELF_OPEN,
    day,
    mention,
    period,
    step_button,
)
from bot.render.review_plans import CHECK_OPEN, PLAN_OPEN
from bot.render.review_talk import CONFIRM_OPEN, MOVE_OPEN, RECORD_OPEN
from bot.services.review import (
    APPEAL,
    CONFIRM,
    DECIDE,
    PLAN_SETUP,
    RATE,
    RECORD,
    SELF,
    TALK,
    Step,
    when,
)


def step_lines(lang: str, steps: Sequence[Step],
               tz: ZoneInfo | None = None) -> list[tuple[str, dict]]:
    lines = []
    for step in steps:
        review, plan = step.review, step.plan
        if step.kind == SELF:
            line = t(lang, "review.item.self", period=period(lang, review),
                     due=day(lang, review.self_due))
            button = step_button(SELF_OPEN, str(review.id), "review.self_button", lang)
        elif step.kind == APPEAL:
            line = t(lang, "review.item.appeal", period=period(lang, review),
                     grade=review.final_grade or review.grade, due=day(lang, review.appeal_due))
            button = step_button(APPEAL_OPEN, str(review.id), "review.appeal_button", lang)
        elif step.kind == CONFIRM:
            line = t(lang, "review.item.confirm", period=period(lang, review),
                     due=day(lang, review.confirm_due))
            button = step_button(CONFIRM_OPEN, str(review.id), "review.record.confirm_button",
                                 lang)
        elif step.kind == RATE:
            line = t(lang, "review.item.rate", rep=mention(review.user_id),
                     period=period(lang, review), due=day(lang, review.rating_due))
            button = step_button(RATE_OPEN, str(review.id), "review.rate_button", lang)
        elif step.kind == TALK:
            line = t(lang, "review.item.talk", rep=mention(review.user_id),
                     manager=mention(review.talk_with), period=period(lang, review),
                     when=when(lang, review.talk_at, tz or ZoneInfo("UTC")))
            button = step_button(MOVE_OPEN, str(review.id), "review.talk.move_button", lang)
        elif step.kind == RECORD:
            line = t(lang, "review.item.record", rep=mention(review.user_id),
                     period=period(lang, review),
                     when=when(lang, review.talk_at, tz or ZoneInfo("UTC")))
            button = step_button(RECORD_OPEN, str(review.id), "review.talk.record_button", lang)
        elif step.kind == DECIDE:
            line = t(lang, "review.item.decide", rep=mention(review.user_id),
                     period=period(lang, review), due=day(lang, review.decision_due))
            button = step_button(DECIDE_OPEN, str(review.id), "review.decide_button", lang)
        elif step.kind == PLAN_SETUP:
            line = t(lang, f"review.item.plan_setup_{plan.kind}", rep=mention(plan.user_id))
            button = step_button(PLAN_OPEN, str(plan.id),
                                 f"review.plan.setup_button_{plan.kind}", lang)
        else:  # a month's check of a plan
            line = t(lang, "review.item.plan_check", rep=mention(plan.user_id),
                     month=step.month)
            button = step_button(CHECK_OPEN, f"{plan.id}:{step.month}",
                                 "review.plan.check_button", lang)
        lines.append((line, button))
    return lines
