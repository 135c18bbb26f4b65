"""The review cycle as listeners and jobs share it: who may do which step when (Refused
otherwise), when the result conversation is and how it moves, a rep's level and competency
dimensions, and what is waiting for a person (their own steps, their teams' ratings, talks to
record and plans, and for admins the appeals to decide), as plain data. `/review` lists the
steps; so does the App Home (bot/render/review_steps.py draws each with its button)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.cadence import DEFAULT_TIME
from bot.calendar.meetings import Slot, first_slot
from bot.calendar.workdays import add_working_days, end_of_day, next_working_day, parse_hhmm
from bot.deps import Deps, Who
from bot.errors import Refused
from bot.i18n import Raw, t
from bot.permissions import decide
from bot.render.review import day, mention, period
from bot.scoring.rules import Rules
from bot.services import calibration as cal
from bot.services.reports import rules_for
from bot.services.teams import team_info, working_for
from store import actions, plans, teams
from store import reviews as store
from store.models import ImprovementPlan, Review, Team

# What a step asks for; each opens its own form.
SELF, APPEAL, RATE, DECIDE, TALK, RECORD, CONFIRM, PLAN_SETUP, PLAN_CHECK = (
    "self", "appeal", "rate", "decide", "talk", "record", "confirm", "plan_setup",
    "plan_check")
TALK_LENGTH = timedelta(minutes=30)  # seed 003: 时长不少于30分钟
# The talk is on the second working day after the rating, so that the manager's talk pack
# can go out a full working day ahead (seed 000: 面谈前的充分准备).
TALK_AFTER_DAYS = 2
TALK_MAX_AHEAD = timedelta(days=60)


@dataclass(frozen=True)
class Step:
    """One step waiting for someone: on a review, or on an improvement plan (a month's
    check names its month)."""

    kind: str
    review: Review | None = None
    plan: ImprovementPlan | None = None
    month: int | None = None


def _zones(session: Session) -> Callable[[int], ZoneInfo]:
    found: dict[int, ZoneInfo] = {}

    def zone(team_id: int) -> ZoneInfo:
        if team_id not in found:
            found[team_id] = ZoneInfo(teams.team_by_id(session, team_id=team_id).tz)
        return found[team_id]
    return zone


def pending_steps(session: Session, deps: Deps, who: Who) -> list[Step]:
    """What is waiting for `who`: their own steps, their teams' ratings, talks and plans,
    and (for admins) the open appeals."""
    now = deps.clock.now()
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    zone = _zones(session)
    steps: list[Step] = []
    for review in store.pending(session, workspace_id=who.workspace_id, user_id=who.user_id,
                                statuses=(store.SELF, store.TALK, store.CONFIRM, store.RESULT)):
        if review.status == store.SELF:
            steps.append(Step(SELF, review=review))
        elif review.status == store.TALK:
            steps.append(Step(TALK, review=review))  # when, with a button to move it
        elif review.status == store.CONFIRM:
            steps.append(Step(CONFIRM, review=review))
        elif now < end_of_day(review.appeal_due, zone(review.team_id)):
            steps.append(Step(APPEAL, review=review))
    for plan in plans.open_plans(session, workspace_id=who.workspace_id, user_id=who.user_id):
        if plan.kind == plans.SATISFACTION and plan.set_at is None:
            steps.append(Step(PLAN_SETUP, plan=plan))  # the rep proposes this one
    if actor.manages or actor.is_admin:
        team_ids = actor.manages
        for review in store.pending(session, workspace_id=who.workspace_id, team_ids=team_ids,
                                    statuses=(store.SELF, store.RATING, store.TALK)):
            if review.status == store.TALK:
                if review.talk_with == who.user_id:
                    held = store.utc(review.talk_at) <= now
                    steps.append(Step(RECORD if held else TALK, review=review))
            elif review.self_at is not None or now >= end_of_day(review.self_due,
                                                                  zone(review.team_id)):
                steps.append(Step(RATE, review=review))
        for plan in plans.open_plans(session, workspace_id=who.workspace_id,
                                     team_ids=team_ids):
            steps += _plan_steps(session, plan, now, zone(plan.team_id))
    if actor.is_admin:
        for review in store.pending(session, workspace_id=who.workspace_id,
                                    statuses=(store.APPEAL,)):
            steps.append(Step(DECIDE, review=review))
    return steps


def _plan_steps(session: Session, plan: ImprovementPlan, now: datetime,
                tz: ZoneInfo) -> list[Step]:
    steps = []
    if plan.set_at is None and plan.kind == plans.PIP:
        steps.append(Step(PLAN_SETUP, plan=plan))
    done = {c.month for c in plans.checks(session, plan_id=plan.id)}
    working = working_for(session, teams.team_by_id(session, team_id=plan.team_id))
    today = now.astimezone(tz).date()
    for month in range(1, plan.months + 1):
        if month not in done and next_working_day(plans.check_day(plan, month),
                                                  working) <= today:
            steps.append(Step(PLAN_CHECK, plan=plan, month=month))
    return steps


# ----------------------------------------------------------------- who may act, and when

def team_of(session: Session, team_id: int) -> tuple[Team, ZoneInfo]:
    team = teams.team_by_id(session, team_id=team_id)
    return team, ZoneInfo(team.tz)


def working_days_on(session: Session, team_id: int, days: int, now: datetime) -> date:
    """The end of a window of `days` working days of the team, from today there."""
    team, tz = team_of(session, team_id)
    return add_working_days(now.astimezone(tz).date(), days, working_for(session, team))


def manages(session: Session, who: Who, team_id: int) -> bool:
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    return decide(actor, "review.manage", team_id=team_id).allowed


def _is_admin(session: Session, who: Who) -> bool:
    return teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id).is_admin


def when(lang: str, at: datetime | None, tz: ZoneInfo) -> Raw:
    """A talk's moment in a person's zone: "Thu 15 Oct 10:00"."""
    if at is None:
        return Raw("—")
    local = store.utc(at).astimezone(tz)
    return Raw(f"{day(lang, local.date())} {local:%H:%M}")


def check_review(session: Session, who: Who, review: Review | None, step: str,
                 now: datetime) -> Review:
    """The review if `who` may do `step` on it now; raises Refused otherwise. Steps: self,
    appeal, confirm (the rep); rate, record (the team's managers), move (the rep, the one
    holding the talk, the managers); decide (admins)."""
    if review is None or review.workspace_id != who.workspace_id:
        raise Refused("review.refuse.not_found")
    lang, rep = who.lang, review.user_id
    shown = period(lang, review)
    _, tz = team_of(session, review.team_id)
    mine = who.user_id == rep
    if step in ("self", "appeal", "confirm") and not mine:
        raise Refused("review.refuse.not_yours")
    if step in ("rate", "decide", "record") and mine:
        raise Refused("review.refuse.not_yours")  # nobody rates, or judges, their own review
    if step in ("rate", "record") and not manages(session, who, review.team_id):
        raise Refused("review.refuse.not_yours")
    if step == "move" and not (mine or who.user_id == review.talk_with
                               or manages(session, who, review.team_id)):
        raise Refused("review.refuse.not_yours")
    if step == "decide" and not _is_admin(session, who):
        raise Refused("review.refuse.not_yours")
    if step == "self" and review.rated_at is not None:
        raise Refused("review.refuse.rated", period=shown)
    if step == "rate":
        if review.recorded_at is not None:
            raise Refused("review.refuse.recorded", period=shown, rep=mention(rep))
        if review.status in (store.APPEAL, store.FINAL, store.RESULT):
            raise Refused("review.refuse.closed", period=shown,
                          status=Raw(t(lang, f"review.status.{review.status}")))
        if review.self_at is None and now < end_of_day(review.self_due, tz):
            raise Refused("review.refuse.waiting_self", rep=mention(rep), period=shown,
                          due=day(lang, review.self_due))
    if step in ("record", "move"):
        if review.status not in (store.TALK, store.CONFIRM) or (
                step == "move" and review.status != store.TALK):
            raise Refused("review.refuse.talk_over" if review.recorded_at else
                          "review.refuse.no_talk", period=shown, rep=mention(rep))
        if step == "record" and now < store.utc(review.talk_at):
            raise Refused("review.refuse.record_early", rep=mention(rep),
                          when=when(lang, review.talk_at, who.profile.tz))
    if step == "confirm" and review.status != store.CONFIRM:
        key = "review.refuse.confirmed" if review.confirmed_at or review.confirmation else \
            "review.refuse.no_record"
        raise Refused(key, period=shown)
    if step == "appeal":
        if review.status == store.APPEAL:
            return review  # an edit of the appeal, while HR has not decided
        if review.status != store.RESULT or now >= end_of_day(review.appeal_due, tz):
            raise Refused("review.refuse.appeal_closed" if review.appeal_due else
                          "review.refuse.appeal_not_yet", period=shown,
                          due=day(lang, review.appeal_due))
    if step == "decide" and review.appealed_at is None:
        raise Refused("review.refuse.no_appeal", period=shown)
    return review


def check_plan(session: Session, who: Who, plan: ImprovementPlan | None, *,
               month: int | None, now: datetime) -> ImprovementPlan:
    """The plan if `who` may set it up (its managers; the rep proposes a satisfaction plan)
    or record month `month`'s check (its managers) now; raises Refused otherwise."""
    if plan is None or plan.workspace_id != who.workspace_id:
        raise Refused("review.refuse.not_found")
    proposer = month is None and plan.kind == plans.SATISFACTION and who.user_id == plan.user_id
    if not proposer and (who.user_id == plan.user_id
                         or not manages(session, who, plan.team_id)):
        raise Refused("review.refuse.not_yours")
    if plan.open_key is None:
        raise Refused("review.refuse.plan_closed")
    if month is not None:
        team, tz = team_of(session, plan.team_id)
        opens = next_working_day(plans.check_day(plan, month), working_for(session, team))
        if not 1 <= month <= plan.months or now.astimezone(tz).date() < opens:
            raise Refused("review.refuse.check_early", month=month,
                          day=day(who.lang, opens))
    return plan


