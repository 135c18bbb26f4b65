"""/actions: the action items agreed in calibrations — mine, my team's, done and undone."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Usage
from bot.i18n import t
from bot.jobs import home
from bot.permissions import decide
from bot.render import actions as render
from bot.render.blocks import notice_blocks
from bot.render.home import ORIGIN as HOME
from bot.slack.text import row_id, tokens, user_id
from handlers.access import may_view
from store import actions, audit, teams
from store.models import ActionItem

COMMAND = "/actions"
RECENT = timedelta(days=30)


def handle_actions(ack: Ack, command: dict, client: WebClient, *, deps: Deps) -> None:
    who = deps.who(client, command)
    rep, with_done = None, False
    for word in tokens(command.get("text") or ""):
        if word.lower() in ("help", "?", "帮助"):
            ack(**notice_blocks(t(who.lang, "act.help")))
            return
        if word.lower() in ("all", "done", "全部"):
            with_done = True
        elif (found := user_id(word)) is not None:
            rep = found
        else:
            raise Usage("act.usage", word=word)
    with deps.sessions() as session:
        ack(**listing(session, deps, who, rep=rep, with_done=with_done))


def handle_done(ack: Ack, body: dict, respond: Respond, client: WebClient, *,
                deps: Deps) -> None:
    ack()
    _mark(deps, client, body, respond, actions.DONE)


def handle_reopen(ack: Ack, body: dict, respond: Respond, client: WebClient, *,
                  deps: Deps) -> None:
    ack()
    _mark(deps, client, body, respond, actions.OPEN)


LISTENERS = [
    ("command", COMMAND, handle_actions),
    ("action", render.DONE_ACTION, handle_done),
    ("action", render.REOPEN_ACTION, handle_reopen),
]


def listing(session: Session, deps: Deps, who: Who, *, rep: str | None,
            with_done: bool) -> dict:
    """`/actions [@rep] [all]`: a person's items, and for a manager their teams' too."""
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    since = deps.clock.now() - RECENT if with_done else None
    if rep is not None and rep != who.user_id:
        actor, rep_teams, decision = may_view(session, deps, who, rep, "actions.view")
        if not decision.allowed:
            return notice_blocks(t(who.lang, decision.reason))
        seen = actor.manages & rep_teams if not actor.is_admin else rep_teams
        items = actions.listed(session, workspace_id=who.workspace_id, team_ids=sorted(seen),
                               reps=[rep], done_since=since)
        return render.list_blocks(who.lang, today=who.today(deps.clock), mine=items, team={},
                                  editable={i.id for i in items if _may_edit(actor, i)},
                                  origin=f"rep{rep}", title_user=rep)
    mine = actions.listed(session, workspace_id=who.workspace_id, owner=who.user_id,
                          done_since=since)
    for_me = [i for i in actions.listed(session, workspace_id=who.workspace_id,
                                        team_ids=sorted(actor.teams), reps=[who.user_id],
                                        done_since=since)
              if i.owner_user_id != who.user_id and i.rep_user_id == who.user_id]
    team: dict[str, list[ActionItem]] = {}
    if actor.manages:
        for item in actions.listed(session, workspace_id=who.workspace_id,
                                   team_ids=sorted(actor.manages), done_since=since):
            if item.owner_user_id != who.user_id:
                team.setdefault(item.rep_user_id, []).append(item)
    editable = {i.id for i in [*mine, *for_me, *(x for v in team.values() for x in v)]
                if _may_edit(actor, i)}
    return render.list_blocks(who.lang, today=who.today(deps.clock), mine=mine, team=team,
                              editable=editable, origin="list", for_me=for_me)


def _may_edit(actor, item: ActionItem) -> bool:  # noqa: ANN001 - bot.permissions.Actor
    return any(decide(actor, "action.edit", owner=person, team_id=item.team_id).allowed
               for person in (item.owner_user_id, item.rep_user_id))


def _mark(deps: Deps, client: WebClient, body: dict, respond: Respond, status: str) -> None:
    """Done or Undo, from a list or a reminder DM: the message is redrawn in place. From the
    App Home (no response_url) the Home is republished instead."""
    who = deps.who(client, body)
    origin, _, raw_id = ((body.get("actions") or [{}])[0].get("value") or "").rpartition(":")
    now = deps.clock.now()
    if origin == HOME:
        _mark_item(deps, who, raw_id, status, now)
        home.refresh(deps, client, who.workspace_id, who.user_id)
        return
    with deps.sessions() as session:
        item, refusal = _mark_item(deps, who, raw_id, status, now, session)
        if refusal:
            respond(replace_original=False, **notice_blocks(t(who.lang, refusal)))
            return
        if origin == "dm":
            reply = render.done_blocks(who.lang, item, who.today(deps.clock))
        else:
            rep = origin[3:] if origin.startswith("rep") else None
            reply = listing(session, deps, who, rep=rep, with_done=True)
    reply.pop("response_type", None)
    respond(replace_original=True, **reply)


def _mark_item(deps: Deps, who: Who, raw_id: str, status: str, now: datetime,
               session: Session | None = None) -> tuple[ActionItem | None, str | None]:
    """Set an item's status if `who` may; the item, or the catalogue key of the refusal
    (refusals are audited)."""
    if session is None:
        with deps.sessions() as own:
            return _mark_item(deps, who, raw_id, status, now, own)
    item_id = row_id(raw_id)
    item = actions.get(session, item_id=item_id) if item_id else None
    if item is None or item.workspace_id != who.workspace_id:
        return None, "act.gone"
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    if not _may_edit(actor, item):
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="actions.mark", target=item.owner_user_id, outcome="denied",
                     now=now, detail=f"item {item.id}")
        return None, "perm.not_your_action"
    if item.status != status:
        actions.set_status(session, item=item, status=status, by=who.user_id, now=now)
        if who.user_id not in (item.owner_user_id, item.rep_user_id):
            audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                         action=f"actions.{status}", target=item.owner_user_id,
                         outcome="done", now=now, detail=f"item {item.id}")
    return item, None
