"""What is waiting for a person in the review cycle: their own steps (self-assessment,
appeal), their teams' ratings and improvement plans, and (admins) appeals to decide, as plain
data. `/review` lists them; so does the App Home (bot/render/review.py's step_lines draws each
with the button that opens its form)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import end_of_day, next_working_day
from bot.deps import Deps, Who
from bot.services.teams import working_for
from store import reviews as store
from store import teams
from store.models import ImprovementPlan, Review

# What a step asks for; each opens its own form.
SELF, APPEAL, RATE, DECIDE, PLAN_SETUP, PLAN_CHECK = (
    "self", "appeal", "rate", "decide", "plan_setup", "plan_check")


@dataclass(frozen=True)
class Step:
    """One step waiting for someone: on a review, or on an improvement plan (a month's
    check names its month)."""

    kind: str
    review: Review | None = None
    plan: ImprovementPlan | None = None
    month: int | None = None


def pending_steps(session: Session, deps: Deps, who: Who) -> list[Step]:
    """What is waiting for `who`: their own steps, their teams' ratings and plans, and (for
    admins) the open appeals."""
    now = deps.clock.now()
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    steps: list[Step] = []
    tzs: dict[int, ZoneInfo] = {}

    def zone(team_id: int) -> ZoneInfo:
        if team_id not in tzs:
            tzs[team_id] = ZoneInfo(teams.team_by_id(session, team_id=team_id).tz)
        return tzs[team_id]

    for review in store.pending(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                statuses=(store.SELF, store.RESULT)):
        if review.status == store.SELF:
            steps.append(Step(SELF, review=review))
        elif now < end_of_day(review.appeal_due, zone(review.team_id)):
            steps.append(Step(APPEAL, review=review))
    managed = None if actor.is_admin else actor.manages
    if actor.manages or actor.is_admin:
        team_ids = actor.manages
        for review in store.pending(session, workspace_id=who.workspace_id, team_ids=team_ids,
                                    statuses=(store.SELF, store.RATING)):
            if review.self_at is None and now < end_of_day(review.self_due,
                                                           zone(review.team_id)):
                continue  # not ready to rate yet
            steps.append(Step(RATE, review=review))
        for plan in store.open_plans(session, workspace_id=who.workspace_id,
                                     team_ids=team_ids):
            steps += _plan_steps(session, plan, now, zone(plan.team_id))
    if actor.is_admin:
        for review in store.pending(session, workspace_id=who.workspace_id,
                                    statuses=(store.APPEAL,), team_ids=managed):
            steps.append(Step(DECIDE, review=review))
    return steps


def _plan_steps(session: Session, plan: ImprovementPlan, now: datetime,
                tz: ZoneInfo) -> list[Step]:
    steps = []
    if plan.set_at is None:
        steps.append(Step(PLAN_SETUP, plan=plan))
    done = {c.month for c in store.checks(session, plan_id=plan.id)}
    working = working_for(session, teams.team_by_id(session, team_id=plan.team_id))
    today = now.astimezone(tz).date()
    for month in range(1, plan.months + 1):
        if month not in done and next_working_day(store.check_day(plan, month),
                                                  working) <= today:
            steps.append(Step(PLAN_CHECK, plan=plan, month=month))
    return steps
