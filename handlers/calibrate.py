"""/calibrate: the bi-weekly calibration 1:1s (seed 001 §三2) — see the next one, move it,
start one now, prepare (the rep's four questions), record minutes, look back.

    /calibrate                     my calibrations (a manager: each rep's)
    /calibrate @rep                one rep's (the rep, their managers, admins)
    /calibrate pack [@rep]         the data pack as it stands now
    /calibrate move [@rep] WHEN    move the next one (or, with no WHEN, a form)
    /calibrate now @rep            start one now (managers)
    /calibrate minutes [@rep]      record the minutes (managers)
    /calibrate skip [@rep] [why]   mark the next one as not happened (managers)
    /calibrate history [@rep]      past calibrations and their action items
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.cadence import next_working
from bot.deps import Deps, Who
from bot.grammar.when import WhenError, parse_moment
from bot.i18n import Raw, format_day, t
from bot.jobs.calibration import ledger_period, notify, send_packs
from bot.jobs.registry import RunResult
from bot.permissions import decide
from bot.render import calibrate as render
from bot.render.blocks import error_blocks, notice_blocks
from bot.render.forms import VALUE_ACTION
from bot.services import calibration as cal
from bot.slack.text import tokens, user_id
from handlers.forms import metadata
from store import actions, audit, teams
from store import calibrations as store
from store.actions import Agreed
from store.calibrations import Answers, Minutes

log = logging.getLogger(__name__)

COMMAND = "/calibrate"
COMMANDS = (COMMAND,)
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
MAX_AHEAD = timedelta(days=60)
MIN_AHEAD = timedelta(minutes=5)
HISTORY = 10
HISTORY_SPAN = timedelta(weeks=26)


class Usage(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params

    def refusal(self, lang: str) -> bool:
        return t(lang, self.key, **self.params).startswith("🙏")  # audited, not an error

    def text(self, lang: str) -> str:
        said = t(lang, self.key, **self.params)
        return said if self.refusal(lang) else "⚠️ " + said

    def blocks(self, lang: str) -> dict:
        """The reply: a refusal (🙏, audited), else an error reply (nothing changed)."""
        said = t(lang, self.key, **self.params)
        return notice_blocks(said) if self.refusal(lang) else error_blocks(said)


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


# ----------------------------------------------------------------- who and which pair

def _allow(session: Session, deps: Deps, who: Who, action: str, rep: str, verb: str) -> None:
    """The policy's `action` on the rep's data, or an audited refusal (`calibrate.<verb>`)."""
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    rep_teams = teams.teams_of(session, workspace_id=who.workspace_id, user_id=rep)
    decision = decide(actor, action, owner=rep, target_teams=rep_teams)
    if not decision.allowed:
        _deny(deps, who, f"calibrate.{verb}", rep, decision.reason)


def _deny(deps: Deps, who: Who, action: str, target: str, reason: str) -> None:
    """Refuse, politely and privately; the refusal is audited in a session of its own (the
    caller's rolls back as the refusal propagates)."""
    with deps.sessions() as session:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action=action, target=target, outcome="denied", now=deps.clock.now(),
                     detail=reason)
    raise Usage(reason)


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
              action: str, verb: str) -> cal.Pair:
    """The one pair a command is about: the rep named (checked against the policy), else
    the person's own (a rep), else the only rep they manage."""
    now = deps.clock.now()
    if rep is not None and rep != who.user_id:
        _allow(session, deps, who, action, rep, verb)
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
        raise Usage("calx.which_rep", example=f"/calibrate {action_example(action)}")
    raise Usage("calx.no_pair")


def action_example(action: str) -> str:
    return {"member.edit": "move @alice tomorrow 15:00", "member.rate": "minutes @alice",
            "member.view": "pack @alice"}.get(action, "@alice")


def _require_manager(session: Session, deps: Deps, who: Who, pair: cal.Pair, what: str) -> None:
    """Minutes, skips and ad hoc starts are the managers' (and admins')."""
    if who.user_id == pair.rep:
        _deny(deps, who, f"calibrate.{what}", pair.rep, "calx.manager_only")
    _allow(session, deps, who, "member.rate", pair.rep, what)


def _may_see(session: Session, deps: Deps, who: Who, pair: cal.Pair, what: str) -> None:
    if who.user_id not in (pair.rep, pair.manager):
        _allow(session, deps, who, "member.edit", pair.rep, what)


def _tz(deps: Deps, client: WebClient, who_ws: str, user: str) -> ZoneInfo:
    return deps.users.profile(client, who_ws, user).tz


