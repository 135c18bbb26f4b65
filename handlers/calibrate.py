"""/calibrate: the bi-weekly calibration 1:1s (seed 001 §三2) — see the next one, move it,
start one now, prepare (the rep's four questions), record minutes, look back.

    /calibrate                     my calibrations (a manager: each rep's)
    /calibrate @rep                one rep's (the rep, their managers, admins)
    /calibrate pack [@rep]         the data pack as it stands now
    /calibrate move [@rep] WHEN    move the next one (or, with no WHEN, a form)
    /calibrate now @rep            start one now (managers)
    /calibrate minutes [@rep]      record the minutes (managers)
    /calibrate skip [@rep] [why]   mark the one just missed (no minutes), or else the
                                   next one, as not happened (managers)
    /calibrate history [@rep]      past calibrations and their action items

The buttons and forms (the four questions, minutes, a move, a skip) are in
handlers/calibrate_forms.py; who may do what in handlers/access.py; the calibrations
themselves in bot/services/calibration.py, and the DMs in bot/jobs/calibration.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Usage
from bot.grammar.when import WhenError, parse_moment
from bot.i18n import Raw, t
from bot.jobs.calibration import notify_moved, send_start_packs
from bot.render import calibrate as render
from bot.render.blocks import notice_blocks
from bot.services import calibration as cal
from bot.slack.text import tokens, user_id
from handlers.access import require, require_manager, require_party
from store import actions, teams

COMMAND = "/calibrate"
VERBS = {
    **dict.fromkeys(("move", "reschedule", "改期", "改时间", "调整"), "move"),
    **dict.fromkeys(("now", "start", "现在", "开始", "立即"), "now"),
    **dict.fromkeys(("minutes", "record", "纪要", "记录"), "minutes"),
    **dict.fromkeys(("skip", "missed", "cancel", "跳过", "未进行", "取消"), "skip"),
    **dict.fromkeys(("history", "past", "历史", "以往"), "history"),
    **dict.fromkeys(("pack", "data", "prep", "数据", "数据包"), "pack"),
    **dict.fromkeys(("help", "?", "帮助"), "help"),
    **dict.fromkeys(("show", "next", "查看", "下次"), "show"),
}
# `/calibrate minutes` (no calibration named) takes the next one only from an hour before.
EARLIEST_MINUTES = timedelta(hours=1)
HISTORY = 10
HISTORY_SPAN = timedelta(weeks=26)


@dataclass(frozen=True)
class Request:
    verb: str
    rep: str | None
    rest: str


def parse_calibrate(text: str) -> Request:
    """The verb, the rep mentioned (if any) and the rest (when, or a reason)."""
    words = tokens(text)
    verb = "show"
    if words and words[0].lower() in VERBS:
        verb = VERBS[words.pop(0).lower()]
    rep = None
    if words and (found := user_id(words[0])) is not None:
        rep = found
        words.pop(0)
    rest = " ".join(words)
    if verb == "show" and rest:
        raise Usage("calx.unknown", word=words[0])
    if verb in ("now", "history", "pack", "minutes") and rest:
        raise Usage("calx.extra", verb=verb, word=words[0])
    return Request(verb, rep, rest)


# ----------------------------------------------------------------- the command

def handle_calibrate(ack: Ack, command: dict, respond: Respond, client: WebClient, *,
                     deps: Deps) -> None:
    who = deps.who(client, command)
    request = parse_calibrate(command.get("text") or "")
    if request.verb == "help":
        ack(**notice_blocks(t(who.lang, "calx.help")))
        return
    if request.verb in ("move", "minutes", "skip") and (
            request.verb == "minutes" or not request.rest):
        # A form: the trigger_id lasts 3 seconds, so look up, ack and open at once.
        view = _form_for(deps, client, who, request)
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    if request.verb in ("move", "skip", "now"):
        reply, after = _change(deps, client, who, request, command)
        ack(**reply())
        after()
        return
    ack()  # the overview, a pack or the history read a fortnight of data: answer after
    respond(**_show(deps, client, who, request))


LISTENERS = [("command", COMMAND, handle_calibrate)]


# ----------------------------------------------------------------- which pair

def _pairs(session: Session, deps: Deps, who: Who) -> list[cal.Pair]:
    """Every pair the person is in: as the rep, or as the manager (any team they manage)."""
    now = deps.clock.now()
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    found = []
    for team_id in sorted(actor.teams):
        info = cal.info_of(session, team_id, now)
        for pair in cal.team_pairs(session, info):
            if pair.rep == who.user_id or team_id in actor.manages:
                found.append(pair)
    return found


def _pair_for(session: Session, deps: Deps, who: Who, rep: str | None,
              permission: str, verb: str) -> cal.Pair:
    """The one pair a command is about: the rep named (checked against the policy), else
    the person's own (a rep), else the only rep they manage."""
    now = deps.clock.now()
    if rep is not None and rep != who.user_id:
        require(session, deps, who, permission, owner=rep, action=f"calibrate.{verb}")
        actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
        rep_teams = sorted(teams.teams_of(session, workspace_id=who.workspace_id, user_id=rep))
        # A rep on several teams: the one the viewer manages first.
        rep_teams.sort(key=lambda team_id: team_id not in actor.manages)
        for team_id in rep_teams:
            pair = cal.pair_of(session, cal.info_of(session, team_id, now), rep)
            if pair is not None:
                return pair
        raise Usage("calx.no_pair_rep", rep=Raw(f"<@{rep}>"))
    mine = _pairs(session, deps, who)
    own = [p for p in mine if p.rep == who.user_id]
    if own:
        return own[0]
    if len(mine) == 1:
        return mine[0]
    if mine:
        raise Usage("calx.which_rep", example=f"/calibrate {action_example(permission)}")
    raise Usage("calx.no_pair")


