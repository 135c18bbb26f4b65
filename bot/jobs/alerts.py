"""The `alerts` job (SPEC §3, seed 001): early warnings, each sent once, in a coach's voice.

Run every tick. Four alerts, each checked per team in the team's time zone, and each message
delivered through the outbox (bot/jobs/outbox.py) under the key
``alerts:<workspace>:<recipient>:<alert>:t<team id>:<period>``, so it goes once per condition
per period however often, and in however many processes, the job runs:

growth   First working day of the week, 09:00 team time, to the managers: when the last two
         complete ISO weeks each grew new customers won (distinct customers of new-business
         deals, team-wide) by less than 5% over the week before. Growth from 0 to 0 is 0%
         (under 5%: a stall is what this alert is for); from 0 to anything is unbounded (not
         under). Only once the team has existed in Pacer for all three weeks looked at.
         Period: the current week ("growth:t1:2026-W48").
idle48   To the owner, leads waiting for a follow-up over 48 working hours: the rule the
         behaviour points charge (bot/scoring/points.py `lapses`, bot/services/idle.py): a
         lead at a watched stage (rules.points.idle_lead_stages: lead and contacted by
         default; never won or lost) whose wait began at its last touch, creation or stage
         change, counted on the team's working days only (weekends, public holidays and days
         off stop the clock); what App Home, the data pack and `/lead list` flag. A lapse is
         due at the top of the hour after its 48-working-hour mark, and one DM per rep per
         such hour lists every lead whose lapse fell in it: the period names the hour
         ("idle48:t1:20261120T10"), so one lead lapse is in exactly one key and is never sent
         twice, while leads going quiet together arrive in one message. A touch ends the
         lapse; the next quiet spell starts a new one with a new mark, hence a new key.
idle72   The same at 72 working hours, to the managers (one DM per manager per hour of 72 h
         marks).
pace     Working Wednesdays at 12:00 team time, to the managers: reps whose touches this week
         (calls, visits, emails) are behind kbi_pace, pro rata to the working days over by
         Wednesday (Monday and Tuesday, when both are working days). Only if someone is behind.
         Period: the week.
bunched  The first working day after a month or quarter, 09:00 team time, to the managers:
         when over half of the period's deal value landed in its last 3 calendar days,
         team-wide or for a rep with at least 10% of the team's deal value (2 deals at least
         either way: one deal is not a pattern). Period: the month or quarter.

Missed by more than the catch-up window (the bot was down), an alert is given up and logged
like any scheduled message.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.calendar.periods import (
    Period,
    month_period,
    previous,
    quarter_period,
    week_bounds,
    week_period,
)
from bot.calendar.workdays import (
    WEDNESDAY,
    at_local,
    first_working_day,
    weekday_on_or_before,
    working_days,
)
from bot.deps import Deps
from bot.jobs.outbox import CATCH_UP, Due, RunResult, deliver, remember_final_many
from bot.render.alerts import (
    LeadLine,
    PaceLine,
    Split,
    bunched_blocks,
    growth_blocks,
    idle_manager_blocks,
    idle_rep_blocks,
    pace_blocks,
)
from bot.scoring.kbi import BEHIND, kbi_pace
from bot.services.idle import Clock, Waiting, waiting_over_many
from bot.services.teams import TeamInfo, team_infos
from store import alerts as store
from store import deliveries
from store import scoring as facts_store
from store.privacy import is_pseudonym

log = logging.getLogger(__name__)

JOB = "alerts"
GROWTH_TIME = time(9, 0)
GROWTH_LIMIT = 0.05
PACE_TIME = time(12, 0)
BUNCHED_TIME = time(9, 0)
BUNCHED_DAYS = 3
BUNCHED_SHARE = Decimal("0.5")  # over this share of the value in the last days
BUNCHED_REP_SHARE = Decimal("0.1")  # a rep's "meaningful amount": this share of the team's
BUNCHED_MIN_DEALS = 2
IDLE_HOURS = 48  # the alerts' names (idle48, idle72); the hours are the team's rules
ESCALATE_HOURS = 72  # (points.idle_lead_hours, 48 by default; escalated a day later at least)
# An alert missed by more than this is not looked at again (no query, no give-up): it was
# recorded as given up by the ticks of the day it was missed, and a lead idle for months or
# a month-end alert in the middle of the next month costs nothing per tick.
LOOKBACK = CATCH_UP + timedelta(days=1)

Check = Callable[[Deps, WebClient, TeamInfo, datetime], RunResult]


def run_alerts(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """Every alert for every team; one alert's trouble never stops the others."""
    result = RunResult()
    infos = team_infos(deps, team)
    remember_final_many(deps, JOB, infos)  # after a restart: a few reads, not one per team
    checks: dict[str, Check] = {"growth": _growth, "idle": _idle_of(infos, now), "pace": _pace,
                                "bunched": _bunched}
    for info in infos:
        client = deps.client_for(info.workspace_id)
        for name, check in checks.items():
            try:
                result.add(check(deps, client, info, now))
            except Exception:  # noqa: BLE001 - log it, count it, carry on with the others
                log.exception("alerts: %s failed for team %s", name, info.name)
                result.failed += 1
                result.lines.append(f"failed {name} ({info.name}): unexpected error, see the log")
    return result


