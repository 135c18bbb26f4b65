"""/review and the review cycle's forms: self-assessment, rating, appeal, HR's decision, an
improvement plan's targets and its monthly checks (bot/jobs/review.py sends the DMs).

Who may do what: the rep their own self-assessment and appeal; the team's managers (and
admins) the rating and the plan; admins (HR) the decision on an appeal. A review is seen only
by the rep, the team's managers and the admins. Each form is checked field by field
(response_action=errors: nothing saved); a second submission edits the first. After a save
the job's `advance` sends what became due at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.workdays import add_working_days, next_working_day
from bot.calendar.workdays import end_of_day as end_of
from bot.deps import Deps, Who
from bot.errors import Refused
from bot.i18n import Raw, t
from bot.jobs.review import APPEAL_DAYS, DECISION_DAYS, advance
from bot.permissions import decide
from bot.render import review as render
from bot.render.blocks import notice_blocks
from bot.render.forms import VALUE_ACTION
from bot.render.review_steps import step_lines
from bot.scoring.grades import GRADES
from bot.services.review import pending_steps
from bot.services.teams import working_for
from bot.slack.text import row_id, tokens, user_id
from handlers.access import may_view
from handlers.forms import metadata
from store import audit, teams
from store import reviews as store
from store.models import ImprovementPlan, Review, Team

COMMAND = "/review"
HELP_WORDS = ("help", "帮助", "?")
HISTORY_WORDS = ("history", "历史", "记录")


# ================================================================ who may act, and when

def _team(session: Session, team_id: int) -> tuple[Team, ZoneInfo]:
    team = teams.team_by_id(session, team_id=team_id)
    return team, ZoneInfo(team.tz)


def _working_days_on(session: Session, review: Review, days: int, now: datetime) -> date:
    """The end of a window of `days` working days of the review's team, from today there."""
    team, tz = _team(session, review.team_id)
    return add_working_days(now.astimezone(tz).date(), days, working_for(session, team))


def _manages(session: Session, who: Who, team_id: int) -> bool:
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    return decide(actor, "review.manage", team_id=team_id).allowed


def _is_admin(session: Session, who: Who) -> bool:
    return teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id).is_admin


def _review(session: Session, ident: object) -> Review | None:
    """The review a button or form names (an id a stale or forged request may garble)."""
    rid = row_id(ident)
    return store.get(session, rid) if rid else None


def _plan(session: Session, ident: object) -> ImprovementPlan | None:
    pid = row_id(ident)
    return store.get_plan(session, pid) if pid else None


def check_review(session: Session, who: Who, review: Review | None, step: str,
                 now: datetime) -> Review:
    """The review if `who` may do `step` on it now; raises Refused otherwise."""
    if review is None or review.workspace_id != who.workspace_id:
        raise Refused("review.refuse.not_found")
    lang = who.lang
    period = render.period(lang, review)
    team, tz = _team(session, review.team_id)
    if step in ("self", "appeal") and who.user_id != review.user_id:
        raise Refused("review.refuse.not_yours")
    if step in ("rate", "decide") and who.user_id == review.user_id:
        raise Refused("review.refuse.not_yours")  # nobody rates, or judges, their own review
    if step == "rate" and not _manages(session, who, review.team_id):
        raise Refused("review.refuse.not_yours")
    if step == "decide" and not _is_admin(session, who):
        raise Refused("review.refuse.not_yours")
    if step == "self" and review.rated_at is not None:
        raise Refused("review.refuse.rated", period=period)
    if step == "rate":
        if review.status in (store.APPEAL, store.FINAL):
            raise Refused("review.refuse.closed", period=period,
                          status=Raw(t(lang, f"review.status.{review.status}")))
        if review.self_at is None and now < end_of(review.self_due, tz):
            raise Refused("review.refuse.waiting_self", rep=render.mention(review.user_id),
                          period=period, due=render.day(lang, review.self_due))
    if step == "appeal":
        if review.status == store.APPEAL:
            return review  # an edit of the appeal, while HR has not decided
        if review.status != store.RESULT or now >= end_of(review.appeal_due, tz):
            raise Refused("review.refuse.appeal_closed", period=period,
                          due=render.day(lang, review.appeal_due))
    if step == "decide" and review.appealed_at is None:
        raise Refused("review.refuse.no_appeal", period=period)
    return review