# ----------------------------------------------------------------- the command

def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def handle_calibrate(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        who = deps.who(client, command)
        try:
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
        except Usage as usage:
            ack(**usage.blocks(who.lang))
            return
        ack()  # the overview, a pack or the history read a fortnight of data: answer after
        try:
            respond(**_show(deps, client, who, request))
        except Usage as usage:
            respond(**usage.blocks(who.lang))

    # Each button opens its form for the calibration it names; each form saves through its
    # saver. One listener per id, made by the two factories below.
    for action_id, form in ((render.ANSWER_ACTION, "answers"), (render.MOVE_ACTION, "move"),
                            (render.MINUTES_ACTION, "minutes"), (render.SKIP_ACTION, "skip")):
        app.action(action_id)(_opener(deps, form))
    for callback_id, save in ((render.ANSWERS_FORM, _save_answers),
                              (render.MINUTES_FORM, _save_minutes),
                              (render.MOVE_FORM, _save_move), (render.SKIP_FORM, _save_skip)):
        app.view(callback_id)(_submitter(deps, save))


def _opener(deps: Deps, form: str) -> Callable[..., None]:
    def handle_button(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        _open_from_button(deps, client, body, form)
    return handle_button


def _submitter(deps: Deps, save: Saver) -> Callable[..., None]:
    def handle_submit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        _submit(deps, client, ack, body, view, save)
    return handle_submit


def _show(deps: Deps, client: WebClient, who: Who, request: Request) -> dict:
    now = deps.clock.now()
    with deps.sessions() as session:
        if request.verb == "pack":
            pair = _pair_for(session, deps, who, request.rep, "member.view", request.verb)
            _may_see(session, deps, who, pair, "pack")
            occ = cal.next_occurrence(session, pair, now)
            if occ is None:
                raise Usage("calx.none_next", rep=Raw(f"<@{pair.rep}>"))
            pack = cal.data_pack(session, occ, now)
        elif request.verb == "history":
            pair = _pair_for(session, deps, who, request.rep, "member.view", request.verb)
            _may_see(session, deps, who, pair, "history")
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
    if request.verb == "pack":
        other = pair.manager if who.user_id == pair.rep else pair.rep
        return render.pack_blocks(who.lang, pack, viewer=who.user_id if who.user_id in (
            pair.rep, pair.manager) else pair.manager, tz=who.profile.tz,
            other_tz=_tz(deps, client, who.workspace_id, other), kind="preview")
    people = {u for p in pairs for u in (p.rep, p.manager)}
    zones = {u: _tz(deps, client, who.workspace_id, u) for u in people}
    return render.overview_blocks(who.lang, viewer=who.user_id, tz=who.profile.tz, rows=rows,
                                  zones=zones)


def _form_for(deps: Deps, client: WebClient, who: Who, request: Request) -> dict:
    now = deps.clock.now()
    with deps.sessions() as session:
        if request.verb == "minutes":
            pair = _pair_for(session, deps, who, request.rep, "member.rate", request.verb)
            _require_manager(session, deps, who, pair, "minutes")
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
            _require_manager(session, deps, who, pair, "skip")
        else:
            _may_see(session, deps, who, pair, "move")
        occ = cal.next_occurrence(session, pair, now)
        if occ is None:
            raise Usage("calx.none_next", rep=Raw(f"<@{pair.rep}>"))
    if request.verb == "skip":
        return render.skip_modal(who.lang, occ, tz=who.profile.tz)
    return render.move_modal(who.lang, occ, tz=who.profile.tz)


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
            _require_manager(session, deps, who, pair, "now")
            occ = cal.start_adhoc(session, pair, request=command.get("trigger_id") or
                                  f"{now.astimezone(UTC):%Y%m%dT%H%M}", now=now)
            def reply() -> dict:
                return notice_blocks(t(who.lang, "calx.started", rep=Raw(f"<@{pair.rep}>")))

            def after() -> None:
                send_packs(deps, client, occ, "start", ledger_period(occ, "start"),
                           now=now, result=RunResult(), due_at=now)
            return reply, after
        pair = _pair_for(session, deps, who, request.rep,
                         "member.edit" if request.verb == "move" else "member.rate",
                         request.verb)
        occ = cal.next_occurrence(session, pair, now)
        if occ is None:
            raise Usage("calx.none_next", rep=Raw(f"<@{pair.rep}>"))
        if request.verb == "skip":
            _require_manager(session, deps, who, pair, "skip")
            return _apply_skip(session, deps, who, occ, request.rest)
        _may_see(session, deps, who, pair, "move")
        try:
            moment = parse_moment(request.rest, today=who.today(deps.clock))
        except WhenError as error:
            raise Usage(f"calx.when_{error.args[0]}", text=request.rest) from None
        local = occ.at.astimezone(who.profile.tz)
        at = datetime.combine(moment.day or local.date(), moment.at or local.time(),
                              tzinfo=who.profile.tz)
        problem = _move_problem(occ, at, now, who.lang)
        if problem:
            raise Usage(problem[0], **problem[1])
        return _apply_move(session, deps, client, who, occ, at, following=False)


def _move_problem(occ: cal.Occurrence, at: datetime, now: datetime,
                  lang: str) -> tuple[str, dict] | None:
    """Why a calibration cannot move to `at` (a catalogue key and its params), or None."""
    day = at.astimezone(occ.pair.tz).date()
    params = {"day": Raw(format_day(day, lang)), "team": occ.pair.info.name,
              "next": Raw(format_day(next_working(day, occ.pair.info.working), lang))}
    if at < now + MIN_AHEAD:
        return "calx.move_past", params
    if at > now + MAX_AHEAD:
        return "calx.move_far", params
    if not occ.pair.info.working(day):
        return "calx.move_day_off", params
    return None


def _apply_move(session: Session, deps: Deps, client: WebClient, who: Who,
                occ: cal.Occurrence, at: datetime, *, following: bool
                ) -> tuple[Reply, Callable[[], None]]:
    now = deps.clock.now()
    moved = cal.move(session, occ, at=at.astimezone(UTC), following=following,
                     by=who.user_id, now=now)
    other = moved.pair.manager if who.user_id == moved.pair.rep else moved.pair.rep
    if who.user_id not in (moved.pair.rep, moved.pair.manager):
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="calibrate.move", target=moved.pair.rep, outcome="done", now=now,
                     detail=f"to {at.isoformat()}")

    def reply() -> dict:
        other_tz = _tz(deps, client, who.workspace_id, other)
        return notice_blocks(t(who.lang, "calx.moved", when=render.when_both(
            who.lang, moved.at, who.profile.tz, other, other_tz), following=following))

    def after() -> None:
        for person in {moved.pair.rep, moved.pair.manager} - {who.user_id}:
            notify(deps, client, moved.pair.info, person,
                   ledger_period(moved, "moved", moved.at),
                   lambda lang, tz, p=person: render.moved_blocks(
                       lang, moved, by=who.user_id, tz=tz, viewer=p, following=following,
                       other_tz=_tz(deps, client, who.workspace_id,
                                    moved.pair.manager if p == moved.pair.rep
                                    else moved.pair.rep)))
    return reply, after


def _apply_skip(session: Session, deps: Deps, who: Who, occ: cal.Occurrence,
                reason: str) -> tuple[Reply, Callable[[], None]]:
    now = deps.clock.now()
    row = cal.stored(session, occ, now)
    store.skip(session, row=row, reason=reason[:500], by=who.user_id, now=now)
    return (lambda: notice_blocks(t(who.lang, "calx.skipped", rep=Raw(f"<@{occ.pair.rep}>"),
                                    when=Raw(render.when(occ.at, who.profile.tz, who.lang))))
            ), lambda: None


# ----------------------------------------------------------------- buttons and forms

def _open_from_button(deps: Deps, client: WebClient, body: dict, form: str) -> None:
    who = deps.who(client, body)
    ref = ((body.get("actions") or [{}])[0].get("value") or "")
    try:
        view = _form_view(deps, who, ref, form)
    except Usage as usage:
        view = render.done_view(who.lang, usage.text(who.lang))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _occurrence(session: Session, deps: Deps, ref: str) -> cal.Occurrence:
    occ = cal.resolve(session, ref, deps.clock.now())
    if occ is None:
        raise Usage("calx.gone")
    return occ


def _form_view(deps: Deps, who: Who, ref: str, form: str) -> dict:
    with deps.sessions() as session:
        occ = _occurrence(session, deps, ref)
        _check(session, deps, who, occ, form)
        if form == "answers":
            return render.answers_modal(who.lang, occ, tz=who.profile.tz)
        if form == "move":
            return render.move_modal(who.lang, occ, tz=who.profile.tz)
        if form == "skip":
            return render.skip_modal(who.lang, occ, tz=who.profile.tz)
        # A button names its calibration: the manager may write its minutes whenever they
        # like (only `/calibrate minutes`, which picks one, refuses one still days away).
        items = actions.of_calibration(session, calibration_id=occ.row.id) if occ.row else []
        return render.minutes_modal(who.lang, occ, tz=who.profile.tz, items=items)


def _check(session: Session, deps: Deps, who: Who, occ: cal.Occurrence, form: str) -> None:
    """May this person use this form for this calibration, now?"""
    if form == "answers":
        if who.user_id != occ.pair.rep:
            _deny(deps, who, "calibrate.answers", occ.pair.rep, "calx.rep_only")
    elif form in ("minutes", "skip"):
        _require_manager(session, deps, who, occ.pair, form)
    else:
        _may_see(session, deps, who, occ.pair, "move")
    if occ.status == store.CANCELLED:
        raise Usage("calx.gone")
    if form != "minutes" and not occ.open:
        raise Usage("calx.closed_" + occ.status)


# A form's saver: (field errors, or None and the confirmation to show once committed, and
# what to do after the ack).
Saver = Callable[[Deps, WebClient, Who, cal.Occurrence, dict, Session],
                 "tuple[dict | None, Reply, Callable[[], None]]"]


def _submit(deps: Deps, client: WebClient, ack: Ack, body: dict, view: dict,
            save: Saver) -> None:
    """A form sent: field errors shown in the form and nothing saved, or saved and the form
    turned into a confirmation; who else needs to know hears after the ack."""
    who = deps.who(client, body)
    values = (view.get("state") or {}).get("values") or {}
    ref = str(metadata(view).get("ref") or "")
    after: Callable[[], None] = lambda: None  # noqa: E731
    try:
        with deps.sessions() as session:
            occ = _occurrence(session, deps, ref)
            errors, done, after = save(deps, client, who, occ, values, session)
            if errors:
                session.rollback()
                ack(response_action="errors", errors=errors)
                return
    except Usage as usage:
        ack(response_action="update", view=render.done_view(who.lang, usage.text(who.lang)))
        return
    ack(response_action="update", view=done())
    after()


def _text(values: dict, block_id: str) -> str:
    entry = (values.get(block_id) or {}).get(VALUE_ACTION) or {}
    return (entry.get("value") or "").strip()


def _picked(values: dict, block_id: str, key: str) -> str:
    entry = (values.get(block_id) or {}).get(VALUE_ACTION) or {}
    value = entry.get(key)
    if isinstance(value, dict):  # radio buttons: {"value": …}
        value = value.get("value")
    return value if isinstance(value, str) else ""


def _too_long(lang: str, values: dict, fields: dict[str, int], errors: dict[str, str]) -> dict:
    texts = {}
    for name, limit in fields.items():
        texts[name] = _text(values, name)
        if len(texts[name]) > limit:
            errors[name] = t(lang, "calx.too_long", max=limit, length=len(texts[name]))
    return texts


def _save_answers(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence,
                  values: dict, session: Session):  # noqa: ANN202
    _check(session, deps, who, occ, "answers")
    errors: dict[str, str] = {}
    texts = _too_long(who.lang, values, render.QUESTIONS, errors)
    if not errors and not any(texts.values()):
        errors["progress"] = t(who.lang, "calx.answers_empty")
    if errors:
        return errors, dict, lambda: None
    now = deps.clock.now()
    row = cal.stored(session, occ, now)
    first = store.save_answers(session, row=row, answers=Answers(**texts), now=now)
    answered = cal.Occurrence(occ.pair, row.slot, occ.at, row.status, occ.set_at, row)
    def done() -> dict:
        return render.done_view(who.lang, t(who.lang, "calx.answers_saved",
                                            other=Raw(f"<@{occ.pair.manager}>"), first=first))

    def after() -> None:
        notify(deps, client, occ.pair.info, occ.pair.manager, ledger_period(occ, "answers"),
               lambda lang, tz: render.answers_notice_blocks(lang, answered, tz=tz))
    return None, done, after if first else (lambda: None)


def _save_minutes(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence,
                  values: dict, session: Session):  # noqa: ANN202
    _check(session, deps, who, occ, "minutes")
    now = deps.clock.now()
    errors: dict[str, str] = {}
    texts = _too_long(who.lang, values, render.MINUTES_FIELDS, errors)
    if not texts["notes"] and "notes" not in errors:
        errors["notes"] = t(who.lang, "calx.notes_empty")
    agreed = _agreed(who, deps, values, errors, default_owner=occ.pair.rep)
    if errors:
        return errors, dict, lambda: None
    row = cal.stored(session, occ, now)
    first = store.record_minutes(session, row=row, minutes=Minutes(**texts), by=who.user_id,
                                 now=now)
    items = actions.save_agreed(session, calibration=row, agreed=agreed, by=who.user_id,
                                now=now)
    if who.user_id != row.manager_user_id:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="calibrate.minutes", target=row.rep_user_id, outcome="done",
                     now=now)
    session.flush()
    open_items = len([i for i in items if i.status == "open"])

    def done() -> dict:
        return render.done_view(who.lang, t(who.lang, "calx.minutes_saved",
                                            rep=Raw(f"<@{row.rep_user_id}>"), items=open_items,
                                            first=first))
    period = ledger_period(occ, "summary", now)

    def after() -> None:
        for person in (row.rep_user_id, row.manager_user_id):
            notify(deps, client, occ.pair.info, person, period,
                   lambda lang, tz, p=person: render.summary_blocks(
                       lang, row, items, viewer=p, tz=tz, edited=not first))
    return None, done, after