# ----------------------------------------------------------------- levels, competencies

def level_for(session: Session, review: Review, rules: Rules) -> str:
    """The rep's level on the review's team (the team's first level unless set)."""
    found = store.level_of(session, team_id=review.team_id, user_id=review.user_id)
    levels = rules.competencies.levels
    return found if found in levels else levels[0]


def competencies_of(review: Review) -> list[dict]:
    """The rating's competencies: [{key, rating, example}] (none before a rating)."""
    try:
        found = json.loads(review.competencies or "[]")
    except ValueError:
        return []
    return [c for c in found if isinstance(c, dict) and c.get("key")]


# ----------------------------------------------------------------- the result conversation

def plan_talk(session: Session, *, review: Review, manager: str, now: datetime,
              zone: Callable[[str], ZoneInfo]) -> Slot:
    """When the result conversation should be (seed 000, seed 003: 1对1, 30 minutes): the
    first half hour in both people's working hours from the team's calibration time on the
    second working day after the rating, clear of their other talks and calibrations."""
    team, tz = team_of(session, review.team_id)
    info = team_info(session, team, now=now)
    day_ = add_working_days(now.astimezone(tz).date(), TALK_AFTER_DAYS, info.working)
    prefer = parse_hhmm(info.calibration_at, DEFAULT_TIME)
    start = store.utc(now)
    end = start + timedelta(days=21)
    busy = [(at, TALK_LENGTH) for at in store.talks(
        session, workspace_id=review.workspace_id, people=(manager, review.user_id),
        start=start, end=end, besides=review.id)]
    for pair in cal.team_pairs(session, info):
        if manager in (pair.manager, pair.rep) or review.user_id in (pair.manager, pair.rep):
            busy += [(o.at, cal.MEETING) for o in cal.occurrences(session, pair, start, end)
                     if o.open]
    return first_slot(day_, prefer, tz, [zone(manager), zone(review.user_id)], info.working,
                      length=TALK_LENGTH, not_before=start, busy=busy)


