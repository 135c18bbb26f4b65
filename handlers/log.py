"""/log: record a behaviour or result, undo it, list them, explain the grammar."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.i18n import t
from bot.parsing import LogCommand, LogParseError, parse_log
from bot.periods import period_bounds, week_bounds, weekdays_before
from bot.render import log as render
from bot.render.blocks import notice_blocks
from bot.scoring.points import day_points, touches_pace
from bot.scoring.rules import DEFAULT_RULES
from store import activity, teams
from store.activity import NO_TOTAL

COMMAND = "/log"
COMMANDS = (COMMAND,)
DEFAULT_CURRENCY = "CNY"


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def handle_log(ack: Ack, command: dict, client: WebClient) -> None:
        # Everything here is a few indexed queries, so the reply rides on the ack itself:
        # the log is committed before Slack hears back, and nothing is lost to a crash.
        workspace_id = deps.workspace_id(command.get("team_id"))
        user_id = command["user_id"]
        profile = deps.users.profile(client, workspace_id, user_id)
        lang = profile.lang
        text = command.get("text") or ""
        try:
            parsed = parse_log(text, now=deps.clock.now(), tz=profile.tz)
        except LogParseError as error:
            ack(**render.log_error_blocks(lang, error))
            return
        if parsed.action == "help":
            ack(**render.help_blocks(lang))
        elif parsed.action == "undo":
            ack(**undo_last(deps, workspace_id, user_id, lang))
        elif parsed.action == "list":
            today = deps.clock.now().astimezone(profile.tz).date()
            ack(**list_logs(deps, workspace_id, user_id, lang, parsed.period or "week", today))
        else:
            source = command.get("trigger_id") or f"{user_id}:{text}:{deps.clock.now()}"
            today = deps.clock.now().astimezone(profile.tz).date()
            ack(**save(deps, workspace_id, user_id, lang, parsed, text, source, today=today))

    @app.action(render.UNDO_ACTION)
    def handle_undo_button(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        workspace_id = deps.workspace_id((body.get("team") or {}).get("id"))
        user_id = body["user"]["id"]
        profile = deps.users.cached(workspace_id, user_id)
        lang = profile.lang if profile else "en"
        with deps.sessions() as session:
            row = activity.get(session, workspace_id=workspace_id,
                               activity_id=int(action.get("value") or 0))
            if row is None or row.user_id != user_id:
                reply = t(lang, "log.undo_not_yours")
                respond(text=reply, response_type="ephemeral", replace_original=False)
                return
            changed = activity.soft_delete(session, activity=row, now=deps.clock.now())
            currency = _currency(session, workspace_id, user_id)
        reply = render.undone_text(lang, row, currency) if changed else t(
            lang, "log.undo_already")
        respond(replace_original=True, **notice_blocks(reply))


def _currency(session, workspace_id: str, user_id: str) -> str:
    team = teams.team_for_user(session, workspace_id=workspace_id, user_id=user_id)
    return team.currency if team else DEFAULT_CURRENCY


def save(deps: Deps, workspace_id: str, user_id: str, lang: str, parsed: LogCommand,
         text: str, source: str, *, today: date) -> dict:
    entry = parsed.entry
    assert entry is not None
    now = deps.clock.now()
    with deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=workspace_id, user_id=user_id)
        saved = activity.add(session, workspace_id=workspace_id, user_id=user_id,
                             team_id=team.id if team else None, entry=entry, text=text,
                             source=source, now=now)
        row = saved.activity
        day = activity.totals_by_kind(session, workspace_id=workspace_id, user_id=user_id,
                                      start=row.occurred_on, end=row.occurred_on)
        week_start, week_end = week_bounds(row.occurred_on)
        week = activity.totals_by_kind(session, workspace_id=workspace_id, user_id=user_id,
                                       start=week_start, end=week_end)
    rules = DEFAULT_RULES
    touches = sum(week.get(k, NO_TOTAL).count for k in rules.touch_kinds)
    # Pace is judged against the rep's current week; a back-dated log into an earlier week
    # shows that week as complete.
    elapsed = weekdays_before(today) if today <= week_end else 5
    return render.log_saved_blocks(
        lang, activity=row, created=saved.created,
        day_total=day.get(row.kind, NO_TOTAL), week_total=week.get(row.kind, NO_TOTAL),
        points=day_points({k: v.count for k, v in day.items()}, rules),
        pace=touches_pace(touches, working_days_elapsed=elapsed, rules=rules),
        currency=team.currency if team else DEFAULT_CURRENCY, on_team=team is not None,
        today=today)


def undo_last(deps: Deps, workspace_id: str, user_id: str, lang: str) -> dict:
    with deps.sessions() as session:
        row = activity.last_live(session, workspace_id=workspace_id, user_id=user_id)
        if row is None:
            return notice_blocks(t(lang, "log.undo_nothing"))
        activity.soft_delete(session, activity=row, now=deps.clock.now())
        currency = _currency(session, workspace_id, user_id)
    return notice_blocks(render.undone_text(lang, row, currency))


def list_logs(deps: Deps, workspace_id: str, user_id: str, lang: str, period: str,
              today: date) -> dict:
    start, end = period_bounds(period, today)
    with deps.sessions() as session:
        rows = activity.list_between(session, workspace_id=workspace_id, user_id=user_id,
                                     start=start, end=end, limit=render.LIST_LINES)
        total = activity.count_between(session, workspace_id=workspace_id, user_id=user_id,
                                       start=start, end=end)
        totals = activity.totals_by_kind(session, workspace_id=workspace_id, user_id=user_id,
                                         start=start, end=end)
        currency = _currency(session, workspace_id, user_id)
    return render.log_list_blocks(
        lang, period=period, start=start, end=end, rows=rows, total=total,
        totals=[(k, v.count, v.amount) for k, v in totals.items()], currency=currency)