def action_example(permission: str) -> str:
    return {"member.edit": "move @alice tomorrow 15:00", "member.rate": "minutes @alice",
            "member.view": "pack @alice"}.get(permission, "@alice")


def _zone(deps: Deps, client: WebClient, who: Who) -> Callable[[str], ZoneInfo]:
    """Anyone's zone, as Slack (or the cache) has it."""
    return lambda user: deps.users.profile(client, who.workspace_id, user).tz


# ----------------------------------------------------------------- reading

def _show(deps: Deps, client: WebClient, who: Who, request: Request) -> dict:
    now = deps.clock.now()
    with deps.sessions() as session:
        if request.verb == "pack":
            pair = _pair_for(session, deps, who, request.rep, "member.view", request.verb)
            require_party(session, deps, who, pair.rep, pair.manager, "calibrate.pack")
            occ = cal.next_occurrence(session, pair, now)
            if occ is None:
                raise Usage("calx.none_next", rep=Raw(f"<@{pair.rep}>"))
            pack = cal.data_pack(session, occ, now)
        elif request.verb == "history":
            pair = _pair_for(session, deps, who, request.rep, "member.view", request.verb)
            require_party(session, deps, who, pair.rep, pair.manager, "calibrate.history")
            past = cal.history(session, pair, start=now - HISTORY_SPAN, end=now)[:HISTORY]
            listed = [(occ, cal.state(occ, now),
                       actions.of_calibration(session, calibration_id=occ.row.id)
                       if occ.row else []) for occ in past]
            return render.history_blocks(who.lang, rep=pair.rep, tz=who.profile.tz,
                                         today=who.today(deps.clock), rows=listed)
        else:
            pairs = ([_pair_for(session, deps, who, request.rep, "member.view", "show")]
                     if request.rep else _pairs(session, deps, who))
            if not pairs:
                raise Usage("calx.no_pair")
            rows = [(cal.next_occurrence(session, p, now),
                     cal.awaiting_minutes(session, p, now), p.rep) for p in pairs]
    zone = _zone(deps, client, who)
    if request.verb == "pack":
        other = pair.manager if who.user_id == pair.rep else pair.rep
        return render.pack_blocks(who.lang, pack, viewer=who.user_id if who.user_id in (
            pair.rep, pair.manager) else pair.manager, tz=who.profile.tz,
            other_tz=zone(other), kind="preview")
    people = {u for p in pairs for u in (p.rep, p.manager)}
    return render.overview_blocks(who.lang, viewer=who.user_id, tz=who.profile.tz, rows=rows,
                                  zones={u: zone(u) for u in people})