def check_plan(session: Session, who: Who, plan: ImprovementPlan | None, *,
               month: int | None, now: datetime) -> ImprovementPlan:
    if plan is None or plan.workspace_id != who.workspace_id:
        raise Refused("review.refuse.not_found")
    if not _manages(session, who, plan.team_id):
        raise Refused("review.refuse.not_yours")
    if plan.open_key is None:
        raise Refused("review.refuse.plan_closed")
    if month is not None:
        team, tz = _team(session, plan.team_id)
        opens = next_working_day(store.check_day(plan, month), working_for(session, team))
        if not 1 <= month <= plan.months or now.astimezone(tz).date() < opens:
            raise Refused("review.refuse.check_early", month=month,
                          day=render.day(who.lang, opens))
    return plan


def _refuse(session: Session, deps: Deps, who: Who, refused: Refused, what: str) -> None:
    if refused.key == "review.refuse.not_yours":
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action=f"review.{what}", target=what, outcome="denied",
                     now=deps.clock.now(), detail=refused.key)


# ================================================================ reading a form

def _value(values: dict, block_id: str) -> str | None:
    entry = (values.get(block_id) or {}).get(VALUE_ACTION) or {}
    if "selected_option" in entry:
        return (entry.get("selected_option") or {}).get("value")
    if "selected_user" in entry:
        return entry.get("selected_user")
    return (entry.get("value") or "").strip() or None


class Form:
    """A submitted view's answers, and the errors to show beside its inputs."""

    def __init__(self, view: dict, lang: str) -> None:
        self.values = view.get("state", {}).get("values", {})
        self.lang = lang
        self.errors: dict[str, str] = {}

    def text(self, block_id: str, *, required: bool = True) -> str:
        value = _value(self.values, block_id) or ""
        if required and not value:
            self.errors[block_id] = t(self.lang, "review.invalid.required")
        elif len(value) > render.LIMIT:
            self.errors[block_id] = t(self.lang, "review.invalid.too_long", max=render.LIMIT,
                                      length=len(value))
        return value

    def choice(self, block_id: str, allowed: tuple[str, ...], error: str, *,
               required: bool = True) -> str | None:
        value = _value(self.values, block_id)
        if value is None and not required:
            return None
        if value not in allowed:
            self.errors[block_id] = t(self.lang, error)
            return None
        return value


# ================================================================ the listeners

def handle_review(ack: Ack, command: dict, client: WebClient, *, deps: Deps) -> None:
    who = deps.who(client, command)
    args = tokens(command.get("text") or "")
    if args and args[0].lower() in HELP_WORDS:
        ack(**render.help_blocks(who.lang))
    elif not args:
        with deps.sessions() as session:
            steps = pending_steps(session, deps, who)
            ack(**render.pending_blocks(who.lang, step_lines(who.lang, steps)))
    elif args[0].lower() in HISTORY_WORDS and len(args) <= 2:
        subject = user_id(args[1]) if len(args) == 2 else who.user_id
        if subject is None:
            ack(**render.usage_blocks(who.lang, "review.cmd.bad_rep", word=args[1]))
            return
        with deps.sessions() as session:
            ack(**history_reply(session, deps, who, subject))
    else:
        word = args[0] if args[0].lower() not in HISTORY_WORDS else args[-1]
        ack(**render.usage_blocks(who.lang, "review.cmd.unknown", word=word))


View = Callable[[Session, Deps, Who, str], dict]  # a form for the button's value
# A form's saver: (the confirmation, the team whose steps to advance); sets form.errors
# (then nothing is written) or raises Refused.
Saver = Callable[[Session, Deps, Who, dict, Form], tuple[str, int]]


def handle_open(ack: Ack, body: dict, client: WebClient, *, deps: Deps, step: str,
                view: View) -> None:
    """A DM's button: the step's form, or why it cannot be opened (refusals audited)."""
    ack()
    who = deps.who(client, body)
    raw = (body.get("actions") or [{}])[0].get("value") or ""
    with deps.sessions() as session:
        try:
            shown = view(session, deps, who, raw)
        except Refused as refused:
            _refuse(session, deps, who, refused, step)
            shown = render.done_view(who.lang, refused.text(who.lang))
        except ValueError:
            shown = render.done_view(who.lang, t(who.lang, "review.refuse.not_found"))
    client.views_open(trigger_id=body["trigger_id"], view=shown)