def move_refusal(session: Session, review: Review, at: datetime, now: datetime) -> str | None:
    """Why the talk cannot move to `at` (a catalogue key), or None: as a calibration's move
    (bot/services/calibration.py), from 5 minutes to 60 days ahead, on a working day."""
    team, tz = team_of(session, review.team_id)
    return cal.moment_refusal(at, now, tz, working_for(session, team))


def refusal_words(session: Session, review: Review, at: datetime, lang: str) -> dict:
    """What a refused move's text names: the day asked for, the team, its next working day."""
    team, tz = team_of(session, review.team_id)
    asked = at.astimezone(tz).date()
    return {"day": day(lang, asked), "team": team.name,
            "next": day(lang, next_working_day(asked, working_for(session, team)))}


def parse_record(body: str | None) -> dict:
    """A record version's JSON; {} when there is none, or the retention blanked it."""
    try:
        found = json.loads(body or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def latest_record(session: Session, review: Review) -> dict:
    latest = store.latest_record(session, review_id=review.id)
    return parse_record(latest.body if latest else None)


def record_of(session: Session, review: Review) -> tuple[dict, list, str]:
    """The latest record (as JSON), its action items, and the rep's comment on it."""
    answers = [r.body for r in store.records(session, review_id=review.id)
               if r.kind == store.CONFIRMED]
    return (latest_record(session, review), actions.of_review(session, review_id=review.id),
            answers[-1] if answers else "")


def rules_of(session: Session, review: Review) -> Rules:
    return rules_for(session, review.team_id)