def _agreed(who: Who, deps: Deps, values: dict, errors: dict[str, str], *,
            default_owner: str) -> list[Agreed]:
    """The action-item rows of the minutes form; a row with anything in it needs a text, a
    due date from today on and a measure (seed 000: 具体行动项、完成时间、衡量标准)."""
    today = who.today(deps.clock)
    agreed = []
    for n in range(1, render.ITEM_ROWS + 1):
        text, measure = _text(values, f"a{n}_text"), _text(values, f"a{n}_measure")
        due_text = _picked(values, f"a{n}_due", "selected_date")
        owner = _picked(values, f"a{n}_owner", "selected_user") or default_owner
        if not (text or measure or due_text):
            continue
        if not text:
            errors[f"a{n}_text"] = t(who.lang, "calx.item_text")
        elif len(text) > render.ITEM_TEXT_MAX:
            errors[f"a{n}_text"] = t(who.lang, "calx.too_long", max=render.ITEM_TEXT_MAX,
                                     length=len(text))
        if len(measure) > render.ITEM_MEASURE_MAX:
            errors[f"a{n}_measure"] = t(who.lang, "calx.too_long",
                                        max=render.ITEM_MEASURE_MAX, length=len(measure))
        elif not measure:
            errors[f"a{n}_measure"] = t(who.lang, "calx.item_measure")
        due = _date(due_text)
        if due is None:
            errors[f"a{n}_due"] = t(who.lang, "calx.item_due")
        elif due < today:
            errors[f"a{n}_due"] = t(who.lang, "calx.item_due_past",
                                    today=Raw(format_day(today, who.lang)))
        elif due > today + timedelta(days=366):
            errors[f"a{n}_due"] = t(who.lang, "calx.item_due_far")
        if not errors and due is not None:
            agreed.append(Agreed(n, text, owner, due, measure))
    return agreed


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _save_move(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence, values: dict,
               session: Session):  # noqa: ANN202
    _check(session, deps, who, occ, "move")
    day = _date(_picked(values, "day", "selected_date"))
    at_time = render.parse_time(_picked(values, "time", "selected_time"))
    following = _picked(values, "scope", "selected_option") == "following"
    errors: dict[str, str] = {}
    if day is None:
        errors["day"] = t(who.lang, "calx.pick_day")
    if at_time is None:
        errors["time"] = t(who.lang, "calx.pick_time")
    if errors:
        return errors, dict, lambda: None
    at = datetime.combine(day, at_time, tzinfo=who.profile.tz)
    problem = _move_problem(occ, at, deps.clock.now(), who.lang)
    if problem:
        key, params = problem
        block = "time" if key == "calx.move_past" and day == who.today(deps.clock) else "day"
        return {block: t(who.lang, key, **params)}, dict, lambda: None
    reply, after = _apply_move(session, deps, client, who, occ, at, following=following)
    return None, lambda: render.done_view(who.lang, reply()["text"]), after


def _save_skip(deps: Deps, client: WebClient, who: Who, occ: cal.Occurrence, values: dict,
               session: Session):  # noqa: ANN202
    _check(session, deps, who, occ, "skip")
    reason = _text(values, "reason")
    if len(reason) > 500:
        return {"reason": t(who.lang, "calx.too_long", max=500, length=len(reason))}, dict, \
            lambda: None
    reply, after = _apply_skip(session, deps, who, occ, reason)
    return None, lambda: render.done_view(who.lang, reply()["text"]), after