def handle_submit(ack: Ack, body: dict, view: dict, client: WebClient, *, deps: Deps,
                  step: str, first_block: str, save: Saver) -> None:
    """A form's submit: refusals and invalid answers are shown in the form (nothing saved);
    a good one is saved, the form says so, and what became due is sent."""
    who = deps.who(client, body)
    form = Form(view, who.lang)
    meta = metadata(view)
    with deps.sessions() as session:
        try:
            text, team_id = save(session, deps, who, meta, form)
        except Refused as refused:
            _refuse(session, deps, who, refused, step)
            form.errors = {first_block: refused.text(who.lang)}
        if form.errors:  # nothing was written: the saves check everything first
            ack(response_action="errors", errors=form.errors)
            return
    ack(response_action="update", view=render.done_view(who.lang, text))
    advance(deps, team_id=team_id, now=deps.clock.now())


# ================================================================ opening a form

def review_view(session: Session, deps: Deps, who: Who, raw: str, *, step: str,
                build: Callable[..., dict]) -> dict:
    review = check_review(session, who, _review(session, raw), step, deps.clock.now())
    return build(who.lang, review=review)


def plan_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    plan = check_plan(session, who, _plan(session, raw), month=None, now=deps.clock.now())
    return render.plan_form(who.lang, plan=plan)


def check_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    plan_ref, _, month_text = raw.partition(":")
    month = row_id(month_text)
    if month is None:
        raise ValueError(raw)
    plan = check_plan(session, who, _plan(session, plan_ref), month=month,
                      now=deps.clock.now())
    existing = next((c for c in store.checks(session, plan_id=plan.id) if c.month == month),
                    None)
    return render.check_form(who.lang, plan=plan, month=month, last=month == plan.months,
                             existing=existing)


# ================================================================ saving a form

def _get_review(session: Session, deps: Deps, who: Who, meta: dict, step: str) -> Review:
    return check_review(session, who, _review(session, meta.get("r")), step, deps.clock.now())


def save_self(session: Session, deps: Deps, who: Who, meta: dict,
              form: Form) -> tuple[str, int]:
    review = _get_review(session, deps, who, meta, "self")
    best, improve = form.text("best"), form.text("improve")
    support = form.text("support", required=False)
    grade = form.choice("grade", GRADES, "review.invalid.grade", required=False)
    if form.errors:
        return "", review.team_id
    first = store.save_self(session, review=review, best=best, improve=improve,
                            support=support, grade=grade, now=deps.clock.now())
    return t(who.lang, "review.saved.self", first=first,
             period=render.period(who.lang, review)), review.team_id


def save_rating(session: Session, deps: Deps, who: Who, meta: dict,
                form: Form) -> tuple[str, int]:
    review = _get_review(session, deps, who, meta, "rate")
    grade = form.choice("grade", GRADES, "review.invalid.grade")
    texts = {f: form.text(f, required=f != "comments") for f in render.RATE_TEXTS}
    if form.errors:
        return "", review.team_id
    now = deps.clock.now()
    due = _working_days_on(session, review, APPEAL_DAYS, now)
    first = store.save_rating(session, review=review, by=who.user_id, grade=grade,
                              appeal_due=due, now=now, **texts)
    if who.user_id != review.user_id:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="review.rate", target=review.user_id, outcome="done",
                     now=now, detail=f"{review.period} {grade}")
    return t(who.lang, "review.saved.rate", first=first, rep=render.mention(review.user_id),
             period=render.period(who.lang, review), grade=grade), review.team_id


def save_appeal(session: Session, deps: Deps, who: Who, meta: dict,
                form: Form) -> tuple[str, int]:
    review = _get_review(session, deps, who, meta, "appeal")
    reason = form.text("reason")
    if not teams.admins(session, workspace_id=who.workspace_id):
        form.errors["reason"] = t(who.lang, "review.invalid.no_hr")
    if form.errors:
        return "", review.team_id
    now = deps.clock.now()
    due = _working_days_on(session, review, DECISION_DAYS, now)
    first = store.save_appeal(session, review=review, reason=reason, decision_due=due,
                              now=now)
    return t(who.lang, "review.saved.appeal", first=first,
             period=render.period(who.lang, review),
             due=render.day(who.lang, review.decision_due)), review.team_id


