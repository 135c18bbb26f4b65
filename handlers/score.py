"""/scorecard and /leaderboard: a period's numbers, privately or in the team's channel."""

from __future__ import annotations

import logging

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.calendar.periods import month_period, parse_period, previous
from bot.deps import Deps, Who
from bot.errors import Usage
from bot.i18n import Raw, format_period, t
from bot.permissions import decide
from bot.render import score as render
from bot.render.blocks import notice_blocks
from bot.render.charts import score_trend_png
from bot.scoring.leaderboard import in_public
from bot.services.reports import recommendations, rules_for, team_report
from bot.slack.text import tokens, user_id
from handlers.access import no_card
from store import audit, teams
from store.models import Team

log = logging.getLogger(__name__)
BOARD_METRICS = {"points": "points", "积分": "points", "sales": "sales", "销售额": "sales",
                 "new": "new", "新客户": "new", "touches": "touches", "触达": "touches"}
CHART_MONTHS = 6


def handle_scorecard(ack: Ack, command: dict, respond: Respond, client: WebClient, *,
                     deps: Deps) -> None:
    who = deps.who(client, command)
    subject, period = _scorecard_args(deps, who, tokens(command.get("text") or ""))
    if subject is None:
        ack(**notice_blocks(t(who.lang, "score.help")))
        return
    # A scorecard takes a few queries over two periods: acknowledge first, answer after.
    ack()
    with deps.sessions() as session:
        reply, team = scorecard_reply(session, deps, who, subject, period)
    respond(**reply)
    if team is not None:
        send_chart(deps, client, who, team, subject, period)


def handle_leaderboard(ack: Ack, command: dict, respond: Respond, client: WebClient, *,
                       deps: Deps) -> None:
    who = deps.who(client, command)
    args = tokens(command.get("text") or "")
    today = who.today(deps.clock)
    period, metric = month_period(today), "points"
    named = []  # words that are neither a metric nor a period: a team's name, perhaps
    for word in args:
        if word.lower() in ("help", "帮助", "?"):
            ack(**notice_blocks(t(who.lang, "score.help")))
            return
        if word.lower() in BOARD_METRICS:
            metric = BOARD_METRICS[word.lower()]
        elif (found := parse_period(word, today)) is not None:
            period = found
        else:
            named.append(word)
    channel = command.get("channel_id")
    with deps.sessions() as session:
        # Which team, before the ack: a word that names none is answered in the ack itself.
        team = _board_team(session, who, channel, named,
                           typed=[w for w in args if w not in named])
        ack()
        if team is None:
            respond(**notice_blocks(t(who.lang, "score.not_on_team",
                                      user=Raw(f"<@{who.user_id}>"))))
            return
        rules = rules_for(session, team.id)
        report = team_report(session, team=team, period=period, now=deps.clock.now(),
                             rules=rules)
    in_channel = channel == team.channel_id
    board = report.board(metric, rules)
    respond(**render.leaderboard_blocks(who.lang, report=report,
                                        board=in_public(board) if in_channel else board,
                                        in_channel=in_channel))


def _board_team(session: Session, who: Who, channel: str | None, named: list[str], *,
                typed: list[str]) -> Team | None:
    """Whose board `/leaderboard` shows: the team named (one of the asker's, the channel's,
    or any for an admin); else the channel's team, narrowed to the asker's own where several
    teams post to one channel; else the asker's team, a rep's before a managed one. Where
    several remain it asks rather than guess (a manager of two teams sharing a channel got
    the first team's board, an empty one)."""
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    every = teams.all_teams(session, workspace_id=who.workspace_id)
    if named:
        name = " ".join(named)
        team = next((t for t in every if t.name.casefold() == name.casefold()), None)
        if team is None:
            raise Usage("score.board_usage", word=named[0])
        if not (actor.is_admin or team.id in actor.teams or team.channel_id == channel):
            raise Usage("score.board_not_yours", team=team.name)
        return team
    here = [t for t in every if channel and t.channel_id == channel]
    candidates = [t for t in here if t.id in actor.teams] or here
    if not here:
        mine = [t for t in every if t.id in actor.teams]
        candidates = [t for t in mine if t.id not in actor.manages] or mine
    if len(candidates) > 1:
        names = [t.name for t in candidates]
        quoted = f'"{names[0]}"' if " " in names[0] else names[0]
        raise Usage("score.board_which", teams=", ".join(names),
                    example=" ".join(["/leaderboard", *typed, quoted]))
    return candidates[0] if candidates else None


