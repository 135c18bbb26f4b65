"""The `calibration` and `actions` jobs (SPEC §3, seed 001 §三2: "每两周自动发送日程邀请, 会前提醒
双方准备材料, 会后自动生成纪要并归档, 关键待办事项同步至任务列表").

Run every tick; each message goes through the outbox (bot/jobs/outbox.py) under a key naming the
job, the recipient and what it is for, so it is sent once however often and in however many
processes the job runs. Times are the team's (its zone, its working days); each person reads
them in their own zone.

calibration, for every rep–manager pair (bot/services/calibration.py) and each of its calibrations:
  dayahead    the team's working day before, at the meeting's time: the data pack and the four
              questions to both. Key dayahead:t<team>:<rep>:<slot>@<UTC time>: a calibration
              moved to a new time gets its packs again, for the new time.
  hourbefore  an hour before: the pack again (fresh), the manager's with the rep's answers
              and a Record-minutes button. Same key shape.
              Either is owed only if the calibration already had its time when it fell due
              (one moved to tomorrow 09:00 at 17:00 today gets no "a day ahead" pack late),
              and only before the meeting starts. Missed by over 3 h: given up.
  minutes     45 minutes after the start, to the manager, while there are no minutes.
  nudge       the team's next working day at the meeting's time, to both, once, while there
              are no minutes and it was not marked as not happened.
              Both kept for 24 h if the bot was down. Ad hoc calibrations get no nudge.
  digest      the first working day of each week at 09:00, to each manager's manager (else
              the admins, store.teams.escalation_for): the calibrations of their managers
              that were marked as not happened, or nudged and still without minutes, since
              the previous digest. Key digest:t<team>:<ISO week>.
actions, for every open action item:
  due1        09:00 in the owner's zone on the team's working day before it is due;
  due0        09:00 on the day it is due (if the team works that day).
              Keys due1|due0:a<item>:<due date>: moving the due date re-arms them. Owed only
              if the item existed when the reminder fell due.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.calendar.periods import week_bounds, week_period
from bot.calendar.workdays import at_local, next_working_day, previous_working_day
from bot.deps import Deps
from bot.jobs.outbox import CATCH_UP, Due, RunResult, deliver, dm_key, each_team
from bot.render import actions as render_actions
from bot.render import calibrate as render
from bot.services import calibration as cal
from bot.services.teams import TeamInfo, team_infos
from store import actions, teams
from store import calibrations as store_cal
from store.deliveries import aware

log = logging.getLogger(__name__)

JOB, ACTIONS_JOB = "calibration", "actions"
LATE_CATCH_UP = timedelta(hours=24)
HOUR_BEFORE = timedelta(hours=1)
MINUTES_AFTER = cal.CURRENT
DIGEST_TIME = time(9, 0)
REMIND_TIME = time(9, 0)
# How far around now a tick looks for calibrations: the nudge can fall days after one (a
# holiday week), the pack a day ahead of one after a holiday week.
LOOK_BACK = timedelta(days=12)
LOOK_AHEAD = timedelta(days=12)


# ----------------------------------------------------------------- sending

def notify(deps: Deps, client: WebClient, info: TeamInfo, user: str, period: str,
           build: Callable[[str, ZoneInfo], dict]) -> RunResult:
    """A DM that follows from something a person did (answers in, minutes recorded, a move),
    through the ledger like every scheduled message: once, however often it is triggered."""
    profile = deps.users.profile(client, info.workspace_id, user)
    result = RunResult()
    now = deps.clock.now()
    deliver(deps, client, Due(JOB, info, user, period, now), now=now, answered=False,
            result=result, message=lambda: build(profile.lang, profile.tz))
    if result.failed or result.gave_up:
        log.warning("calibration notice %s to %s: %s", period, user, result.lines)
    return result


def send_packs(deps: Deps, client: WebClient, occ: cal.Occurrence, kind: str, period: str,
               *, now: datetime, result: RunResult, due_at: datetime) -> None:
    """The data pack to both sides, each in their language and zone, built once."""
    pair = occ.pair
    built: list[cal.DataPack] = []

    def pack() -> cal.DataPack:
        if not built:
            with deps.sessions() as session:
                built.append(cal.data_pack(session, occ, deps.clock.now()))
        return built[0]

    for viewer, other in ((pair.rep, pair.manager), (pair.manager, pair.rep)):
        profile = deps.users.profile(client, pair.info.workspace_id, viewer)
        other_tz = deps.users.profile(client, pair.info.workspace_id, other).tz
        deliver(deps, client, Due(JOB, pair.info, viewer, period, due_at), now=now,
                answered=False, result=result,
                message=lambda p=profile, v=viewer, o=other_tz: render.pack_blocks(
                    p.lang, pack(), viewer=v, tz=p.tz, other_tz=o, kind=kind))


# ----------------------------------------------------------------- calibration

def run_calibration(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    start, end = now - LOOK_BACK, now + LOOK_AHEAD
    with deps.sessions() as session:  # one read: which teams have anything stored to read
        stored = store_cal.teams_with_calibrations(session, start=start - timedelta(days=31),
                                                   end=end + timedelta(days=31))

    def visit(client: WebClient, info: TeamInfo) -> RunResult:
        result = RunResult()
        read = info.id in stored
        # Nothing stored to read: no session either (most teams, every minute).
        with deps.sessions() if read else nullcontext() as session:
            found = cal.team_occurrences(session, info, start, end, read=read)
        moments: dict[tuple, datetime] = {}  # the team's pairs share their meetings' times
        for occ in found:
            _before(deps, client, occ, now, result, moments)
            _after(deps, client, occ, now, result, moments)
        result.add(_digest(deps, client, info, now))
        return result

    # Both sides' stored profiles in a few reads (after a restart, a read per person).
    people: dict[str, list[str]] = defaultdict(list)
    for info in team_infos(deps, team):
        people[info.workspace_id] += [*info.reps, *info.managers]
    for workspace_id, users in people.items():
        deps.users.preload(workspace_id, users)
    return each_team(deps, team, JOB, visit, paced=False)


def ledger_period(occ: cal.Occurrence, what: str, at: datetime | None = None) -> str:
    """The ledger period of a calibration's message: what, the pair and slot, and a UTC
    stamp when the message belongs to one moment (a moved time re-arms it)."""
    period = f"{what}:t{occ.pair.team_id}:{occ.pair.rep}:{occ.slot}"
    return f"{period}@{_stamp(at)}" if at else period


@lru_cache(maxsize=4096)
def _stamp(at: datetime) -> str:
    """A moment as ledger periods name it (formatted once: every pair's messages of every
    tick name their meeting's moment, and most pairs of a team share it)."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M}"


def _moment(moments: dict[tuple, datetime], of: Callable[[cal.Occurrence], datetime],
            occ: cal.Occurrence) -> datetime:
    """`of(occ)` (cal.day_ahead, cal.next_working_moment): a function of the team's zone and
    calendar and the meeting's time only, so worked out once for the team's pairs meeting
    then (`moments`: one team's, for one run)."""
    key = (of, occ.at)
    found = moments.get(key)
    if found is None:
        found = moments[key] = of(occ)
    return found


def _before(deps: Deps, client: WebClient, occ: cal.Occurrence, now: datetime,
            result: RunResult, moments: dict[tuple, datetime]) -> None:
    if not occ.open or occ.recorded or occ.adhoc or now >= occ.at:
        return
    for kind, due_at in (("dayahead", _moment(moments, cal.day_ahead, occ)),
                         ("hourbefore", occ.at - HOUR_BEFORE)):
        if occ.set_at <= due_at <= now:
            send_packs(deps, client, occ, kind, ledger_period(occ, kind, occ.at),
                       now=now, result=result, due_at=due_at)


def _after(deps: Deps, client: WebClient, occ: cal.Occurrence, now: datetime,
           result: RunResult, moments: dict[tuple, datetime]) -> None:
    if not occ.open or occ.recorded:
        return
    pair = occ.pair
    nudge_at = _moment(moments, cal.next_working_moment, occ)
    minutes_at = occ.at + MINUTES_AFTER
    if minutes_at <= now < nudge_at:
        profile = deps.users.profile(client, pair.info.workspace_id, pair.manager)
        deliver(deps, client, Due(JOB, pair.info, pair.manager,
                                  ledger_period(occ, "minutes", occ.at), minutes_at),
                now=now, answered=False, result=result, catch_up=LATE_CATCH_UP,
                message=lambda: render.minutes_prompt_blocks(profile.lang, occ, tz=profile.tz))
    if not occ.adhoc and nudge_at <= now:
        period = ledger_period(occ, "nudge", occ.at)
        missed, final = now > nudge_at + LATE_CATCH_UP, deps.final_keys()
        for person in (pair.rep, pair.manager):
            profile = deps.users.profile(client, pair.info.workspace_id, person)
            if missed and dm_key(JOB, pair.info.workspace_id, person, period) in final:
                continue  # missed, and final already: `deliver` would return (most pairs)
            deliver(deps, client, Due(JOB, pair.info, person, period, nudge_at),
                    now=now, answered=False, result=result, catch_up=LATE_CATCH_UP,
                    message=lambda p=profile, v=person: render.nudge_blocks(
                        p.lang, occ, viewer=v, tz=p.tz))


def _digest_moment(info: TeamInfo, monday: date) -> datetime | None:
    """09:00 on the week's first working day; None for a week without one."""
    day = next_working_day(monday, info.working)
    return at_local(day, DIGEST_TIME, ZoneInfo(info.tz)) if day < monday + timedelta(
        days=7) else None


def _digest(deps: Deps, client: WebClient, info: TeamInfo, now: datetime) -> RunResult:
    result = RunResult()
    tz = ZoneInfo(info.tz)
    monday = week_bounds(now.astimezone(tz).date())[0]
    due_at = _digest_moment(info, monday)
    if due_at is None or not due_at <= now <= due_at + LATE_CATCH_UP:
        return result
    since = _digest_moment(info, monday - timedelta(days=7)) or due_at - timedelta(days=7)
    lines: dict[str, list[tuple[cal.Occurrence, str]]] = defaultdict(list)
    with deps.sessions() as session:
        for pair in cal.team_pairs(session, info):
            for occ in cal.occurrences(session, pair, since - LOOK_BACK, due_at):
                if occ.adhoc or occ.recorded:
                    continue
                if occ.status == "skipped" and since < occ.at <= due_at:
                    state = "skipped"
                elif occ.open and since < cal.next_working_moment(occ) <= due_at:
                    state = "missed"
                else:
                    continue
                for boss in teams.escalation_for(session, workspace_id=info.workspace_id,
                                                 manager_user_id=pair.manager):
                    lines[boss].append((occ, state))
    week = week_period(monday).label
    for boss, found in sorted(lines.items()):
        profile = deps.users.profile(client, info.workspace_id, boss)
        deliver(deps, client, Due(JOB, info, boss, f"digest:t{info.id}:{week}", due_at),
                now=now, answered=False, result=result, catch_up=LATE_CATCH_UP,
                message=lambda p=profile, f=found: render.digest_blocks(
                    p.lang, team=info.name, week_start=monday - timedelta(days=7), lines=f,
                    tz=p.tz))
    return result


# ----------------------------------------------------------------- actions

def run_actions(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    with deps.sessions() as session:  # one read: the teams with anything due (any zone)
        due = actions.teams_with_open_due(session, by=now.date() + timedelta(days=1)
                                          + LOOK_AHEAD)

    def visit(client: WebClient, info: TeamInfo) -> RunResult:
        result = RunResult()
        if info.id not in due:
            return result
        today = now.astimezone(ZoneInfo(info.tz)).date()
        with deps.sessions() as session:
            items = [i for i in actions.open_due_by(session, team_id=info.id,
                                                    by=today + LOOK_AHEAD)
                     if i.due_on >= today - timedelta(days=2)]
        for item in items:
            profile = deps.users.profile(client, info.workspace_id, item.owner_user_id)
            works = info.working_for(item.owner_user_id)  # not on their away days either
            moments = [("due1", "tomorrow",
                        at_local(previous_working_day(item.due_on, works), REMIND_TIME,
                                 profile.tz))]
            if works(item.due_on):
                moments.append(("due0", "today", at_local(item.due_on, REMIND_TIME,
                                                          profile.tz)))
            for key, when, due_at in moments:
                if not aware(item.created_at) <= due_at <= now:
                    continue
                deliver(deps, client, Due(ACTIONS_JOB, info, item.owner_user_id,
                                          f"{key}:a{item.id}:{item.due_on.isoformat()}",
                                          due_at.astimezone(UTC)),
                        now=now, answered=False, result=result, catch_up=CATCH_UP,
                        message=lambda i=item, w=when, p=profile: render_actions.reminder_blocks(
                            p.lang, i, today=now.astimezone(p.tz).date(), when=w))
        return result

    return each_team(deps, team, ACTIONS_JOB, visit, paced=False)


def next_day_ahead(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    """For `pacer jobs list`: the next day-ahead packs of the team's cadence (pairs that
    moved to their own cadence may differ)."""
    cadence = cal.team_cadence(info)
    today = now.astimezone(cadence.tz).date()
    for slot in cadence.slots(today, today + timedelta(days=60)):
        at = cadence.moment(slot, info.working)
        before = at_local(previous_working_day(at.date(), info.working), cadence.at,
                          cadence.tz)
        if before > now and at >= info.created_at:
            return before
    return None


# ----------------------------------------------------------------- DMs a person's change sends
# (/calibrate and its forms, handlers/calibrate*.py: after the ack)

def send_start_packs(deps: Deps, client: WebClient, occ: cal.Occurrence,
                     now: datetime) -> RunResult:
    """An ad hoc calibration started now (`/calibrate now`): both sides get the pack."""
    return send_packs(deps, client, occ, "start", ledger_period(occ, "start"), now=now,
                      result=RunResult(), due_at=now)


def notify_moved(deps: Deps, client: WebClient, moved: cal.Occurrence, *, by: str,
                 following: bool, zone: Callable[[str], ZoneInfo]) -> None:
    """Whoever of the pair did not move it hears where it went, in both zones (`zone`)."""
    pair = moved.pair
    for person in {pair.rep, pair.manager} - {by}:
        other = pair.manager if person == pair.rep else pair.rep
        notify(deps, client, pair.info, person, ledger_period(moved, "moved", moved.at),
               lambda lang, tz, p=person, o=other: render.moved_blocks(
                   lang, moved, by=by, tz=tz, viewer=p, following=following,
                   other_tz=zone(o)))
