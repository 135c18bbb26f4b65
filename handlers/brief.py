"""/brief: the rep's Friday brief for the current week (Monday start, in the rep's time zone).

A modal or inline text; one per rep per week, a second edits. The flow is the periodic forms'
(handlers/forms.py); the labelled-text grammar is /checkin's (bot/grammar/inline.py) with the
brief's own labels.
"""

from __future__ import annotations

from bot.grammar.inline import HELP_WORDS, InlineError, Labels, clean, split_labelled
from bot.render import brief as render
from handlers import forms
from handlers.forms import Inline
from store import briefs
from store.briefs import BriefAnswers

COMMAND = "/brief"

BRIEF_LABELS = Labels(
    words={
        **dict.fromkeys(("progress", "action items", "actions", "done", "进展", "进度",
                         "行动项", "行动项进展"), "progress"),
        **dict.fromkeys(("wins", "win", "highlights", "highlight", "成果", "亮点", "收获"),
                        "wins"),
        **dict.fromkeys(("blockers", "blocker", "blocked", "obstacles", "困难", "阻碍", "卡点",
                         "障碍", "问题"), "blockers"),
        **dict.fromkeys(("next", "next week", "next week's focus", "next week’s focus",
                         "focus", "next focus", "下周", "下周重点", "下周计划", "重点"),
                        "next_focus"),
    },
    bare=frozenset({"progress", "wins", "blockers", "next week", "下周"}),
    default="progress",
)


def parse_brief(text: str) -> Inline:
    """Read `/brief TEXT`; raises InlineError with what to fix. Empty text is the modal."""
    stripped = clean(text)
    if stripped.lower() in HELP_WORDS:
        return Inline("help")
    parts = split_labelled(stripped, BRIEF_LABELS)
    answers = BriefAnswers(**parts)
    if not any(answers.given().values()):
        raise InlineError("empty")
    for block_id, (field, limit) in render.TEXT_FIELDS.items():
        value = getattr(answers, field)
        if value is not None and len(value) > limit:
            raise InlineError("too_long", field=block_id, max=limit, length=len(value))
    return Inline("save", answers)


FORM = forms.PeriodicForm(kind=render.BRIEF, parse=parse_brief, answers=BriefAnswers,
                          store=briefs, period_field="week_start")
LISTENERS = forms.listeners(COMMAND, FORM)
