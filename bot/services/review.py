"""What is waiting for a person in the review cycle: their own steps (self-assessment,
appeal), their teams' ratings and improvement plans, and (admins) appeals to decide, each
with the button that opens its form. `/review` lists them; so does the App Home."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import end_of_day, next_working_day
from bot.deps import Deps, Who
from bot.i18n import t
from bot.render import review as render
from bot.services.teams import working_for
from store import reviews as store
from store import teams
from store.models import ImprovementPlan


def pending_items(session: Session, deps: Deps, who: Who) -> list[tuple[str, dict | None]]:
    """What is waiting for `who`: their own steps, their teams' ratings and plans, and (for
    admins) the open appeals."""
    lang, now = who.lang, deps.clock.now()
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    items: list[tuple[str, dict | None]] = []
    tzs: dict[int, ZoneInfo] = {}

    def zone(team_id: int) -> ZoneInfo:
        if team_id not in tzs:
            tzs[team_id] = ZoneInfo(teams.team_by_id(session, team_id=team_id).tz)
        return tzs[team_id]

    for review in store.pending(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                statuses=(store.SELF, store.RESULT)):
        period = render.period(lang, review)
        if review.status == store.SELF:
            items.append((t(lang, "review.item.self", period=period,
                            due=render.day(lang, review.self_due)),
                          render.step_button(render.SELF_OPEN, str(review.id),
                                             "review.self_button", lang)))
        elif now < end_of_day(review.appeal_due, zone(review.team_id)):
            items.append((t(lang, "review.item.appeal", period=period, grade=review.grade,
                            due=render.day(lang, review.appeal_due)),
                          render.step_button(render.APPEAL_OPEN, str(review.id),
                                             "review.appeal_button", lang)))
    managed = None if actor.is_admin else actor.manages
    if actor.manages or actor.is_admin:
        team_ids = actor.manages
        for review in store.pending(session, workspace_id=who.workspace_id, team_ids=team_ids,
                                    statuses=(store.SELF, store.RATING)):
            if review.self_at is None and now < end_of_day(review.self_due, zone(review.team_id)):
                continue  # not ready to rate yet
            items.append((t(lang, "review.item.rate", rep=render.mention(review.user_id),
                            period=render.period(lang, review),
                            due=render.day(lang, review.rating_due)),
                          render.step_button(render.RATE_OPEN, str(review.id),
                                             "review.rate_button", lang)))
        for plan in store.open_plans(session, workspace_id=who.workspace_id,
                                     team_ids=team_ids):
            items += _plan_items(session, lang, plan, now, zone(plan.team_id))
    if actor.is_admin:
        for review in store.pending(session, workspace_id=who.workspace_id,
                                    statuses=(store.APPEAL,), team_ids=managed):
            items.append((t(lang, "review.item.decide", rep=render.mention(review.user_id),
                            period=render.period(lang, review),
                            due=render.day(lang, review.decision_due)),
                          render.step_button(render.DECIDE_OPEN, str(review.id),
                                             "review.decide_button", lang)))
    return items


def _plan_items(session: Session, lang: str, plan: ImprovementPlan, now: datetime,
                tz: ZoneInfo) -> list[tuple[str, dict | None]]:
    rep = render.mention(plan.user_id)
    items: list[tuple[str, dict | None]] = []
    if plan.set_at is None:
        items.append((t(lang, "review.item.plan_setup", rep=rep), render.step_button(
            render.PLAN_OPEN, str(plan.id), "review.plan.setup_button", lang)))
    done = {c.month for c in store.checks(session, plan_id=plan.id)}
    working = working_for(session, teams.team_by_id(session, team_id=plan.team_id))
    today = now.astimezone(tz).date()
    for month in range(1, plan.months + 1):
        if month not in done and next_working_day(store.check_day(plan, month),
                                                  working) <= today:
            items.append((t(lang, "review.item.plan_check", rep=rep, month=month),
                          render.step_button(render.CHECK_OPEN, f"{plan.id}:{month}",
                                             "review.plan.check_button", lang)))
    return items
