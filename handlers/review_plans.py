"""Improvement plans' forms (store/plans.py): a plan's targets, and each month's check.

A PIP's targets, mentor and notes are the managers' to set; a satisfaction plan is the rep's
own proposal (seed 003: 低于基准分需提交改进方案), which the managers may adjust. The last
check ends the plan: completed, or not met — and then a decision is required (extend by a
month, move to another role, end), so a plan never ends in nothing.
"""

from __future__ import annotations

from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Refused
from bot.i18n import Raw, t
from bot.jobs.review import advance
from bot.render import review as render
from bot.render import review_plans as plan_render
from bot.services import review as service
from bot.slack.text import row_id
from handlers.forms import Answers, handle_step_open, handle_step_submit
from store import audit
from store import plans as store
from store.models import ImprovementPlan


def _after(deps: Deps, team_id: int) -> None:
    advance(deps, team_id=team_id, now=deps.clock.now())


def _plan(session: Session, ident: object) -> ImprovementPlan | None:
    pid = row_id(ident)
    return store.get_plan(session, pid) if pid else None


def plan_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    plan = service.check_plan(session, who, _plan(session, raw), month=None,
                              now=deps.clock.now())
    return plan_render.plan_form(who.lang, plan=plan, by_rep=who.user_id == plan.user_id)


def check_view(session: Session, deps: Deps, who: Who, raw: str) -> dict:
    plan_ref, _, month_text = raw.partition(":")
    month = row_id(month_text)
    if month is None:
        raise ValueError(raw)
    plan = service.check_plan(session, who, _plan(session, plan_ref), month=month,
                              now=deps.clock.now())
    existing = next((c for c in store.checks(session, plan_id=plan.id) if c.month == month),
                    None)
    return plan_render.check_form(who.lang, plan=plan, month=month,
                                  last=month == plan.months, existing=existing)


def save_plan(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
              client: WebClient) -> tuple[str, int]:
    plan = service.check_plan(session, who, _plan(session, meta.get("p")), month=None,
                              now=deps.clock.now())
    by_rep = who.user_id == plan.user_id
    targets = form.text("targets")
    mentor = None if by_rep else form.raw("mentor")
    if plan.kind == store.PIP and not mentor:
        form.errors["mentor"] = t(who.lang, "review.invalid.required")
    elif mentor and mentor == plan.user_id:
        form.errors["mentor"] = t(who.lang, "review.invalid.mentor_self",
                                  rep=Raw(f"<@{plan.user_id}>"))
    notes = form.text("notes", required=False)
    if form.errors:
        return "", plan.team_id
    first = store.save_plan(session, plan=plan, targets=targets,
                            mentor=mentor or plan.mentor_user_id, notes=notes, by=who.user_id,
                            now=deps.clock.now())
    key = "review.saved.plan_rep" if by_rep else "review.saved.plan"
    return t(who.lang, key, first=first, rep=render.mention(plan.user_id),
             mentor=bool(mentor)), plan.team_id


def save_check(session: Session, deps: Deps, who: Who, meta: dict, form: Answers,
               client: WebClient) -> tuple[str, int]:
    month = row_id(meta.get("m"))
    if month is None:
        raise Refused("review.refuse.not_found")
    plan = service.check_plan(session, who, _plan(session, meta.get("p")), month=month,
                              now=deps.clock.now())
    status = form.choice("status", store.CHECK_STATUSES, "review.invalid.status")
    note = form.text("note", required=False)
    last = month == plan.months
    outcome = form.choice("outcome", store.OUTCOMES, "review.invalid.outcome") \
        if last else None
    decision = form.choice("decision", store.DECISIONS, "review.invalid.decision_needed",
                           required=outcome == store.NOT_MET) if last else None
    decision_note = form.text("decision_note", required=outcome == store.NOT_MET,
                              limit=plan_render.NOTE_LIMIT) if last else ""
    if outcome == store.COMPLETED and decision:
        form.errors["decision"] = t(who.lang, "review.invalid.no_decision_when_met")
    if form.errors:
        return "", plan.team_id
    store.save_check(session, plan=plan, month=month, status=status, note=note,
                     outcome=outcome, decision=decision if outcome == store.NOT_MET else None,
                     decision_note=decision_note, by=who.user_id, now=deps.clock.now())
    if outcome == store.NOT_MET:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action="review.plan_decision", target=plan.user_id, outcome="done",
                     now=deps.clock.now(), detail=f"plan {plan.id}: {decision}")
    shown = Raw(t(who.lang, f"review.outcome.{outcome}")) if outcome else ""
    return t(who.lang, "review.saved.check", month=month, outcome=shown,
             decision=Raw(t(who.lang, f"review.plan_decision.{decision}"))
             if outcome == store.NOT_MET else ""), plan.team_id


STEPS = (
    (plan_render.PLAN_OPEN, "plan", plan_view, plan_render.PLAN_FORM, "targets", save_plan),
    (plan_render.CHECK_OPEN, "check", check_view, plan_render.CHECK_FORM, "status",
     save_check),
)
LISTENERS = [
    *(("action", action, partial(handle_step_open, step=f"review.{step}", view=view,
                                 done=render.done_view))
      for action, step, view, _, _, _ in STEPS),
    *(("view", callback, partial(handle_step_submit, step=f"review.{step}", first_block=first,
                                 save=save, done=render.done_view, after=_after))
      for _, step, _, callback, first, save in STEPS),
]