# ----------------------------------------------------------------- helpers

def _due(info: TeamInfo, user_id: str, alert: str, period: str, due_at: datetime) -> Due:
    return Due(JOB, info, user_id, f"{alert}:t{info.id}:{period}", due_at)


def _managers(deps: Deps, info: TeamInfo) -> list[str]:
    """The team's managers as of this tick (its team information, ordered by user id as
    store.managers reads them: no read per team and alert)."""
    return list(info.managers)


def _owed(deps: Deps, info: TeamInfo, *, alert: str, period: str,
          due_at: datetime) -> list[str]:
    """The team's managers whose `alert` of `period` is not sent or given up yet: what this
    process remembers as final, then one indexed read for the rest. Asked before an alert's
    facts are computed, so a tick inside an alert's window (27 hours) computes them only for
    teams still owed it, not for every team on every minute."""
    keys = {m: _due(info, m, alert, period, due_at).key for m in info.managers
            if not is_pseudonym(m)}  # a forgotten manager gets no DM (outbox.deliver)
    remembered = deps.final_keys()
    unknown = [key for key in keys.values() if key not in remembered]
    if unknown:
        with deps.sessions() as session:
            remembered.update(deliveries.final_keys(session, keys=unknown))
    return [m for m, key in keys.items() if key not in remembered]


def _to_managers(deps: Deps, client: WebClient, info: TeamInfo, *, now: datetime, alert: str,
                 period: str, due_at: datetime, message: Callable[[str], dict],
                 managers: list[str] | None = None) -> RunResult:
    """One DM per manager (of `managers`, else the team's), each in their own language."""
    result = RunResult()
    for manager in _managers(deps, info) if managers is None else managers:
        deliver(deps, client, _due(info, manager, alert, period, due_at), now=now,
                answered=False, result=result,
                message=lambda m=manager: message(
                    deps.users.profile(client, info.workspace_id, m).lang))
    return result


def _in_window(due_at: datetime, now: datetime) -> bool:
    return due_at <= now and now - due_at <= LOOKBACK


def growth(before: int, after: int) -> float | None:
    """Week-on-week growth; None for unbounded (from 0 to something)."""
    if before == 0:
        return 0.0 if after == 0 else None
    return (after - before) / before


def _under(value: float | None) -> bool:
    return value is not None and value < GROWTH_LIMIT


# ----------------------------------------------------------------- growth

