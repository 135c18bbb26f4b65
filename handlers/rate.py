"""/rate: managers record customer satisfaction and compliance deductions; teammates give
anonymous collaboration ratings in a form (seed 003: 团队协作贡献 由团队成员匿名评价)."""

from __future__ import annotations

from datetime import date

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.periods import parse_period, quarter_period
from bot.deps import Deps, Who
from bot.errors import Usage
from bot.i18n import Raw, format_number, format_period, t
from bot.permissions import decide
from bot.render import rate as render
from bot.render.blocks import notice_blocks
from bot.slack.text import tokens, too_long, user_id
from handlers.forms import metadata, team_id_for
from store import audit, ratings, teams
from store.models import Rating, max_length

COMMAND = "/rate"
KIND_WORDS = {"satisfaction": "satisfaction", "csat": "satisfaction", "满意度": "satisfaction",
              "客户满意度": "satisfaction", "compliance": "compliance", "合规": "compliance",
              "合规性": "compliance"}


def handle_rate(ack: Ack, command: dict, client: WebClient, *, deps: Deps) -> None:
    who = deps.who(client, command)
    args = tokens(command.get("text") or "")
    if args and args[0].lower() in ("help", "帮助", "?"):
        ack(**notice_blocks(t(who.lang, "rate.help")))
        return
    if len(args) <= 1:  # "/rate" or "/rate @teammate": the anonymous form
        ratee = user_id(args[0]) if args else None
        if args and ratee is None:
            raise Usage("rate.usage")
        ack()
        open_peer_form(deps, client, who, command["trigger_id"], ratee)
        return
    ack(**notice_blocks(manager_rating(deps, who, args)))


def handle_peer_submit(ack: Ack, body: dict, view: dict, client: WebClient, *,
                       deps: Deps) -> None:
    who = deps.who(client, body)
    meta = metadata(view)
    values = view.get("state", {}).get("values", {})
    ratee = (values.get("ratee", {}).get("value") or {}).get("selected_user")
    option = (values.get("score", {}).get("value") or {}).get("selected_option") or {}
    errors = {}
    with deps.sessions() as session:
        team_id = team_id_for(session, who, meta)
        period = _form_period(meta.get("period"), who.today(deps.clock))
        team_ids = teams.teams_of(session, workspace_id=who.workspace_id,
                                  user_id=ratee) if isinstance(ratee, str) else frozenset()
        if not ratee:
            errors["ratee"] = t(who.lang, "rate.peer_pick")
        elif ratee == who.user_id:
            errors["ratee"] = t(who.lang, "rate.peer_self")
        elif team_id is None or team_id not in team_ids:
            errors["ratee"] = t(who.lang, "rate.peer_not_team")
        if option.get("value") not in ("1", "2", "3", "4", "5"):
            errors["score"] = t(who.lang, "rate.peer_score")
        if errors:
            ack(response_action="errors", errors=errors)
            return
        key = ratings.rater_key(deps.settings.rating_key, team_id=team_id,
                                ratee=ratee, period=period, rater=who.user_id)
        saved = ratings.rate_peer(session, team_id=team_id, ratee=ratee, period=period,
                                  key=key, score=int(option["value"]))
    ack(response_action="update", view=render.peer_thanks_view(
        who.lang, ratee=ratee, period=period, replaced=saved.replaced))


LISTENERS = [
    ("command", COMMAND, handle_rate),
    ("view", render.PEER_CALLBACK, handle_peer_submit),
]


def open_peer_form(deps: Deps, client: WebClient, who: Who, trigger_id: str,
                   ratee: str | None) -> None:
    with deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    if team is None:
        client.chat_postEphemeral(channel=who.user_id, user=who.user_id,
                                  text=t(who.lang, "rate.no_team"))
        return
    period = quarter_period(who.today(deps.clock)).label
    client.views_open(trigger_id=trigger_id, view=render.peer_view(
        who.lang, team_id=team.id, period=period, ratee=ratee))


def _form_period(label: object, today: date) -> str:
    """The quarter the form was opened in (its metadata), unless that is not a quarter or
    has not begun; then this quarter."""
    period = parse_period(label, today) if isinstance(label, str) else None
    if period is None or period.kind != "quarter" or period.start > today:
        period = quarter_period(today)
    return period.label


def manager_rating(deps: Deps, who: Who, args: list[str]) -> str:
    """`/rate @rep satisfaction 88 [period] [note]` · `/rate @rep compliance 5 [note]`."""
    rep = user_id(args[0])
    kind = KIND_WORDS.get(args[1].lower()) if len(args) > 1 else None
    if rep is None or kind is None or len(args) < 3:
        raise Usage("rate.usage")
    try:
        value = abs(float(args[2].rstrip("%")))
    except ValueError as exc:
        raise Usage("rate.bad_value", word=args[2]) from exc
    if not value <= 100:  # also NaN, which float() reads from "nan"
        raise Usage("rate.bad_value", word=args[2])
    today = who.today(deps.clock)
    rest = args[3:]
    period = parse_period(rest[0], today) if rest else None
    if period is not None:
        rest = rest[1:]
    label = (period or quarter_period(today)).label
    if problem := too_long(" ".join(rest), max_length(Rating, "note")):
        raise Usage("errors.text_too_long", **problem)
    with deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=rep)
        refusal = _refusal(session, who, rep)
        if refusal or team is None:
            reason = refusal or "perm.not_your_rep"
            audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                         action=f"rate.{kind}", target=rep, outcome="denied",
                         now=deps.clock.now(), detail=reason)
            return t(who.lang, reason)
        replaced = ratings.rate(session, team_id=team.id, user_id=rep, period=label,
                                kind=kind, value=value, note=" ".join(rest),
                                by_user_id=who.user_id, now=deps.clock.now())
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action=f"rate.{kind}", target=rep, outcome="done", now=deps.clock.now(),
                     detail=f"{label} {value:g}")
    return t(who.lang, f"rate.saved_{kind}", user=Raw(f"<@{rep}>"),
             value=format_number(value, who.lang, decimals=2),
             period=format_period(label, who.lang), replaced=replaced)


def _refusal(session: Session, who: Who, rep: str) -> str | None:
    """Why `who` may not rate `rep` (a catalogue key), or None if they may."""
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    decision = decide(actor, "member.rate", owner=rep,
                      target_teams=teams.teams_of(session, workspace_id=who.workspace_id,
                                                  user_id=rep))
    return None if decision.allowed else decision.reason