def _form_for(deps: Deps, client: WebClient, who: Who, request: Request) -> dict:
    """The form `/calibrate minutes|move|skip` opens (buttons open theirs in
    handlers/calibrate_forms.py)."""
    now = deps.clock.now()
    with deps.sessions() as session:
        if request.verb == "minutes":
            pair = _pair_for(session, deps, who, request.rep, "member.rate", request.verb)
            require_manager(session, deps, who, pair.rep, "calibrate.minutes")
            waiting = cal.awaiting_minutes(session, pair, now)
            upcoming = cal.next_occurrence(session, pair, now)
            occ = waiting[0] if waiting else upcoming
            if occ is None or occ.at - EARLIEST_MINUTES > now:
                raise Usage("calx.minutes_too_early", when=Raw(render.when(
                    occ.at, who.profile.tz, who.lang)) if occ else "–")
            items = actions.of_calibration(session, calibration_id=occ.row.id) if occ.row else []
            return render.minutes_modal(who.lang, occ, tz=who.profile.tz, items=items)
        pair = _pair_for(session, deps, who, request.rep,
                         "member.edit" if request.verb == "move" else "member.rate",
                         request.verb)
        if request.verb == "skip":
            require_manager(session, deps, who, pair.rep, "calibrate.skip")
            occ = cal.to_skip(session, pair, now)
        else:
            require_party(session, deps, who, pair.rep, pair.manager, "calibrate.move")
            occ = cal.next_occurrence(session, pair, now)
        if occ is None:
            raise Usage("calx.none_next", rep=Raw(f"<@{pair.rep}>"))
    if request.verb == "skip":
        return render.skip_modal(who.lang, occ, tz=who.profile.tz)
    return render.move_modal(who.lang, occ, tz=who.profile.tz)


# ----------------------------------------------------------------- changing, in words

Reply = Callable[[], dict]  # built once the change is committed (it may look people up)


def _change(deps: Deps, client: WebClient, who: Who, request: Request,
            command: dict) -> tuple[Reply, Callable[[], None]]:
    """`move … WHEN`, `skip … reason`, `now @rep`: done at once; the other person hears after
    the ack."""
    now = deps.clock.now()
    with deps.sessions() as session:
        if request.verb == "now":
            if request.rep is None:
                raise Usage("calx.now_needs_rep")
            pair = _pair_for(session, deps, who, request.rep, "member.rate", request.verb)
            require_manager(session, deps, who, pair.rep, "calibrate.now")
            occ = cal.start_adhoc(session, pair, request=command.get("trigger_id") or
                                  f"{now.astimezone(UTC):%Y%m%dT%H%M}", now=now)
            return (lambda: notice_blocks(t(who.lang, "calx.started",
                                            rep=Raw(f"<@{pair.rep}>"))),
                    lambda: send_start_packs(deps, client, occ, now))
        pair = _pair_for(session, deps, who, request.rep,
                         "member.edit" if request.verb == "move" else "member.rate",
                         request.verb)
        occ = (cal.to_skip if request.verb == "skip" else cal.next_occurrence)(session, pair,
                                                                              now)
        if occ is None:
            raise Usage("calx.none_next", rep=Raw(f"<@{pair.rep}>"))
        if request.verb == "skip":
            require_manager(session, deps, who, pair.rep, "calibrate.skip")
            cal.skip_for(session, occ, reason=request.rest, by=who.user_id, now=now)
            return (lambda: notice_blocks(t(who.lang, "calx.skipped",
                                            rep=Raw(f"<@{occ.pair.rep}>"),
                                            when=Raw(render.when(occ.at, who.profile.tz,
                                                                 who.lang))))), lambda: None
        require_party(session, deps, who, pair.rep, pair.manager, "calibrate.move")
        try:
            moment = parse_moment(request.rest, today=who.today(deps.clock))
        except WhenError as error:
            raise Usage(f"calx.when_{error.args[0]}", text=request.rest) from None
        local = occ.at.astimezone(who.profile.tz)
        at = datetime.combine(moment.day or local.date(), moment.at or local.time(),
                              tzinfo=who.profile.tz)
        refusal = cal.move_refusal(occ, at, now)
        if refusal:
            raise Usage(refusal, **render.move_words(who.lang, occ, at))
        moved = cal.move_for(session, occ, at=at, following=False,
                             workspace_id=who.workspace_id, by=who.user_id, now=now)
    return moved_reply(deps, client, who, moved, following=False)


def moved_reply(deps: Deps, client: WebClient, who: Who, moved: cal.Occurrence, *,
                following: bool) -> tuple[Reply, Callable[[], None]]:
    """A move's confirmation for the mover, and the DMs to the rest of the pair."""
    zone = _zone(deps, client, who)
    return (lambda: notice_blocks(render.moved_text(
                who.lang, moved, viewer=who.user_id, tz=who.profile.tz, zone=zone,
                following=following)),
            lambda: notify_moved(deps, client, moved, by=who.user_id, following=following,
                                 zone=zone))
