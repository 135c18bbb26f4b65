"""/checkin: the rep's daily check-in, in a modal or inline; one per local day, a second edits.

The inline grammar lives here too (pure functions, no Slack): labelled parts split by `|`, `;`
or new lines, unlabelled text is the plan, and planned visits/calls are read from the plan.
The labelled-text machinery is shared with /brief (handlers/brief.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps, Who
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
from bot.slack.text import row_id
from store import checkins, teams
from store.checkins import CheckinAnswers

COMMAND = "/checkin"
COMMANDS = (COMMAND,)
STALE_FORM_DAYS = 7


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


@dataclass(frozen=True)
class Inline:
    action: str  # "help" | "save"
    answers: CheckinAnswers | None = None


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


# ============================================================== the modal's answers

def modal_value(values: dict, block_id: str) -> str:
    """The text in one input of a submitted view (blank when left empty)."""
    entry = (values.get(block_id) or {}).get(render.VALUE_ACTION) or {}
    return (entry.get("value") or "").strip()


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


def read_checkin_modal(values: dict, lang: str) -> tuple[CheckinAnswers | None, dict[str, str]]:
    """The submitted form as answers, or the per-block errors to show (in `lang`)."""
    errors: dict[str, str] = {}
    texts = check_texts(values, render.TEXT_FIELDS, errors, lambda limit, length:
                        render.invalid_length(lang, max_length=limit, length=length))
    counts: dict[str, int | None] = {}
    for block_id, field in render.COUNT_FIELDS.items():
        raw = modal_value(values, block_id)
        if not raw:
            counts[field] = None
        elif re.fullmatch(r"\d{1,3}", raw) and int(raw) <= render.MAX_PLANNED:
            counts[field] = int(raw)
        else:
            errors[block_id] = render.invalid_count(lang)
    if not errors and not any(texts.values()) and all(v is None for v in counts.values()):
        errors["plan"] = render.invalid_empty(lang)
    if errors:
        return None, errors
    return CheckinAnswers(**texts, **counts), {}


def metadata(view: dict) -> dict:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def team_id_for(session, who: Who, meta: dict) -> int | None:
    """The team the answer files under: the one named when the form opened if the rep is
    still on it, else the rep's (metadata comes back from Slack as sent, but may be stale)."""
    named = row_id(meta.get("team"))
    if named in teams.teams_of(session, workspace_id=who.workspace_id, user_id=who.user_id):
        return named
    team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    return team.id if team else None


def form_day(value: object, today: date) -> date:
    """The day a form was opened for (its metadata): kept if it is today or up to
    STALE_FORM_DAYS back (Save pressed after midnight), else today."""
    day = day_from(value)
    if day is None or not today - timedelta(days=STALE_FORM_DAYS) <= day <= today:
        return today
    return day


# ============================================================== Slack listeners

def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def handle_checkin(ack: Ack, command: dict, client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        if not text:
            # Ack first so Slack hears back at once; the trigger_id stays valid for 3 s.
            ack()
            open_modal(deps, client, command, command["trigger_id"])
            return
        who = deps.who(client, command)
        try:
            parsed = parse_checkin(text)
        except InlineError as error:
            ack(**render.checkin_error_blocks(who.lang, error.code, error.params))
            return
        if parsed.action == "help":
            ack(**render.checkin_help_blocks(who.lang))
            return
        assert parsed.answers is not None
        with deps.sessions() as session:
            team = teams.team_for_user(session, workspace_id=who.workspace_id,
                                       user_id=who.user_id)
            saved = checkins.upsert(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                    team_id=team.id if team else None, day=who.today(deps.clock),
                                    answers=parsed.answers, now=deps.clock.now(), replace=False)
        ack(**render.checkin_saved_blocks(who.lang, checkin=saved.checkin,
                                          created=saved.created, on_team=team is not None))

    @app.action(render.OPEN_ACTION)
    def handle_checkin_button(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_modal(deps, client, body, body["trigger_id"])

    @app.view(render.MODAL_CALLBACK)
    def handle_checkin_submit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        who = deps.who(client, body)
        meta = metadata(view)
        answers, errors = read_checkin_modal(view.get("state", {}).get("values", {}), who.lang)
        if answers is None:
            ack(response_action="errors", errors=errors)
            return
        day = form_day(meta.get("day"), who.today(deps.clock))
        with deps.sessions() as session:
            team_id = team_id_for(session, who, meta)
            saved = checkins.upsert(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                    team_id=team_id, day=day, answers=answers,
                                    now=deps.clock.now(), replace=True)
        ack(response_action="update", view=render.checkin_saved_view(
            who.lang, checkin=saved.checkin, created=saved.created,
            on_team=team_id is not None))


def day_from(value: object) -> date | None:
    """The ISO date a form's metadata carries, or None if it carries none (or garbage)."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def open_modal(deps: Deps, client: WebClient, body: dict, trigger_id: str) -> None:
    """Open the form for the rep's local today, pre-filled if they already checked in."""
    who = deps.who(client, body)
    day = who.today(deps.clock)
    with deps.sessions() as session:
        existing = checkins.get(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                day=day)
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    # The submission needs the team and day the form was opened for: the rep may
    # press Save after midnight, and it should still be the day the form said.
    meta = {"team": team.id if team else None, "day": day.isoformat()}
    client.views_open(trigger_id=trigger_id,
                      view=render.checkin_modal(who.lang, day=day, existing=existing,
                                                metadata=meta))
