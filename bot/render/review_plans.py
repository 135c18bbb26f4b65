"""Block Kit for improvement plans (store/plans.py): the DMs of bot/jobs/plans.py and the two
forms (the plan's targets, a month's check). A PIP's targets and mentor are the managers'; a
satisfaction plan is the rep's own proposal. Supportive words: a plan is help, not a verdict."""

from __future__ import annotations

from bot.i18n import Raw, t
from bot.render.blocks import section
from bot.render.forms import VALUE_ACTION, plain
from bot.render.reports import _sections
from bot.render.review import (
    button,
    day,
    dm,
    field_line,
    form_modal,
    input_block,
    mention,
    option,
    period,
    select_block,
)
from store.models import ImprovementPlan, PlanCheck, Review
from store.plans import (
    CHECK_STATUSES,
    DECISIONS,
    NOT_MET,
    OUTCOMES,
    PIP,
    SATISFACTION,
    plan_end,
)

PLAN_OPEN, CHECK_OPEN = "plan_setup_open", "plan_check_open"
PLAN_FORM, CHECK_FORM = "plan_setup", "plan_check"
LIMIT = 3000
NOTE_LIMIT = 2000


def _kind(plan: ImprovementPlan) -> Raw:
    return Raw(plan.kind if plan.kind in (PIP, SATISFACTION) else PIP)


def plan_setup_blocks(lang: str, *, plan: ImprovementPlan, review: Review,
                      satisfaction: float | None = None, baseline: float | None = None
                      ) -> dict:
    """To the managers (a PIP), or to the rep (a satisfaction plan they propose)."""
    text = t(lang, f"review.plan.setup_{_kind(plan)}", rep=mention(plan.user_id),
             period=period(lang, review), grade=review.final_grade,
             start=day(lang, plan.start), end=day(lang, plan_end(plan)),
             score=f"{satisfaction:g}" if satisfaction is not None else "—",
             baseline=f"{baseline:g}" if baseline is not None else "—")
    return dm(text, [t(lang, f"review.plan.setup_body_{_kind(plan)}")],
              buttons=[button(PLAN_OPEN, str(plan.id),
                              t(lang, f"review.plan.setup_button_{_kind(plan)}"))],
              note=t(lang, "review.private_note"))


def plan_open_blocks(lang: str, *, plan: ImprovementPlan, review: Review) -> dict:
    """The other side hears the plan is open: the rep (a PIP), the managers (satisfaction)."""
    text = t(lang, f"review.plan.open_{_kind(plan)}", rep=mention(plan.user_id),
             period=period(lang, review), start=day(lang, plan.start),
             end=day(lang, plan_end(plan)))
    return dm(text, [t(lang, f"review.plan.open_body_{_kind(plan)}")])


def plan_targets_blocks(lang: str, *, plan: ImprovementPlan) -> dict:
    """The plan as set: to the rep (a PIP), or to the managers (the rep's proposal)."""
    text = t(lang, f"review.plan.targets_{_kind(plan)}", rep=mention(plan.user_id),
             mentor=mention(plan.mentor_user_id), end=day(lang, plan_end(plan)))
    return dm(text, [field_line(lang, "review.plan_field.targets", plan.targets),
                     field_line(lang, "review.plan_field.notes", plan.notes)],
              note=t(lang, f"review.plan.targets_note_{_kind(plan)}"))


def mentor_blocks(lang: str, *, plan: ImprovementPlan) -> dict:
    """To the mentor a PIP names (seed 003: 期间安排导师辅导)."""
    text = t(lang, "review.plan.mentor", rep=mention(plan.user_id),
             manager=mention(plan.set_by), end=day(lang, plan_end(plan)))
    return dm(text, [field_line(lang, "review.plan_field.targets", plan.targets)],
              note=t(lang, "review.plan.mentor_note"))


def plan_check_blocks(lang: str, *, plan: ImprovementPlan, month: int, last: bool) -> dict:
    text = t(lang, "review.plan.check", rep=mention(plan.user_id), month=month,
             months=plan.months, last=last)
    body = [field_line(lang, "review.plan_field.targets", plan.targets)
            or t(lang, "review.plan.no_targets")]
    return dm(text, body, buttons=[button(CHECK_OPEN, f"{plan.id}:{month}",
                                          t(lang, "review.plan.check_button"))],
              note=t(lang, "review.private_note"))


