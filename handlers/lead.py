"""/lead: the team's customers and leads: add, list, move between stages, lose, re-tier,
hand over. Logs that name a customer touch its lead too (handlers/log.py)."""

from __future__ import annotations

import json
import re
from datetime import datetime

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Usage
from bot.i18n import Raw, t
from bot.permissions import decide
from bot.render import lead as render
from bot.render.blocks import notice_blocks
from bot.services.idle import team_waiting
from bot.slack.text import row_id, tokens, too_long, user_id
from store import audit, customers, teams
from store.models import STAGES, TIERS, Customer, Team, max_length

COMMAND = "/lead"
PICK = re.compile(rf"^{render.PICK_ACTION}")
STAGE_WORDS = {
    **{s: s for s in STAGES}, "new": "lead", "线索": "lead", "已联系": "contacted",
    "联系": "contacted", "初步接触": "contacted", "需求": "discovery", "需求挖掘": "discovery",
    "演示": "demo", "方案演示": "demo", "方案": "proposal", "报价": "proposal",
    "方案报价": "proposal", "谈判": "negotiation", "商务谈判": "negotiation", "赢单": "won",
    "成交": "won", "签约": "won", "输单": "lost", "丢单": "lost", "流失": "lost",
}
TIER_WORDS = {"key": "key", "vip": "key", "重点": "key", "重点客户": "key",
              "standard": "standard", "normal": "standard", "普通": "standard",
              "普通客户": "standard"}
SOURCE_WORDS = ("from", "source", "via", "来源", "来自")


def handle_lead(ack: Ack, command: dict, client: WebClient, *, deps: Deps) -> None:
    who = deps.who(client, command)
    ack(**run(deps, who, tokens(command.get("text") or "")))


def handle_pick(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient, *,
                deps: Deps) -> None:
    """The person picked which customer they meant: finish what they asked (a usage error
    replaces the question too: bot/app.py)."""
    ack()
    who = deps.who(client, body)
    request = pick_request(action.get("value"))
    if request is None:
        respond(text=t(who.lang, "errors.stale"), response_type="ephemeral",
                replace_original=False)
        return
    args, customer_id = request
    respond(replace_original=True, **run(deps, who, args, customer_id=customer_id))


LISTENERS = [
    ("command", COMMAND, handle_lead),
    ("action", PICK, handle_pick),
]


def pick_request(value: object) -> tuple[list[str], int] | None:
    """A 'which customer?' button's value (render.pick_blocks): the command's words and the
    customer picked; None if it is not one (cut short, from an older version, or forged)."""
    try:
        request = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    args, customer_id = request.get("args"), row_id(request.get("id"))
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return None
    return (args, customer_id) if customer_id is not None else None


def run(deps: Deps, who: Who, args: list[str], customer_id: int | None = None) -> dict:
    """The private reply to `/lead ARGS`; raises Usage when the words are not understood."""
    lang = who.lang
    sub = args[0].lower() if args else "help"
    with deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
        if sub in ("help", "帮助", "?"):
            return notice_blocks(t(lang, "lead.help"))
        if team is None:
            return notice_blocks(t(lang, "lead.no_team"))
        if sub in ("list", "列表"):
            return list_leads(session, deps, who, team, args[1:])
        if sub in ("add", "新增", "添加"):
            return notice_blocks(add_lead(session, deps, who, team, args[1:]))
        if sub not in EDITS:
            raise Usage("lead.unknown", word=args[0])
        return edit_lead(session, deps, who, team, sub, args, customer_id)