def save_decision(session: Session, deps: Deps, who: Who, meta: dict,
                  form: Form) -> tuple[str, int]:
    review = _get_review(session, deps, who, meta, "decide")
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


def save_plan(session: Session, deps: Deps, who: Who, meta: dict,
              form: Form) -> tuple[str, int]:
    plan = check_plan(session, who, _plan(session, meta.get("p")), month=None,
                      now=deps.clock.now())
    targets = form.text("targets")
    mentor = _value(form.values, "mentor")
    if not mentor:
        form.errors["mentor"] = t(who.lang, "review.invalid.required")
    elif mentor == plan.user_id:
        form.errors["mentor"] = t(who.lang, "review.invalid.mentor_self",
                                  rep=f"<@{plan.user_id}>")
    notes = form.text("notes", required=False)
    if form.errors:
        return "", plan.team_id
    first = store.save_plan(session, plan=plan, targets=targets, mentor=mentor,
                            notes=notes, by=who.user_id, now=deps.clock.now())
    return t(who.lang, "review.saved.plan", first=first,
             rep=render.mention(plan.user_id)), plan.team_id


def save_check(session: Session, deps: Deps, who: Who, meta: dict,
               form: Form) -> tuple[str, int]:
    month = row_id(meta.get("m"))
    if month is None:
        raise Refused("review.refuse.not_found")
    plan = check_plan(session, who, _plan(session, meta.get("p")), month=month,
                      now=deps.clock.now())
    status = form.choice("status", store.CHECK_STATUSES, "review.invalid.status")
    note = form.text("note", required=False)
    last = month == plan.months
    outcome = form.choice("outcome", store.OUTCOMES, "review.invalid.outcome") \
        if last else None
    if form.errors:
        return "", plan.team_id
    store.save_check(session, plan=plan, month=month, status=status, note=note,
                     outcome=outcome, by=who.user_id, now=deps.clock.now())
    shown = Raw(t(who.lang, f"review.outcome.{outcome}")) if outcome else ""
    return t(who.lang, "review.saved.check", month=month, outcome=shown), plan.team_id


# Each step: the DM button that opens its form, the form, its first input (where a
# refusal is shown) and its saver.
STEPS: tuple[tuple[str, str, View, str, str, Saver], ...] = (
    (render.SELF_OPEN, "self", partial(review_view, step="self", build=render.self_form),
     render.SELF_FORM, "best", save_self),
    (render.RATE_OPEN, "rate", partial(review_view, step="rate", build=render.rate_form),
     render.RATE_FORM, "grade", save_rating),
    (render.APPEAL_OPEN, "appeal", partial(review_view, step="appeal",
                                           build=render.appeal_form),
     render.APPEAL_FORM, "reason", save_appeal),
    (render.DECIDE_OPEN, "decide", partial(review_view, step="decide",
                                           build=render.decide_form),
     render.DECIDE_FORM, "decision", save_decision),
    (render.PLAN_OPEN, "plan", plan_view, render.PLAN_FORM, "targets", save_plan),
    (render.CHECK_OPEN, "check", check_view, render.CHECK_FORM, "status", save_check),
)
LISTENERS = [
    ("command", COMMAND, handle_review),
    *(("action", action, partial(handle_open, step=step, view=view))
      for action, step, view, _, _, _ in STEPS),
    *(("view", callback, partial(handle_submit, step=step, first_block=first, save=save))
      for _, step, _, callback, first, save in STEPS),
]


# ================================================================ /review's answers

def history_reply(session: Session, deps: Deps, who: Who, subject: str) -> dict:
    """Past reviews with their history: reps their own, managers their teams', admins all."""
    actor, subject_teams, decision = may_view(session, deps, who, subject, "review.history")
    if not decision.allowed:
        return notice_blocks(t(who.lang, decision.reason))
    team_ids = None if actor.is_admin or subject == who.user_id else actor.manages
    found = store.history(session, workspace_id=who.workspace_id, user_id=subject,
                          team_ids=team_ids)
    return render.history_blocks(who.lang, rep=subject, reviews=found,
                                 events=store.events(session, review_ids=[r.id for r in found]),
                                 tz=who.profile.tz)
