"""/brief: the rep's Friday brief for the current week (Monday start, in the rep's time zone).

A modal or inline text; one per rep per week, a second edits. The labelled-text grammar is
/checkin's (handlers/checkin.py) with the brief's own labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.calendar.periods import week_bounds
from bot.deps import Deps, Who
from bot.grammar.inline import HELP_WORDS, InlineError, Labels, clean, split_labelled
from bot.render import brief as render
from handlers.checkin import check_texts, form_day, metadata, team_id_for
from store import briefs, teams
from store.briefs import BriefAnswers

COMMAND = "/brief"
COMMANDS = (COMMAND,)

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


@dataclass(frozen=True)
class Inline:
    action: str  # "help" | "save"
    answers: BriefAnswers | None = None


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


def read_brief_modal(values: dict, lang: str) -> tuple[BriefAnswers | None, dict[str, str]]:
    """The submitted form as answers, or the per-block errors to show (in `lang`)."""
    errors: dict[str, str] = {}
    texts = check_texts(values, render.TEXT_FIELDS, errors, lambda limit, length:
                        render.invalid_length(lang, max_length=limit, length=length))
    if not errors and not any(texts.values()):
        errors["progress"] = render.invalid_empty(lang)
    if errors:
        return None, errors
    return BriefAnswers(**texts), {}


def this_week(who: Who, deps: Deps) -> date:
    return week_bounds(who.today(deps.clock))[0]


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def handle_brief(ack: Ack, command: dict, client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        if not text:
            # Ack first so Slack hears back at once; the trigger_id stays valid for 3 s.
            ack()
            open_modal(deps, client, command, command["trigger_id"])
            return
        who = deps.who(client, command)
        try:
            parsed = parse_brief(text)
        except InlineError as error:
            ack(**render.brief_error_blocks(who.lang, error.code, error.params))
            return
        if parsed.action == "help":
            ack(**render.brief_help_blocks(who.lang))
            return
        assert parsed.answers is not None
        with deps.sessions() as session:
            team = teams.team_for_user(session, workspace_id=who.workspace_id,
                                       user_id=who.user_id)
            saved = briefs.upsert(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                  team_id=team.id if team else None,
                                  week_start=this_week(who, deps), answers=parsed.answers,
                                  now=deps.clock.now(), replace=False)
        ack(**render.brief_saved_blocks(who.lang, brief=saved.brief, created=saved.created,
                                        on_team=team is not None))

    @app.action(render.OPEN_ACTION)
    def handle_brief_button(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        open_modal(deps, client, body, body["trigger_id"])

    @app.view(render.MODAL_CALLBACK)
    def handle_brief_submit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        who = deps.who(client, body)
        meta = metadata(view)
        answers, errors = read_brief_modal(view.get("state", {}).get("values", {}), who.lang)
        if answers is None:
            ack(response_action="errors", errors=errors)
            return
        week_start = week_bounds(form_day(meta.get("week"), this_week(who, deps)))[0]
        with deps.sessions() as session:
            team_id = team_id_for(session, who, meta)
            saved = briefs.upsert(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                  team_id=team_id, week_start=week_start, answers=answers,
                                  now=deps.clock.now(), replace=True)
        ack(response_action="update", view=render.brief_saved_view(
            who.lang, brief=saved.brief, created=saved.created, on_team=team_id is not None))


def open_modal(deps: Deps, client: WebClient, body: dict, trigger_id: str) -> None:
    """Open the brief for the rep's current week, pre-filled if they already sent it."""
    who = deps.who(client, body)
    week_start = this_week(who, deps)
    with deps.sessions() as session:
        existing = briefs.get(session, workspace_id=who.workspace_id, user_id=who.user_id,
                              week_start=week_start)
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    # The submission files under the week the form was opened for, even if Save is pressed
    # after Sunday midnight.
    meta = {"team": team.id if team else None, "week": week_start.isoformat()}
    client.views_open(trigger_id=trigger_id,
                      view=render.brief_modal(who.lang, week_start=week_start,
                                              existing=existing, metadata=meta))
