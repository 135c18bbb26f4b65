"""/target: targets and attainment with the ±15% band; managers adjust the rolling forecast,
always with a reason (seed 001 §一2)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.periods import month_period, parse_period, quarter_period
from bot.deps import Deps, Who
from bot.errors import Usage
from bot.grammar.amounts import parse_amount
from bot.i18n import Raw, format_period, t
from bot.permissions import decide
from bot.render import score as render
from bot.render.blocks import notice_blocks
from bot.scoring.facts import Period
from bot.services.reports import rules_for, team_report
from bot.slack.text import tokens, too_long, user_id
from handlers.access import no_card
from store import audit, targets, teams
from store.models import TargetRow, max_length

METRIC_WORDS = {
    "sales": "sales", "销售额": "sales", "new_sales": "sales_new", "sales_new": "sales_new",
    "新客销售额": "sales_new", "repeat": "sales_repeat", "sales_repeat": "sales_repeat",
    "老客销售额": "sales_repeat", "new": "new_customers", "new_customers": "new_customers",
    "新客户": "new_customers", "collection": "collection_rate",
    "collection_rate": "collection_rate", "回款率": "collection_rate",
    "conversion": "lead_conversion", "lead_conversion": "lead_conversion",
    "转化率": "lead_conversion", "touches": "touches", "触达": "touches"}
TEAM_WORDS = ("team", "团队")
# After `team`: a default for every month from now on, not only the current one.
EVERY_MONTH_WORDS = ("month", "monthly", "每月", "每个月")
MAX_TARGET = Decimal(10) ** 14  # targets are Numeric(18, 4): 14 digits before the point


def handle_target(ack: Ack, command: dict, respond: Respond, client: WebClient, *,
                  deps: Deps) -> None:
    who = deps.who(client, command)
    args = tokens(command.get("text") or "")
    sub = args[0].lower() if args else "show"
    # A usage error is raised before the ack (bot/app.py answers it in the HTTP response).
    if sub in ("help", "帮助", "?"):
        ack(**notice_blocks(t(who.lang, "target.help")))
    elif sub in ("set", "设置", "clear", "清除"):
        ack(**notice_blocks(change(deps, who, sub in ("set", "设置"), args[1:])))
    else:
        subject, period = show_args(deps, who, args[1:] if sub in ("show", "查看") else args)
        ack()  # showing attainment computes the period: answer after the ack
        respond(**show(deps, who, subject, period))


LISTENERS = [("command", "/target", handle_target)]


def _value(metric: str, text: str) -> Decimal:
    if metric in ("collection_rate", "lead_conversion"):
        try:
            value = Decimal(text.rstrip("%")) / (100 if text.endswith("%") or
                                                 Decimal(text.rstrip("%")) > 1 else 1)
        except InvalidOperation:
            raise Usage("target.bad_rate", word=text) from None
        if not 0 < value <= 1:
            raise Usage("target.bad_rate", word=text)
        return value
    value = parse_amount(text)
    if value is None or not 0 < value < MAX_TARGET:
        raise Usage("target.bad_value", word=text)
    return value


def change(deps: Deps, who: Who, setting: bool, args: list[str]) -> str:
    """`set <@rep|team> <metric> <value> [period] <reason…>` or `clear <@rep|team> <metric>
    [period]`. `team` sets each rep's default (their own target overrides it); `team … month`
    a default for every month from now on. A rep's own target needs a reason (it adjusts the
    forecast); a team default may come without one."""
    need = 3 if setting else 2
    team_name = None  # `team East sales 500k month`: which of the manager's teams
    if len(args) > need and args[0].lower() in TEAM_WORDS and \
            args[1].lower() not in METRIC_WORDS:
        team_name, args = args[1], [args[0], *args[2:]]
    if len(args) < need:
        raise Usage("target.usage_set" if setting else "target.usage_clear")
    whom = args[0]
    metric = METRIC_WORDS.get(args[1].lower())
    if metric is None:
        raise Usage("target.bad_metric", word=args[1])
    value = _value(metric, args[2]) if setting else None
    rest = args[need:]
    today = who.today(deps.clock)
    for_team = whom.lower() in TEAM_WORDS
    every_month = for_team and bool(rest) and rest[0].lower() in EVERY_MONTH_WORDS
    period = parse_period(rest[0], today) if rest and not every_month else None
    if period is not None or every_month:
        rest = rest[1:]
    period = period or quarter_period(today)
    label = targets.EVERY_MONTH if every_month else period.label
    reason = " ".join(rest).strip()
    if problem := too_long(reason, max_length(TargetRow, "reason")):
        raise Usage("errors.text_too_long", **problem)
    if setting and not reason and not for_team:
        raise Usage("target.need_reason", example=f"/target set {whom} {args[1]} {args[2]} "
                    f"{period.label} …")
    with deps.sessions() as session:
        team, subject = _whose(session, who, whom, team_name,
                               example=" ".join(["/target", "set" if setting else "clear",
                                                 *args]))
        refusal = _refusal(session, who, team, subject)
        if refusal:
            audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                         action="target.set" if setting else "target.clear",
                         target=subject or team.name, outcome="denied", now=deps.clock.now(),
                         detail=refusal)
            return t(who.lang, refusal)
        if setting:
            before = targets.set_target(session, team_id=team.id, user_id=subject, metric=metric,
                                        period=label, value=value, reason=reason,
                                        by_user_id=who.user_id, now=deps.clock.now())
        else:
            before = targets.clear_target(session, team_id=team.id, user_id=subject,
                                          metric=metric, period=label) or None
            if subject == targets.TEAM_DEFAULT:  # an older team-wide target goes too
                before = targets.clear_target(session, team_id=team.id, user_id=targets.TEAM,
                                              metric=metric, period=label) or before
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="target.set" if setting else "target.clear",
                     target=team.name if for_team else subject, outcome="done",
                     now=deps.clock.now(),
                     detail=f"{metric} {label} {value or ''} {reason}".strip())
    shown = render.metric_value(who.lang, metric, value, team.currency) if setting else ""
    return t(who.lang, "target.saved" if setting else "target.cleared",
             whom=team.name if for_team else Raw(f"<@{subject}>"), team=for_team,
             metric=Raw(t(who.lang, f"score.metric_{metric}")), value=Raw(shown),
             period=(t(who.lang, "target.every_month") if every_month
                     else format_period(period.label, who.lang)), reason=reason,
             replaced=before is not None)


def _whose(session: Session, who: Who, word: str, team_name: str | None,
           example: str):  # noqa: ANN202
    if word.lower() in TEAM_WORDS:
        team = _team_named(session, who, team_name, example)
        subject = targets.TEAM_DEFAULT
    else:
        subject = user_id(word)
        if subject is None:
            raise Usage("target.usage_set")
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=subject)
    if team is None:
        raise Usage("target.no_team")
    return team, subject


def _team_named(session: Session, who: Who, name: str | None, example: str):  # noqa: ANN202
    """The team a `team` target is for: the one named, else the one team its setter runs. A
    manager of several teams names one rather than have Pacer guess (`example` is what they
    typed, without the name)."""
    if name:
        try:
            return teams.get_team(session, workspace_id=who.workspace_id, name=name)
        except teams.TeamError:
            raise Usage("target.no_such_team", name=name) from None
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    every = teams.all_teams(session, workspace_id=who.workspace_id)
    if len(actor.manages) > 1:
        _ask_which("target.which_team",
                   sorted(found.name for found in every if found.id in actor.manages), example)
    own = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    if own is None and every:  # e.g. an admin on no team: any team may be meant
        _ask_which("target.pick_team", sorted(found.name for found in every), example)
    if own is None:
        raise Usage("target.no_teams_yet")
    return own


def _ask_which(key: str, names: list[str], example: str) -> None:
    first, rest = example.split(" team ", 1) if " team " in example else (example, "")
    raise Usage(key, teams=", ".join(names),
                example=f"{first} team {_as_typed(names[0])} {rest}".strip())


def _as_typed(name: str) -> str:
    return f'"{name}"' if " " in name else name  # a name with spaces goes in quotes


def _refusal(session: Session, who: Who, team, subject: str) -> str | None:  # noqa: ANN001
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    if subject == targets.TEAM_DEFAULT:
        decision = decide(actor, "team.edit", team_id=team.id)
    else:
        decision = decide(actor, "member.rate", owner=subject, target_teams=teams.teams_of(
            session, workspace_id=who.workspace_id, user_id=subject))
    return None if decision.allowed else decision.reason


def show_args(deps: Deps, who: Who, args: list[str]) -> tuple[str, Period]:
    """`[@rep] [period]`: whose targets, and for which period (this month by default: the
    month card's targets, as they were set)."""
    today = who.today(deps.clock)
    subject, period = who.user_id, month_period(today)
    for word in args:
        if (uid := user_id(word)) is not None:
            subject = uid
        elif (found := parse_period(word, today)) is not None:
            period = found
        else:
            raise Usage("target.usage_show", word=word)
    return subject, period


def show(deps: Deps, who: Who, subject: str, period: Period) -> dict:
    with deps.sessions() as session:
        actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
        decision = decide(actor, "member.view", owner=subject, target_teams=teams.teams_of(
            session, workspace_id=who.workspace_id, user_id=subject))
        if not decision.allowed:
            return notice_blocks(t(who.lang, decision.reason))
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=subject)
        if team is None:
            return notice_blocks(t(who.lang, "target.no_team"))
        if team.id in teams.actor(session, workspace_id=who.workspace_id,
                                  user_id=subject).manages:  # not a rep: no targets
            return no_card(session, who, team, subject, period, command="/target")
        report = team_report(session, team=team, period=period, now=deps.clock.now(),
                             rules=rules_for(session, team.id), user_ids=[subject])
    rep = report.reps.get(subject)
    if rep is None:
        return notice_blocks(t(who.lang, "score.not_yet", user=Raw(f"<@{subject}>"),
                               period=format_period(period.label, who.lang)))
    return render.targets_blocks(who.lang, report=report, rep=rep)
