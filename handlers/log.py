"""/log: record a behaviour or result, undo it, list them, explain the grammar (its grammar is
bot/grammar/log.py; saving and what the confirmation shows, bot/services/activity.py)."""

from __future__ import annotations

import logging
import re

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.periods import period_bounds
from bot.deps import Deps, Who
from bot.followups import FOLLOW_UPS
from bot.grammar.log import LogParseError
from bot.i18n import t
from bot.render import log as render
from bot.render.blocks import notice_blocks
from bot.services import activity as logs
from bot.slack import response_urls
from bot.slack.text import row_id
from handlers.registry import on_request_thread
from store import activity, customers, teams
from store.models import Activity

log = logging.getLogger(__name__)

COMMAND = "/log"
PICK = re.compile(rf"^{render.PICK_ACTION}")


@on_request_thread  # it returns right after its ack: the follow-up is queued
def handle_log(ack: Ack, command: dict, client: WebClient, respond: Respond, *,
               deps: Deps) -> None:
    """Before the ack only what makes the log durable: read it (team and customer names from
    memory), one INSERT that ignores a repeated trigger_id, commit. The ack shows nothing:
    the confirmation follows by response_url a few milliseconds later (Slack shows one
    message, not an empty "recorded" and then the real one). A line that can't be read is
    answered in the ack itself, privately, with a corrected example, and nothing is saved."""
    who = deps.who(client, command)
    text = command.get("text") or ""
    try:
        parsed = logs.read(deps, who, text)
    except LogParseError as error:  # the grammar's own reply: what to fix, and an example
        ack(**render.log_error_blocks(who.lang, error))
        return
    if parsed.action == "help":
        ack(**render.help_blocks(who.lang))
    elif parsed.action == "undo":
        ack(**undo_last(deps, who))
    elif parsed.action == "list":
        ack(**list_logs(deps, who, parsed.period or "week"))
    else:
        assert parsed.entry is not None
        source = command.get("trigger_id") or f"{who.user_id}:{text}:{deps.clock.now()}"
        activity_id = logs.record(deps, who, parsed.entry, text, source)
        ack()
        if activity_id is None:
            return  # Slack sent the same command again: the first one's confirmation answers
        FOLLOW_UPS.submit((who.workspace_id, who.user_id), confirm, deps, who, activity_id,
                          respond, client, settles=logs.queued_key(deps, activity_id))


def confirm(follow_ups: list[tuple[Deps, Who, int, Respond, WebClient | None]]) -> None:
    """After the ack, on the follow-up pool (bot/followups.py), for the logs queued
    together: settle them (customer link, App Home marks: one transaction for them all) and
    send each its confirmation. One person's follow-ups run one at a time, in order, so a
    quick second log finds the customer the first one created, and their confirmations
    don't cross. If settling them together fails, each is tried alone; a failure is logged:
    a log not settled stays owed to the `log-followups` job."""
    by_deps: dict[int, list[tuple[Deps, Who, int, Respond, WebClient | None]]] = {}
    for item in follow_ups:  # one process may serve several databases
        by_deps.setdefault(id(item[0]), []).append(item)
    for items in by_deps.values():
        deps = items[0][0]
        try:
            shown = logs.follow_ups(deps, [(who, activity_id) for _, who, activity_id, *_
                                           in items])
        except Exception:  # noqa: BLE001 - on a pool thread: nobody else would hear of it
            log.exception("the follow-ups of %d logs failed together; now one by one",
                          len(items))
            for item in items:
                _confirm_one(*item)
            continue
        for (_, who, activity_id, respond, client), logged in zip(items, shown, strict=True):
            _send(deps, who, activity_id, respond, client, logged)


def _confirm_one(deps: Deps, who: Who, activity_id: int, respond: Respond,
                 client: WebClient | None) -> None:
    try:
        logged = logs.follow_up(deps, who, activity_id)
    except Exception:  # noqa: BLE001 - on a pool thread: nobody else would hear of it
        log.exception("the follow-up of log %s failed", activity_id)
        return
    _send(deps, who, activity_id, respond, client, logged)


def _send(deps: Deps, who: Who, activity_id: int, respond: Respond, client: WebClient | None,
          logged: logs.Logged | None) -> None:
    try:
        if logged is not None:  # else undone before this could be shown: the undo said so
            response_urls.send(respond, **render.log_saved_blocks(who.lang, logged))
        if client is not None:  # a profile Slack did not give before the ack: ask again
            deps.users.settle(client, who.workspace_id, who.user_id)
    except Exception:  # noqa: BLE001 - on a pool thread: nobody else would hear of it
        log.exception("the confirmation of log %s failed", activity_id)


def handle_undo(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, *,
                deps: Deps) -> None:
    """The Undo button under a confirmation."""
    ack()
    who = deps.who(client, body)
    with deps.sessions() as session:
        row = _own_row(session, who, action.get("value", ""))
        if row is None:
            respond(text=t(who.lang, "log.undo_not_yours"), response_type="ephemeral",
                    replace_original=False)
            return
        changed = logs.undo(session, deps, row, tz=who.profile.tz)
        currency = logs.currency(session, who)
    reply = render.undone_text(who.lang, row, currency) if changed else t(
        who.lang, "log.undo_already")
    respond(replace_original=True, **notice_blocks(reply))


def handle_pick_customer(ack: Ack, body: dict, action: dict, respond: Respond,
                         client: WebClient, *, deps: Deps) -> None:
    """'Which customer is this?' answered: link the log and show the confirmation."""
    ack()
    who = deps.who(client, body)
    activity_id, _, choice = action.get("value", "").partition(":")
    with deps.sessions() as session:
        row = _own_row(session, who, activity_id)
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
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
            link = logs.link(session, deps, who, row, team.id, customer=chosen,
                             new=chosen is None)
        logged = logs.logged(session, deps, who, row, created=True, link=link, team=team)
        reply = render.log_saved_blocks(who.lang, logged)
    respond(replace_original=True, **reply)


LISTENERS = [
    ("command", COMMAND, handle_log),
    ("action", render.UNDO_ACTION, handle_undo),
    ("action", PICK, handle_pick_customer),
]


def _own_row(session: Session, who: Who, activity_id: str) -> Activity | None:
    row = activity.get(session, workspace_id=who.workspace_id,
                       activity_id=row_id(activity_id) or 0)
    return row if row is not None and row.user_id == who.user_id else None


def undo_last(deps: Deps, who: Who) -> dict:
    with deps.sessions() as session:
        row = activity.last_live(session, workspace_id=who.workspace_id, user_id=who.user_id)
        if row is None:
            return notice_blocks(t(who.lang, "log.undo_nothing"))
        logs.undo(session, deps, row, tz=who.profile.tz)
        currency = logs.currency(session, who)
    return notice_blocks(render.undone_text(who.lang, row, currency))


def list_logs(deps: Deps, who: Who, period: str) -> dict:
    start, end = period_bounds(period, who.today(deps.clock))
    scope = {"workspace_id": who.workspace_id, "user_id": who.user_id, "start": start,
             "end": end}
    with deps.sessions() as session:
        rows = activity.list_between(session, **scope, limit=render.LIST_LINES)
        total = activity.count_between(session, **scope)
        totals = activity.totals_by_kind(session, **scope)
        currency = logs.currency(session, who)
    return render.log_list_blocks(
        who.lang, period=period, start=start, end=end, rows=rows, total=total,
        totals=[(k, v.count, v.amount) for k, v in totals.items()], currency=currency)