def add_lead(session: Session, deps: Deps, who: Who, team: Team, args: list[str]) -> str:
    """`/lead add NAME [tier] [source]`: a tier word (key, 重点) and a source (`from …`, or
    one of the configured source words: referral, 展会 …) after the name, in any order."""
    name_words: list[str] = []
    source_words: list[str] = []
    tier = "standard"
    target = name_words
    i = 0
    while i < len(args):
        word = args[i].lower()
        source = _source_at(args, i, deps.settings.lead_sources) if name_words else 0
        if word in SOURCE_WORDS:
            target = source_words
        elif word in TIER_WORDS and name_words:
            tier = TIER_WORDS[word]
        elif source and target is name_words:
            source_words.extend(args[i:i + source])
            target = source_words
            i += source
            continue
        else:
            target.append(args[i])
        i += 1
    name, source = " ".join(name_words).strip(), " ".join(source_words)
    if not name:
        raise Usage("lead.usage_add")
    for text, field in ((name, "name"), (source, "source")):
        if problem := too_long(text, max_length(Customer, field)):
            raise Usage("errors.text_too_long", **problem)
    found = customers.match(session, team_id=team.id, name=name)
    if found.exact is not None:
        return t(who.lang, "lead.exists", name=found.exact.name,
                 stage=Raw(t(who.lang, f"stages.{found.exact.stage}")),
                 owner=Raw(f"<@{found.exact.owner_user_id}>"))
    customer = customers.create(session, workspace_id=who.workspace_id, team_id=team.id,
                                name=name, owner_user_id=who.user_id, now=deps.clock.now(),
                                source=source or None, tier=tier,
                                by_user_id=who.user_id)
    similar = [c.name for c in found.candidates]
    return t(who.lang, "lead.added", name=customer.name, tier=Raw(t(who.lang, f"tiers.{tier}")),
             source=customer.source or "", similar=", ".join(similar))


def _source_at(args: list[str], i: int, sources: tuple[str, ...]) -> int:
    """How many words at `i` name a lead source from the list (0: none): "trade show" is 2."""
    for width in (3, 2, 1):
        if len(args) >= i + width and " ".join(args[i:i + width]).casefold() in sources:
            return width
    return 0


def list_leads(session: Session, deps: Deps, who: Who, team: Team, args: list[str]) -> dict:
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    scope = args[0].lower() if args else ""
    owner: str | None = who.user_id
    if scope in ("all", "team", "全部", "团队") or (not scope and team.id in actor.manages):
        owner = None
    elif scope and user_id(args[0]):
        owner = user_id(args[0])
        decision = decide(actor, "member.view", owner=owner,
                          target_teams=teams.teams_of(session, workspace_id=who.workspace_id,
                                                      user_id=owner))
        if not decision.allowed:
            _audit(session, deps, who, "lead.list", owner, "denied", decision.reason)
            return notice_blocks(t(who.lang, decision.reason))
    elif scope and scope not in ("mine", "我的"):
        raise Usage("lead.usage_list", word=args[0])
    if owner is None and team.id not in actor.manages and not actor.is_admin:
        owner = who.user_id  # reps see their own leads; the team's are the managers'
    rows = customers.list_for(session, team_id=team.id, owner_user_id=owner)
    now = deps.clock.now()
    idle = {lead.id: lead.hours for lead in team_waiting(session, team, now)}
    return render.lead_list_blocks(who.lang, rows=rows, now=now, whose=owner, team=team.name,
                                   idle=idle)


def _find(session: Session, who: Who, team: Team, args: list[str], tail: int,
          customer_id: int | None) -> tuple[Customer | None, list[str], dict | None]:
    """The customer named at the start of `args` (the longest run of words that is a
    customer's name), the words after it, or buttons to pick when the name is ambiguous."""
    if customer_id is not None:
        customer = customers.get(session, team_id=team.id, customer_id=customer_id)
        return customer, args[len(args) - tail:] if tail else [], None
    for end in range(len(args) - tail, 0, -1):
        found = customers.match(session, team_id=team.id, name=" ".join(args[:end]))
        if found.exact is not None:
            return found.exact, args[end:], None
    name_end = max(1, len(args) - tail) if tail else 1
    found = customers.match(session, team_id=team.id, name=" ".join(args[:name_end]))
    if found.candidates:
        return None, [], {"candidates": found.candidates, "name": " ".join(args[:name_end])}
    return None, [], {"candidates": (), "name": " ".join(args[:name_end])}


