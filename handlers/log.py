"""/log: record a behaviour or result, undo it, list them, explain the grammar."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.periods import period_bounds, week_bounds, weekdays_before
from bot.deps import Deps, Who
from bot.grammar.log import LogCommand, LogParseError, parse_log
from bot.i18n import t
from bot.render import log as render
from bot.render.blocks import notice_blocks
from bot.scoring.points import day_points, touches_pace
from bot.scoring.rules import DEFAULT_RULES
from bot.slack.text import row_id
from store import activity, customers, teams
from store.activity import NO_TOTAL
from store.models import Activity, Team

COMMAND = "/log"
COMMANDS = (COMMAND,)
DEFAULT_CURRENCY = "CNY"
PICK = re.compile(rf"^{render.PICK_ACTION}")


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def handle_log(ack: Ack, command: dict, client: WebClient) -> None:
        # Everything here is a few indexed queries, so the reply rides on the ack itself:
        # the log is committed before Slack hears back, and nothing is lost to a crash.
        who = deps.who(client, command)
        text = command.get("text") or ""
        try:
            parsed = parse_log(text, now=deps.clock.now(), tz=who.profile.tz)
        except LogParseError as error:
            ack(**render.log_error_blocks(who.lang, error))
            return
        if parsed.action == "help":
            ack(**render.help_blocks(who.lang))
        elif parsed.action == "undo":
            ack(**undo_last(deps, who))
        elif parsed.action == "list":
            ack(**list_logs(deps, who, parsed.period or "week"))
        else:
            source = command.get("trigger_id") or f"{who.user_id}:{text}:{deps.clock.now()}"
            ack(**save(deps, who, parsed, text, source))

    @app.action(render.UNDO_ACTION)
    def handle_undo_button(ack: Ack, body: dict, action: dict, respond: Respond,
                           client: WebClient) -> None:
        ack()
        who = deps.who(client, body)
        with deps.sessions() as session:
            row = _own_row(session, who, action.get("value", ""))
            if row is None:
                respond(text=t(who.lang, "log.undo_not_yours"), response_type="ephemeral",
                        replace_original=False)
                return
            changed = _undo(session, deps, row)
            currency = _currency(session, who)
        reply = render.undone_text(who.lang, row, currency) if changed else t(
            who.lang, "log.undo_already")
        respond(replace_original=True, **notice_blocks(reply))

    @app.action(PICK)
    def handle_pick_customer(ack: Ack, body: dict, action: dict, respond: Respond,
                             client: WebClient) -> None:
        """'Which customer is this?' answered: link the log and show the confirmation."""
        ack()
        who = deps.who(client, body)
        activity_id, _, choice = action.get("value", "").partition(":")
        with deps.sessions() as session:
            row = _own_row(session, who, activity_id)
            team = teams.team_for_user(session, workspace_id=who.workspace_id,
                                       user_id=who.user_id)
            if row is None or team is None or row.deleted_at is not None:
                respond(text=t(who.lang, "log.undo_not_yours" if row is None else
                               "log.undo_already"), response_type="ephemeral",
                        replace_original=False)
                return
            if row.customer_id is not None:  # linked already: a double click
                link = customers.Link(customer=customers.get(
                    session, team_id=team.id, customer_id=row.customer_id))
            else:
                chosen = None if choice == "new" else customers.get(
                    session, team_id=team.id, customer_id=row_id(choice) or 0)
                if chosen is None and choice != "new":  # not one of the buttons' customers
                    respond(text=t(who.lang, "errors.stale"), response_type="ephemeral",
                            replace_original=False)
                    return
                link = _link(session, deps, who, row, team.id, customer=chosen,
                             new=chosen is None)
            reply = confirmation(session, deps, who, row, created=True, link=link, team=team)
        respond(replace_original=True, **reply)


def _own_row(session: Session, who: Who, activity_id: str) -> Activity | None:
    row = activity.get(session, workspace_id=who.workspace_id,
                       activity_id=row_id(activity_id) or 0)
    return row if row is not None and row.user_id == who.user_id else None


def _currency(session: Session, who: Who) -> str:
    team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    return team.currency if team else DEFAULT_CURRENCY


def _touched_at(deps: Deps, who: Who, day: date) -> datetime:
    """When a log touched its customer: now for today, else the end of that local day."""
    now = deps.clock.now()
    if day >= who.today(deps.clock):
        return now
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=who.profile.tz)
    return min(now, end.astimezone(UTC) - timedelta(seconds=1))


def _link(session: Session, deps: Deps, who: Who, row: Activity, team_id: int, *,
          customer=None, new: bool = False) -> customers.Link:
    return customers.link_activity(session, row, team_id=team_id, customer=customer, new=new,
                                   touched_at=_touched_at(deps, who, row.occurred_on))


def _undo(session: Session, deps: Deps, row: Activity) -> bool:
    changed = activity.soft_delete(session, activity=row, now=deps.clock.now())
    if changed:
        customers.unlink_undone(session, row, now=deps.clock.now())
    return changed


def save(deps: Deps, who: Who, parsed: LogCommand, text: str, source: str) -> dict:
    entry = parsed.entry
    assert entry is not None
    with deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
        saved = activity.add(session, workspace_id=who.workspace_id, user_id=who.user_id,
                             team_id=team.id if team else None, entry=entry, text=text,
                             source=source, now=deps.clock.now())
        link = None
        if saved.created and team is not None and saved.activity.customer:
            link = _link(session, deps, who, saved.activity, team.id)
        return confirmation(session, deps, who, saved.activity, created=saved.created,
                            link=link, team=team)


def confirmation(session: Session, deps: Deps, who: Who, row: Activity, *, created: bool,
                 link: customers.Link | None, team: Team | None) -> dict:
    """Exactly what was recorded, and how it moved the day and the week."""
    week_start, week_end = week_bounds(row.occurred_on)
    day, week = activity.day_and_week_totals(session, workspace_id=who.workspace_id,
                                             user_id=who.user_id, day=row.occurred_on,
                                             week_start=week_start, week_end=week_end)
    rules = DEFAULT_RULES
    touches = sum(week.get(k, NO_TOTAL).count for k in rules.touch_kinds)
    today = who.today(deps.clock)
    # Pace is judged against the rep's current week; a back-dated log into an earlier week
    # shows that week as complete.
    elapsed = weekdays_before(today) if today <= week_end else 5
    return render.log_saved_blocks(
        who.lang, activity=row, created=created,
        day_total=day.get(row.kind, NO_TOTAL), week_total=week.get(row.kind, NO_TOTAL),
        points=day_points({k: v.count for k, v in day.items()}, rules),
        pace=touches_pace(touches, working_days_elapsed=elapsed, rules=rules),
        currency=team.currency if team else DEFAULT_CURRENCY, on_team=team is not None,
        today=today, link=link)


def undo_last(deps: Deps, who: Who) -> dict:
    with deps.sessions() as session:
        row = activity.last_live(session, workspace_id=who.workspace_id, user_id=who.user_id)
        if row is None:
            return notice_blocks(t(who.lang, "log.undo_nothing"))
        _undo(session, deps, row)
        currency = _currency(session, who)
    return notice_blocks(render.undone_text(who.lang, row, currency))


def list_logs(deps: Deps, who: Who, period: str) -> dict:
    start, end = period_bounds(period, who.today(deps.clock))
    scope = {"workspace_id": who.workspace_id, "user_id": who.user_id, "start": start,
             "end": end}
    with deps.sessions() as session:
        rows = activity.list_between(session, **scope, limit=render.LIST_LINES)
        total = activity.count_between(session, **scope)
        totals = activity.totals_by_kind(session, **scope)
        currency = _currency(session, who)
    return render.log_list_blocks(
        who.lang, period=period, start=start, end=end, rows=rows, total=total,
        totals=[(k, v.count, v.amount) for k, v in totals.items()], currency=currency)