LISTENERS = [
    ("command", "/scorecard", handle_scorecard),
    ("command", "/leaderboard", handle_leaderboard),
]


def _scorecard_args(deps: Deps, who: Who, args: list[str]):  # noqa: ANN202
    today = who.today(deps.clock)
    subject, period = who.user_id, month_period(today)
    for word in args:
        if word.lower() in ("help", "帮助", "?"):
            return None, period
        if (uid := user_id(word)) is not None:
            subject = uid
        elif (found := parse_period(word, today)) is not None:
            period = found
        else:
            raise Usage("score.usage", word=word)
    return subject, period


def _viewer(session: Session, who: Who, subject: str):  # noqa: ANN202
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    subject_teams = teams.teams_of(session, workspace_id=who.workspace_id, user_id=subject)
    decision = decide(actor, "member.view", owner=subject, target_teams=subject_teams)
    return actor, decision


def scorecard_reply(session: Session, deps: Deps, who: Who, subject: str,
                    period) -> tuple[dict, Team | None]:  # noqa: ANN001
    actor, decision = _viewer(session, who, subject)
    if not decision.allowed:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="scorecard.view", target=subject, outcome="denied",
                     now=deps.clock.now(), detail=decision.reason)
        return notice_blocks(t(who.lang, decision.reason)), None
    team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=subject)
    if team is None:
        return notice_blocks(t(who.lang, "score.not_on_team", user=Raw(f"<@{subject}>"))), None
    rules = rules_for(session, team.id)
    now = deps.clock.now()
    report = team_report(session, team=team, period=period, now=now, rules=rules)
    before = team_report(session, team=team, period=previous(period), now=now, rules=rules)
    rep = report.reps.get(subject)
    if rep is None:
        return no_card(session, who, team, subject, period, command="/scorecard"), None
    manager = actor.is_admin or team.id in actor.manages
    recs = recommendations(session, team=team, user_id=subject, period=period, now=now,
                           rules=rules) if manager else ()
    return render.scorecard_blocks(who.lang, report=report, rep=rep, before=before,
                                   viewer_is_manager=manager, recommendations=recs,
                                   rules=rules), team


def send_chart(deps: Deps, client: WebClient, who: Who, team: Team, subject: str,
               period) -> None:  # noqa: ANN001
    """The six months up to the period as a picture, in the viewer's DM (files v2)."""
    month = month_period(period.end if period.kind != "year" else period.end)
    months = [month]
    for _ in range(CHART_MONTHS - 1):
        months.insert(0, previous(months[0]))
    mine, average = [], []
    with deps.sessions() as session:
        rules = rules_for(session, team.id)
        for m in months:
            report = team_report(session, team=team, period=m, now=deps.clock.now(), rules=rules)
            rep = report.reps.get(subject)
            mine.append(rep.card.total if rep else None)
            average.append(report.compare(subject, "total", None).team_average)
    png = score_trend_png([m.label for m in months],
                          [mine, [float(a) if a is not None else None for a in average]])
    try:
        dm = client.conversations_open(users=who.user_id)["channel"]["id"]
        client.files_upload_v2(channel=dm, file=png, filename=f"pacer-{subject}-{month.label}.png",
                               title=format_period(month.label, who.lang),
                               initial_comment=t(who.lang, "score.chart",
                                                 user=Raw(f"<@{subject}>")))
    except SlackApiError as exc:  # the numbers were sent; the picture is a bonus
        log.warning("could not upload the scorecard chart: %s", exc.response.get("error"))