def edit_lead(session: Session, deps: Deps, who: Who, team: Team, sub: str,
              args: list[str], customer_id: int | None) -> dict:
    lang, words = who.lang, args[1:]
    op = EDITS[sub]
    if len(words) < (2 if op != "show" else 1):
        raise Usage(f"lead.usage_{op}")
    tail = {"stage": 1, "tier": 1, "owner": 1, "lost": 0, "show": 0}[op]
    customer, rest, pick = _find(session, who, team, words, tail, customer_id)
    if customer is None:
        if pick and pick["candidates"]:
            return render.pick_blocks(lang, name=pick["name"], candidates=pick["candidates"],
                                      args=args)
        raise Usage("lead.not_found", name=pick["name"] if pick else " ".join(words))
    if op == "show":
        return render.lead_detail_blocks(lang, customer=customer,
                                         changes=customers.history(session, customer.id),
                                         now=deps.clock.now())
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    decision = decide(actor, "lead.edit", team_id=team.id, owner=customer.owner_user_id)
    if not decision.allowed:
        _audit(session, deps, who, f"lead.{op}", customer.name, "denied", decision.reason)
        return notice_blocks(t(lang, decision.reason))
    now = deps.clock.now()
    reply = EDIT_FUNCTIONS[op](session, who, customer, rest, now)
    if customer.owner_user_id not in (None, who.user_id) or op == "owner":
        _audit(session, deps, who, f"lead.{op}", customer.name, "done", " ".join(rest))
    return notice_blocks(reply)


def _stage(session: Session, who: Who, customer: Customer, rest: list[str],
           now: datetime) -> str:
    stage = STAGE_WORDS.get(rest[0].lower()) if rest else None
    if stage is None:
        raise Usage("lead.bad_stage", word=rest[0] if rest else "", name=customer.name)
    if stage == "lost":
        raise Usage("lead.usage_lost")
    moved = customers.set_stage(session, customer, stage=stage, now=now, by_user_id=who.user_id)
    key = "lead.moved" if moved else "lead.already"
    return t(who.lang, key, name=customer.name, stage=Raw(t(who.lang, f"stages.{stage}")))


def _lost(session: Session, who: Who, customer: Customer, rest: list[str],
          now: datetime) -> str:
    reason = " ".join(rest).strip()
    if not reason:
        raise Usage("lead.usage_lost")
    if problem := too_long(reason, max_length(Customer, "lost_reason")):
        raise Usage("errors.text_too_long", **problem)
    customers.set_stage(session, customer, stage="lost", now=now, by_user_id=who.user_id,
                        lost_reason=reason)
    return t(who.lang, "lead.lost", name=customer.name, reason=reason)


def _tier(session: Session, who: Who, customer: Customer, rest: list[str],
          now: datetime) -> str:
    tier = TIER_WORDS.get(rest[0].lower()) if rest else None
    if tier not in TIERS:
        raise Usage("lead.usage_tier")
    customers.set_tier(session, customer, tier=tier)
    return t(who.lang, "lead.tiered", name=customer.name, tier=Raw(t(who.lang, f"tiers.{tier}")))


def _owner(session: Session, who: Who, customer: Customer, rest: list[str],
           now: datetime) -> str:
    owner = user_id(rest[0]) if rest else None
    if owner is None:
        raise Usage("lead.usage_owner")
    customers.set_owner(session, customer, owner_user_id=owner)
    return t(who.lang, "lead.owned", name=customer.name, owner=Raw(f"<@{owner}>"))


EDITS = {"stage": "stage", "阶段": "stage", "lost": "lost", "输单": "lost", "丢单": "lost",
         "tier": "tier", "级别": "tier", "owner": "owner", "负责人": "owner",
         "show": "show", "查看": "show"}
EDIT_FUNCTIONS = {"stage": _stage, "lost": _lost, "tier": _tier, "owner": _owner}


def _audit(session: Session, deps: Deps, who: Who, action: str, target: str, outcome: str,
           detail: str) -> None:
    audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                 action=action, target=target, outcome=outcome, detail=detail,
                 now=deps.clock.now())