def plan_overdue_blocks(lang: str, *, plan: ImprovementPlan, owners: list[str]) -> dict:
    """The last check is late: a plan must end in an outcome, never in nothing."""
    text = t(lang, "review.plan.overdue", rep=mention(plan.user_id),
             owners=Raw(", ".join(mention(o) for o in owners)))
    return dm(text, [], note=t(lang, "review.escalate.note"))


def plan_closed_blocks(lang: str, *, plan: ImprovementPlan, to_rep: bool) -> dict:
    """How the plan ended: to the rep (the decision itself is for a conversation), and to HR
    when not met (a move or an end of employment needs them)."""
    key = "review.plan.closed_rep" if to_rep else "review.plan.closed_hr"
    outcome = plan.outcome or (NOT_MET if plan.decision else "")
    text = t(lang, key, rep=mention(plan.user_id), outcome=outcome,
             decision=plan.decision or "", end=day(lang, plan_end(plan)))
    body = [] if to_rep else [field_line(lang, "review.plan_field.decision_note",
                                         plan.decision_note)]
    return dm(text, body, note=t(lang, "review.private_note"))


# ----------------------------------------------------------------- forms

def plan_form(lang: str, *, plan: ImprovementPlan, by_rep: bool) -> dict:
    mentor = {"type": "users_select", "action_id": VALUE_ACTION,
              "placeholder": plain(t(lang, "review.plan_field.mentor"))}
    if plan.mentor_user_id:
        mentor["initial_user"] = plan.mentor_user_id
    kind = _kind(plan)
    blocks = [section(t(lang, f"review.plan_form.intro_{kind}", rep=mention(plan.user_id),
                        start=day(lang, plan.start), end=day(lang, plan_end(plan)))),
              input_block("targets", t(lang, f"review.plan_field.targets_{kind}"),
                          initial=plan.targets or None,
                          hint=t(lang, f"review.plan_form.hint_{kind}"))]
    if not by_rep:
        blocks.append({"type": "input", "block_id": "mentor", "optional": plan.kind != PIP,
                       "label": plain(t(lang, "review.plan_field.mentor")),
                       "element": mentor})
    blocks.append(input_block("notes", t(lang, f"review.plan_field.notes_{kind}"),
                              initial=plan.notes or None, optional=True))
    return form_modal(lang, title=t(lang, "review.plan_form.title"), callback=PLAN_FORM,
                      blocks=blocks, meta={"p": plan.id})


def check_form(lang: str, *, plan: ImprovementPlan, month: int, last: bool,
               existing: PlanCheck | None) -> dict:
    blocks = [section(t(lang, "review.check_form.intro", rep=mention(plan.user_id),
                        month=month, months=plan.months)),
              *_sections([field_line(lang, "review.plan_field.targets", plan.targets)
                          or t(lang, "review.plan.no_targets")]),
              select_block("status", t(lang, "review.check_field.status"),
                           [option(s, t(lang, f"review.check_status.{s}"))
                            for s in CHECK_STATUSES],
                           initial=existing.status if existing else None, radio=True),
              input_block("note", t(lang, "review.check_field.note"),
                          initial=existing.note if existing else None, optional=True)]
    if last:
        blocks += [
            section(t(lang, "review.check_form.last")),
            select_block("outcome", t(lang, "review.check_field.outcome"),
                         [option(o, t(lang, f"review.outcome.{o}")) for o in OUTCOMES],
                         initial=existing.outcome if existing else None, radio=True),
            select_block("decision", t(lang, "review.check_field.decision"),
                         [option(d, t(lang, f"review.plan_decision.{d}")) for d in DECISIONS],
                         initial=plan.decision, radio=True, optional=True),
            input_block("decision_note", t(lang, "review.plan_field.decision_note"),
                        initial=plan.decision_note or None, optional=True,
                        max_length=NOTE_LIMIT, hint=t(lang, "review.check_form.decision_hint"))]
    return form_modal(lang, title=t(lang, "review.check_form.title"), callback=CHECK_FORM,
                      blocks=blocks, meta={"p": plan.id, "m": month})