class _Days(NamedTuple):
    """An alert's days for a team on one local day: a function of the team's zone and
    calendar only, so worked out once for the teams sharing them (_days)."""

    today: date
    monday: date
    growth_at: datetime | None  # the week's first working day, GROWTH_TIME
    wednesday: date
    pace_at: datetime  # the week's Wednesday, PACE_TIME (whether a working day or not)
    pace_day: bool  # Wednesday is a working day
    bunched: tuple[tuple[Period, datetime | None], ...]  # the month and quarter before


# (zone, country, days off, local day) -> _Days: every team asks each minute, most share.
_DAYS: dict[tuple[str, str | None, frozenset[date], date], _Days] = {}
DAYS_MAX = 4096  # forgotten all at once past it


def _days(info: TeamInfo, now: datetime) -> _Days:
    tz = ZoneInfo(info.tz)
    today = now.astimezone(tz).date()
    key = (info.tz, info.country, info.days_off, today)
    found = _DAYS.get(key)
    if found is None:
        if len(_DAYS) >= DAYS_MAX:
            _DAYS.clear()
        monday = week_bounds(today)[0]
        day = first_working_day(monday, monday + timedelta(days=6), info.working)
        wednesday = weekday_on_or_before(today, WEDNESDAY)
        bunched = []
        for period_of in (month_period, quarter_period):
            period = previous(period_of(today))
            first = first_working_day(period.end + timedelta(days=1), today, info.working)
            bunched.append((period, None if first is None else at_local(first, BUNCHED_TIME, tz)))
        found = _DAYS[key] = _Days(
            today, monday, None if day is None else at_local(day, GROWTH_TIME, tz), wednesday,
            at_local(wednesday, PACE_TIME, tz), info.working(wednesday), tuple(bunched))
    return found


def _growth(deps: Deps, client: WebClient, info: TeamInfo, now: datetime) -> RunResult:
    if not info.reps:  # an emptied team: "no growth for two weeks" would coach nobody
        return RunResult()
    days = _days(info, now)
    if days.growth_at is None or not _in_window(days.growth_at, now):
        return RunResult()
    tz, monday = ZoneInfo(info.tz), days.monday
    weeks = [week_period(monday - timedelta(weeks=k)) for k in (3, 2, 1)]
    if info.created_at > at_local(weeks[0].start, time(0), tz):
        return RunResult()  # Pacer has not seen the three weeks
    due_at, period = days.growth_at, week_period(monday).label
    owed = _owed(deps, info, alert="growth", period=period, due_at=due_at)
    if not owed:
        return RunResult()
    with deps.sessions() as session:
        counts = store.new_customers_by_week(session, team_id=info.id, weeks=weeks)
    rises = [None, growth(counts[0], counts[1]), growth(counts[1], counts[2])]
    if not (_under(rises[1]) and _under(rises[2])):
        return RunResult()
    rows = [(w.start, n, g) for w, n, g in zip(weeks, counts, rises, strict=True)]
    return _to_managers(
        deps, client, info, now=now, alert="growth", period=period, due_at=due_at,
        managers=owed, message=lambda lang: growth_blocks(lang, team=info.name, weeks=rows,
                                                          limit=round(GROWTH_LIMIT * 100)))


# ----------------------------------------------------------------- idle leads

def _hour_after(mark: datetime) -> datetime:
    """The top of the hour after `mark` (in UTC): when a lapse marked then is due."""
    mark = mark.astimezone(UTC)
    return mark.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


Idle = tuple[int, list[Waiting]]  # an alert's hours for the team, and its leads over them


def _idle_of(infos: list[TeamInfo], now: datetime) -> Check:
    """The idle-lead check of every team in `infos`: the leads waiting now are read for all
    of them at once, at the first team's check (a few statements a minute, not a few per
    team); a team whose rules or read failed fails its own check, as before."""
    waiting: dict[int, dict[int, Idle | Exception]] = {}

    def check(deps: Deps, client: WebClient, info: TeamInfo, at: datetime) -> RunResult:
        if not waiting:
            waiting.update(_waiting_now(deps, infos, now))
        found = {alert: waiting[alert].get(info.id, (0, [])) for alert in waiting}
        for leads in found.values():
            if isinstance(leads, Exception):
                raise leads
        return _idle(deps, client, info, at, found)  # type: ignore[arg-type]

    return check


