"""/review and the review cycle's first forms: self-assessment, rating (with competencies),
appeal and HR's decision. The result conversation's forms (a move, the record, the rep's
confirmation) are in handlers/review_talk.py; improvement plans in handlers/review_plans.py;
bot/jobs/review.py sends the DMs.

    /review                          what is waiting for me
    /review history [@rep]           past reviews and their history
    /review move [@rep] WHEN         move the result conversation (the rep, or their manager)
    /review level @rep [LEVEL]       a rep's level (junior, senior: the team's rules name them)
    /review help

Who may do what (bot/services/review.py's check_review): the rep their own self-assessment,
confirmation and appeal; the team's managers (and admins) the rating and the record; admins
(HR) the decision on an appeal. A review is seen only by the rep, the team's managers and the
admins, and the rep does not see the grade before the talk. Each form is checked field by
field (response_action=errors: nothing saved); a second submission edits the first. After a
save the job's `advance` sends what became due at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Refused, Usage
from bot.grammar.when import WhenError, parse_moment
from bot.i18n import Raw, t
from bot.jobs.review import DECISION_DAYS, advance
from bot.render import review as render
from bot.render import review_talk as talk_render
from bot.render.blocks import notice_blocks
from bot.render.review_steps import step_lines
from bot.scoring.grades import GRADES
from bot.services import review as service
from bot.services.reports import rules_for
from bot.slack.text import row_id, tokens, user_id
from handlers.access import may_view
from handlers.forms import Answers, handle_step_open, handle_step_submit
from store import annual, audit, teams
from store import reviews as store
from store.models import Review

COMMAND = "/review"
HELP_WORDS = ("help", "帮助", "?")
HISTORY_WORDS = ("history", "历史", "记录")
MOVE_WORDS = ("move", "reschedule", "改期", "改时间", "调整")
LEVEL_WORDS = ("level", "级别", "层级")


def _after(deps: Deps, team_id: int) -> None:
    advance(deps, team_id=team_id, now=deps.clock.now())


# ================================================================ the command

def handle_review(ack: Ack, command: dict, client: WebClient, *, deps: Deps) -> None:
    who = deps.who(client, command)
    args = tokens(command.get("text") or "")
    word = args[0].lower() if args else ""
    if word in HELP_WORDS:
        ack(**render.help_blocks(who.lang))
    elif not args:
        with deps.sessions() as session:
            steps = service.pending_steps(session, deps, who)
            ack(**render.pending_blocks(who.lang, step_lines(who.lang, steps, who.profile.tz)))
    elif word in HISTORY_WORDS and len(args) <= 2:
        subject = user_id(args[1]) if len(args) == 2 else who.user_id
        if subject is None:
            ack(**render.usage_blocks(who.lang, "review.cmd.bad_rep", word=args[1]))
            return
        with deps.sessions() as session:
            ack(**history_reply(session, deps, who, subject))
    elif word in MOVE_WORDS:
        team_id, reply = move_talk(deps, client, who, args[1:])
        ack(**reply)
        _after(deps, team_id)
    elif word in LEVEL_WORDS:
        with deps.sessions() as session:
            ack(**notice_blocks(level_reply(session, deps, who, args[1:])))
    else:
        shown = args[0] if word not in HISTORY_WORDS else args[-1]
        ack(**render.usage_blocks(who.lang, "review.cmd.unknown", word=shown))


def move_talk(deps: Deps, client: WebClient, who: Who, args: list[str]) -> tuple[int, dict]:
    """`/review move [@rep] WHEN`: the next conversation of the rep named (a manager), or the
    person's own (a rep), to WHEN in their zone — the words /calibrate move reads."""
    named = user_id(args[0]) if args else None
    rest = " ".join(args[1:] if named else args)
    if not rest:
        raise Usage("review.cmd.move_when", example="/review move @alice tomorrow 15:00")
    now = deps.clock.now()
    with deps.sessions() as session:
        review = _talk_of(session, who, named or who.user_id)
        service.check_review(session, who, review, "move", now)
        try:
            moment = parse_moment(rest, today=who.today(deps.clock))
        except WhenError as error:
            raise Usage(f"calx.when_{error.args[0]}", text=rest) from None
        local = store.utc(review.talk_at).astimezone(who.profile.tz)
        at = datetime.combine(moment.day or local.date(), moment.at or local.time(),
                              tzinfo=who.profile.tz)
        refusal = service.move_refusal(session, review, at, now)
        if refusal:
            raise Usage(refusal, **service.refusal_words(session, review, at, who.lang))
        store.move_talk(session, review=review, at=at, by=who.user_id, now=now)
        other = review.talk_with if who.user_id == review.user_id else review.user_id
        text = talk_render.moved_text(who.lang, review=review, tz=who.profile.tz, other=other,
                                      other_tz=deps.users.profile(client, who.workspace_id,
                                                                  other).tz)
        return review.team_id, notice_blocks(text)


