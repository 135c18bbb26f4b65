"""/checkin: the rep's daily check-in, in a modal or inline; one per local day, a second edits.
The flow is the periodic forms' (handlers/forms.py); what is the check-in's own is here.

Its inline grammar (pure functions, no Slack): labelled parts split by `|`, `;` or new lines,
unlabelled text is the plan, and planned visits/calls are read from the plan. The
labelled-text machinery (bot/grammar/inline.py) is shared with /brief.
"""

from __future__ import annotations

from bot.grammar.inline import (
    HELP_WORDS,
    InlineError,
    Labels,
    clean,
    customers_in_plan,
    planned_counts,
    split_labelled,
)
from bot.render import checkin as render
from handlers import forms
from handlers.forms import Inline
from store import checkins
from store.checkins import CheckinAnswers

COMMAND = "/checkin"


# ---------------------------------------------------------------- /checkin's own grammar

CHECKIN_LABELS = Labels(
    words={
        **dict.fromkeys(("plan", "plans", "today", "today's plan", "today’s plan", "todo",
                         "to do", "计划", "今天", "今日", "今天计划", "今日计划", "今天的计划"),
                        "plan"),
        **dict.fromkeys(("customers", "key customers", "clients", "accounts", "客户", "重点客户",
                         "关键客户"), "key_customers"),
        **dict.fromkeys(("yesterday", "outcome", "yesterday's outcome", "yesterday’s outcome",
                         "results", "result", "昨天", "昨日", "昨天结果", "昨天的结果", "昨日成果",
                         "昨天成果"), "yesterday"),
        **dict.fromkeys(("blockers", "blocker", "blocked", "obstacles", "困难", "阻碍", "卡点",
                         "障碍", "问题"), "blockers"),
    },
    bare=frozenset({"today", "yesterday", "blockers", "计划", "今天", "今日", "昨天", "昨日"}),
    default="plan",
)


def parse_checkin(text: str) -> Inline:
    """Read `/checkin TEXT`; raises InlineError with what to fix. Empty text is the modal."""
    stripped = clean(text)
    if stripped.lower() in HELP_WORDS:
        return Inline("help")
    parts = split_labelled(stripped, CHECKIN_LABELS)
    plan = parts.get("plan")
    counts: dict[str, int] = {}
    key_customers = parts.get("key_customers")
    if plan:
        counts, _ = planned_counts(plan)
        if key_customers is None:
            key_customers = customers_in_plan(plan)
    for kind, value in counts.items():
        if value > render.MAX_PLANNED:
            raise InlineError("count_range", what=kind, value=value, max=render.MAX_PLANNED)
    answers = CheckinAnswers(
        plan=plan, planned_visits=counts.get("visits"), planned_calls=counts.get("calls"),
        key_customers=key_customers, yesterday=parts.get("yesterday"),
        blockers=parts.get("blockers"))
    if not any(answers.given().values()) and not counts:
        raise InlineError("empty")
    for block_id, (field, limit) in render.TEXT_FIELDS.items():
        value = getattr(answers, field)
        if value is not None and len(value) > limit:
            raise InlineError("too_long", field=block_id, max=limit, length=len(value))
    return Inline("save", answers)


FORM = forms.PeriodicForm(kind=render.CHECKIN, parse=parse_checkin, answers=CheckinAnswers,
                          store=checkins, period_field="day")
LISTENERS = forms.listeners(COMMAND, FORM)