def _waiting_now(deps: Deps, infos: list[TeamInfo],
                 now: datetime) -> dict[int, dict[int, Idle | Exception]]:
    """Per alert (48, 72), per team, the leads waiting longer than its hours by `now` whose
    lapse may still be in the window: due at the top of the hour after it (_hour_after), a
    lapse more than LOOKBACK and an hour old is out of it (_in_window)."""
    clocks: dict[int, dict[int, Clock]] = {IDLE_HOURS: {}, ESCALATE_HOURS: {}}
    failed: dict[int, Exception] = {}
    for info in infos:
        try:
            rules = info.rules  # read with the team's information: no read per team
        except Exception as exc:  # noqa: BLE001 - the team's own check reports it
            failed[info.id] = exc
            continue
        hours = rules.points.idle_lead_hours
        for alert, wait in ((IDLE_HOURS, hours),
                            (ESCALATE_HOURS, max(ESCALATE_HOURS, hours + 24))):
            clocks[alert][info.id] = Clock(wait, ZoneInfo(info.tz), info.working, rules,
                                           info.away, (info.country, info.days_off))
    found: dict[int, dict[int, Idle | Exception]] = {}
    for alert, teams in clocks.items():
        try:
            with deps.sessions() as session:
                leads = waiting_over_many(session, teams=teams, now=now,
                                          lapsed_from=now - LOOKBACK - timedelta(hours=1))
            found[alert] = {team_id: (teams[team_id].hours, leads[team_id])
                            for team_id in teams}
        except Exception as exc:  # noqa: BLE001 - every team's check reports it
            log.exception("alerts: reading the idle leads of %d teams failed", len(teams))
            found[alert] = dict.fromkeys(teams, exc)
        found[alert].update(failed)
    return found


def _idle(deps: Deps, client: WebClient, info: TeamInfo, now: datetime,
          waiting: dict[int, Idle]) -> RunResult:
    result = RunResult()
    for alert in (IDLE_HOURS, ESCALATE_HOURS):
        hours, leads = waiting[alert]
        batches: dict[datetime, list[Waiting]] = defaultdict(list)
        for lead in leads:
            due_at = _hour_after(lead.mark)
            if _in_window(due_at, now):
                batches[due_at].append(lead)
        for due_at, batch in sorted(batches.items()):
            period = f"{due_at:%Y%m%dT%H}"
            if alert == IDLE_HOURS:
                result.add(_idle_to_owners(deps, client, info, now, due_at, period, batch,
                                           hours))
            else:
                result.add(_to_managers(
                    deps, client, info, now=now, alert=f"idle{alert}", period=period,
                    due_at=due_at,
                    message=lambda lang, batch=batch, hours=hours: idle_manager_blocks(
                        lang, team=info.name, leads=_lines(batch), hours=hours)))
    return result


def _lines(leads: list[Waiting]) -> list[LeadLine]:
    """The leads as a message lists them, built only for a message sent: the hours each has
    waited are counted day by day (most of a tick's leads are in alerts already sent)."""
    return [LeadLine(name=lead.name, owner=lead.owner, stage=lead.stage, key=lead.key,
                     since=lead.since, hours=lead.hours) for lead in leads]


def _idle_to_owners(deps: Deps, client: WebClient, info: TeamInfo, now: datetime,
                    due_at: datetime, period: str, leads: list[Waiting],
                    hours: int) -> RunResult:
    result = RunResult()
    by_owner: dict[str, list[Waiting]] = defaultdict(list)
    for lead in leads:
        by_owner[lead.owner].append(lead)
    for owner, own in sorted(by_owner.items()):
        profile = deps.users.profile(client, info.workspace_id, owner)
        deliver(deps, client, _due(info, owner, f"idle{IDLE_HOURS}", period, due_at), now=now,
                answered=False, result=result,
                message=lambda own=own, profile=profile: idle_rep_blocks(
                    profile.lang, leads=_lines(own), hours=hours, tz=profile.tz))
    return result