def _talk_of(session: Session, who: Who, rep: str) -> Review:
    found = [r for r in store.pending(session, workspace_id=who.workspace_id, user_id=rep,
                                      statuses=(store.TALK,)) if r.recorded_at is None]
    if not found:
        raise Usage("review.cmd.no_talk", rep=Raw(f"<@{rep}>"))
    return found[0]


def level_reply(session: Session, deps: Deps, who: Who, args: list[str]) -> str:
    """`/review level @rep [LEVEL]`: show or set a rep's level on the team (managers)."""
    rep = user_id(args[0]) if args else None
    if rep is None or len(args) > 2:
        raise Usage("review.cmd.level_usage", example="/review level @alice senior")
    team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=rep)
    if team is None:
        raise Usage("review.cmd.no_team", rep=Raw(f"<@{rep}>"))
    if not service.manages(session, who, team.id) or rep == who.user_id:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="review.level", target=rep, outcome="denied",
                     now=deps.clock.now(), detail="review.level.not_yours")
        raise Refused("review.level.not_yours")
    competencies = rules_for(session, team.id).competencies
    names = ", ".join(f"`{competencies.name(lv, who.lang)}`" for lv in competencies.levels)
    current = store.level_of(session, team_id=team.id, user_id=rep) or competencies.levels[0]
    if len(args) == 1:
        return t(who.lang, "review.level.shown", rep=Raw(f"<@{rep}>"), levels=Raw(names),
                 level=competencies.name(current, who.lang), team=team.name)
    level = competencies.level_of(args[1])
    if level is None:
        raise Usage("review.level.unknown", word=args[1], levels=Raw(names),
                    example=f"/review level @alice {competencies.levels[-1]}")
    store.set_level(session, team_id=team.id, user_id=rep, level=level, by=who.user_id,
                    now=deps.clock.now())
    dims = ("、" if who.lang == "zh" else ", ").join(
        competencies.name(d, who.lang) for d in competencies.dimensions(level))
    return t(who.lang, "review.level.set", rep=Raw(f"<@{rep}>"),
             level=competencies.name(level, who.lang), dimensions=dims)


# ================================================================ opening a form

def _review(session: Session, ident: object) -> Review | None:
    """The review a button or form names (an id a stale or forged request may garble)."""
    rid = row_id(ident)
    return store.get(session, rid) if rid else None


def review_view(session: Session, deps: Deps, who: Who, raw: str, *, step: str,
                build: Callable[..., dict]) -> dict:
    review = service.check_review(session, who, _review(session, raw), step, deps.clock.now())
    return build(who.lang, review=review)


def decide_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    """HR's form: the rating, the record both saw with the rep's comment, the reason."""
    review = service.check_review(session, who, _review(session, raw), "decide",
                                  deps.clock.now())
    body, items, comment = service.record_of(session, review)
    return render.decide_form(who.lang, review=review, record=talk_render.summary_lines(
        who.lang, review, body, items, comment))


def rate_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    review = service.check_review(session, who, _review(session, raw), "rate",
                                  deps.clock.now())
    rules = service.rules_of(session, review)
    return render.rate_form(who.lang, review=review, competencies=rules.competencies,
                            level=service.level_for(session, review, rules),
                            ratings={c["key"]: c for c in service.competencies_of(review)})


# ================================================================ saving a form

def _get(session: Session, deps: Deps, who: Who, meta: dict, step: str) -> Review:
    return service.check_review(session, who, _review(session, meta.get("r")), step,
                                deps.clock.now())


def save_self(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
              client: WebClient) -> tuple[str, int]:
    review = _get(session, deps, who, meta, "self")
    texts = {f: form.text(f, required=f not in render.SELF_OPTIONAL) for f in render.SELF_TEXTS}
    grade = form.choice("grade", GRADES, "review.invalid.grade", required=False)
    if form.errors:
        return "", review.team_id
    first = store.save_self(session, review=review, grade=grade, now=deps.clock.now(), **texts)
    return t(who.lang, "review.saved.self", first=first,
             period=render.period(who.lang, review)), review.team_id