# ----------------------------------------------------------------- mid-week pace

def _pace(deps: Deps, client: WebClient, info: TeamInfo, now: datetime) -> RunResult:
    days = _days(info, now)
    tz, wednesday, due_at = ZoneInfo(info.tz), days.wednesday, days.pace_at
    if not days.pace_day or not _in_window(due_at, now) or not info.reps:
        return RunResult()
    week = week_period(wednesday)
    owed = _owed(deps, info, alert="pace", period=week.label, due_at=due_at)
    if not owed:
        return RunResult()
    days = working_days(week.start, week.end, country=info.country, days_off=info.days_off)
    rules = info.rules
    with deps.sessions() as session:
        facts = facts_store.rep_facts(session, team_id=info.id, period=week,
                                      user_ids=list(info.reps))
    behind = []
    for rep in info.reps:
        joined = info.joined.get(rep)
        first = joined.astimezone(tz).date() if joined else week.start
        person = info.working_for(rep)  # their away days expect nothing
        own = [d for d in days if d >= first and person(d)]
        elapsed = [d for d in own if d < wednesday]
        if not elapsed:
            continue  # too new this week to be judged
        touches = kbi_pace(facts[rep], period=week, working_days=len(own),
                           working_days_elapsed=len(elapsed), rules=rules)[0]
        if touches.status == BEHIND:
            behind.append(PaceLine(rep, int(touches.done), int(touches.expected_by_now),
                                   int(touches.target)))
    if not behind:
        return RunResult()
    return _to_managers(
        deps, client, info, now=now, alert="pace", period=week.label, due_at=due_at,
        managers=owed, message=lambda lang: pace_blocks(lang, team=info.name, week_start=week.start,
                                         behind=behind, at=PACE_TIME))


# ----------------------------------------------------------------- bunched deals

def _bunched(deps: Deps, client: WebClient, info: TeamInfo, now: datetime) -> RunResult:
    result = RunResult()
    currency = ""
    for period, due_at in _days(info, now).bunched:
        if due_at is None or not _in_window(due_at, now):
            continue
        owed = _owed(deps, info, alert="bunched", period=period.label, due_at=due_at)
        if not owed:
            continue
        tail_start = period.end - timedelta(days=BUNCHED_DAYS - 1)
        with deps.sessions() as session:
            rows = store.deal_split(session, team_id=info.id, start=period.start,
                                    end=period.end, tail_start=tail_start)
            currency = currency or store.currency(session, team_id=info.id)
        whole = Split("", sum((r.total for r in rows), Decimal(0)),
                      sum((r.tail for r in rows), Decimal(0)), sum(r.deals for r in rows),
                      sum(r.tail_deals for r in rows))
        reps = [Split(r.user_id, r.total, r.tail, r.deals, r.tail_deals) for r in rows
                if r.total >= whole.total * BUNCHED_REP_SHARE and _bunched_split(r)]
        if not (_bunched_split(whole) or reps):
            continue
        reps.sort(key=lambda s: (-s.tail, s.user_id))
        result.add(_to_managers(
            deps, client, info, now=now, alert="bunched", period=period.label,
            due_at=due_at, managers=owed,
            message=lambda lang, label=period.label, whole=whole, reps=reps, cur=currency: (
                bunched_blocks(lang, team=info.name, period=label, currency=cur,
                               days=BUNCHED_DAYS, whole=whole, reps=reps))))
    return result


def _bunched_split(split: Split | store.DealSplit) -> bool:
    return (split.deals >= BUNCHED_MIN_DEALS and split.total > 0
            and split.tail > split.total * BUNCHED_SHARE)