def save_rating(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
                client: WebClient) -> tuple[str, int]:
    """The rating (grade, competencies each with an example, factors). The first one sets
    the result conversation; the rep hears neither grade nor rating before it."""
    review = _get(session, deps, who, meta, "rate")
    rules = service.rules_of(session, review)
    level = service.level_for(session, review, rules)
    grade = form.choice("grade", GRADES, "review.invalid.grade")
    rated = []
    for key in rules.competencies.dimensions(level):
        rating = form.choice(f"c_{key}", render.COMPETENCY_RATINGS, "review.invalid.competency")
        example = form.text(f"c_{key}_ex", limit=render.EXAMPLE_LIMIT)
        rated.append({"key": key, "rating": rating, "example": example})
    texts = {f: form.text(f, required=f in render.RATE_TEXTS[:2]) for f in render.RATE_TEXTS}
    factors = {f: form.text(f, required=False, limit=render.FACTOR_LIMIT)
               for f in render.FACTORS}
    if form.errors:
        return "", review.team_id
    now = deps.clock.now()

    def zone(user: str):  # noqa: ANN202
        return deps.users.profile(client, who.workspace_id, user).tz

    slot = service.plan_talk(session, review=review, manager=who.user_id, now=now, zone=zone)
    first = store.save_rating(session, review=review, by=who.user_id, grade=grade, level=level,
                              competencies=json.dumps(rated, ensure_ascii=False),
                              talk_at=slot.at, now=now, **texts, **factors)
    audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                 action="review.rate", target=review.user_id, outcome="done", now=now,
                 detail=f"{review.period} {grade}")
    when = talk_render.talk_when(who.lang, review, who.profile.tz, review.user_id,
                                 zone(review.user_id))
    return t(who.lang, "review.saved.rate", first=first, rep=render.mention(review.user_id),
             period=render.period(who.lang, review), grade=grade, when=Raw(when),
             stretched=first and slot.stretched), review.team_id


def save_appeal(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
                client: WebClient) -> tuple[str, int]:
    review = _get(session, deps, who, meta, "appeal")
    reason = form.text("reason")
    if not teams.admins(session, workspace_id=who.workspace_id):
        form.errors["reason"] = t(who.lang, "review.invalid.no_hr")
    if form.errors:
        return "", review.team_id
    now = deps.clock.now()
    due = service.working_days_on(session, review.team_id, DECISION_DAYS, now)
    first = store.save_appeal(session, review=review, reason=reason, decision_due=due,
                              now=now)
    return t(who.lang, "review.saved.appeal", first=first,
             period=render.period(who.lang, review),
             due=render.day(who.lang, review.decision_due)), review.team_id


def save_decision(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
                  client: WebClient) -> tuple[str, int]:
    review = _get(session, deps, who, meta, "decide")
    decision = form.choice("decision", ("upheld", "changed"), "review.invalid.decision")
    grade = form.choice("grade", GRADES, "review.invalid.grade", required=False)
    comment = form.text("comment")
    if decision == "upheld":
        grade = review.grade
    elif decision == "changed" and grade in (None, review.grade):
        form.errors["grade"] = t(who.lang, "review.invalid.same_grade", grade=review.grade)
    if form.errors:
        return "", review.team_id
    store.save_decision(session, review=review, by=who.user_id, decision=decision,
                        grade=grade, comment=comment, now=deps.clock.now())
    audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                 action="review.decide", target=review.user_id, outcome="done",
                 now=deps.clock.now(), detail=f"{review.period} {decision} {grade}")
    return t(who.lang, "review.saved.decide", rep=render.mention(review.user_id),
             period=render.period(who.lang, review), grade=grade), review.team_id


# Each step: the DM button that opens its form, the form, its first input (where a
# refusal is shown) and its saver.
STEPS = (
    (render.SELF_OPEN, "self", partial(review_view, step="self", build=render.self_form),
     render.SELF_FORM, "best", save_self),
    (render.RATE_OPEN, "rate", rate_view, render.RATE_FORM, "grade", save_rating),
    (render.APPEAL_OPEN, "appeal", partial(review_view, step="appeal",
                                           build=render.appeal_form),
     render.APPEAL_FORM, "reason", save_appeal),
    (render.DECIDE_OPEN, "decide", decide_view, render.DECIDE_FORM, "decision", save_decision),
)
LISTENERS = [
    ("command", COMMAND, handle_review),
    *(("action", action, partial(handle_step_open, step=f"review.{step}", view=view,
                                 done=render.done_view))
      for action, step, view, _, _, _ in STEPS),
    *(("view", callback, partial(handle_step_submit, step=f"review.{step}", first_block=first,
                                 save=save, done=render.done_view, after=_after))
      for _, step, _, callback, first, save in STEPS),
]


# ================================================================ /review's answers

def history_reply(session: Session, deps: Deps, who: Who, subject: str) -> dict:
    """Past reviews with their history: reps their own, managers their teams', admins all."""
    actor, subject_teams, decision = may_view(session, deps, who, subject, "review.history")
    if not decision.allowed:
        return notice_blocks(t(who.lang, decision.reason))
    team_ids = None if actor.is_admin or subject == who.user_id else list(actor.manages)
    found = store.history(session, workspace_id=who.workspace_id, user_id=subject,
                          team_ids=team_ids)
    years = [(r.year, r.grade) for r in annual.of_rep(session, workspace_id=who.workspace_id,
                                                      user_id=subject, team_ids=team_ids)]
    return render.history_blocks(who.lang, rep=subject, reviews=found,
                                 events=store.events(session, review_ids=[r.id for r in found]),
                                 tz=who.profile.tz, viewer=who.user_id, annual=years[:3])
