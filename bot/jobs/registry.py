"""What the scheduled jobs do. bot/jobs/scheduler.py only decides when to ask.

Each runnable job is `run(deps, *, now, team=None) -> RunResult` and answers one question:
what is due by `now`, for each team and rep, in their own time zone, and not yet delivered?
Every delivery goes through the ledger (store/deliveries.py) under a unique key, so running a
job twice, after a restart, or in several processes at once sends each message once, and a
run after downtime sends what it missed while that is still within the job's catch-up window.
`pacer jobs run`, the console's `:run` and the scheduler's tick all call the same function.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.calendar.periods import week_bounds, week_period
from bot.calendar.workdays import FRIDAY, at_local, last_friday, next_working_at
from bot.deps import Deps
from bot.render.reminders import brief_request_blocks, checkin_reminder_blocks
from bot.services.teams import (  # noqa: F401 - re-exported: the jobs' shared vocabulary
    BRIEF_TIME,
    CHECKIN_TIME,
    TeamInfo,
    team_info,
    team_infos,
)
from store import briefs, checkins, deliveries
from store.models import Delivery, max_length
from store.privacy import is_pseudonym

log = logging.getLogger(__name__)

# A message due this long ago and never sent is still sent (the bot was down, or Slack
# refused); older than this it is given up, logged, and recorded so it is logged once.
CATCH_UP = timedelta(hours=3)

OWNER = f"{socket.gethostname()}:{os.getpid()}"[:64]


class JobError(ValueError):
    """No such job, or one that is not available yet."""


@dataclass
class RunResult:
    sent: int = 0
    skipped: int = 0  # due, but answered already, delivered already, or another process has it
    failed: int = 0  # Slack refused; retried on the next run within the catch-up window
    gave_up: int = 0  # missed the catch-up window, or failed too many times
    lines: list[str] = field(default_factory=list)  # what happened, one line each

    def add(self, other: RunResult) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed
        self.gave_up += other.gave_up
        self.lines += other.lines

    def summary(self) -> str:
        return (f"sent {self.sent}, skipped {self.skipped}, failed {self.failed}, "
                f"gave up {self.gave_up}")


# ----------------------------------------------------------------- one delivery

@dataclass(frozen=True)
class Due:
    """One message a rep is owed: when it fell due, under which ledger key."""

    job: str
    team: TeamInfo
    user_id: str  # the recipient: a DM to this user ...
    period: str
    due_at: datetime
    channel: str | None = None  # ... or, when set, a post in this channel instead

    @property
    def key(self) -> str:
        whom = f"#{self.channel}" if self.channel else self.user_id
        return f"{self.job}:{self.team.workspace_id}:{whom}:{self.period}"

    def ledger(self) -> dict:
        # The key holds the whole period; the period column is a label for people reading
        # the table, cut to fit (a calibration's notices name the pair, meeting and time).
        return {"key": self.key, "job": self.job, "workspace_id": self.team.workspace_id,
                "team_id": self.team.id, "user_id": None if self.channel else self.user_id,
                "period": self.period[:max_length(Delivery, "period")], "due_at": self.due_at}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        return f"Slack {status}: {exc.response.get('error', 'error')}"
    return f"{type(exc).__name__}: {exc}"


def deliver(deps: Deps, client: WebClient, due: Due, *, now: datetime, answered: bool,
            message: Callable[[], dict], result: RunResult,
            catch_up: timedelta = CATCH_UP) -> None:
    """Claim, post, record: the one path every scheduled message takes (a DM, or a post in
    `due.channel`)."""
    if not due.channel and is_pseudonym(due.user_id):
        return  # a forgotten person (store/privacy.py) who still owns a lead: nobody to DM
    who = f"{due.channel or due.user_id} ({due.team.name}, {due.period})"
    if now - due.due_at > catch_up:
        # Missed. Recorded once (so it is logged once), unless it was never owed: answered
        # anyway, or due before the team existed (a first start must not "give up" on history).
        if answered or due.due_at < due.team.created_at:
            return
        with deps.sessions() as session:
            recorded = deliveries.give_up(session, **due.ledger(), now=now, owner=OWNER,
                                          final_seen=deps.final_keys(),
                                          reason=f"missed the {catch_up} catch-up window")
        if recorded:
            result.gave_up += 1
            result.lines.append(f"gave up {who}: due {due.due_at:%Y-%m-%d %H:%M} UTC, "
                                f"missed the catch-up window")
        return
    if answered:
        result.skipped += 1
        result.lines.append(f"skipped {who}: already answered")
        return
    with deps.sessions() as session:  # committed before posting: the claim holds from here
        claim = deliveries.claim(session, **due.ledger(), now=now, owner=OWNER,
                                 final_seen=deps.final_keys())
    if claim is None:
        result.skipped += 1
        result.lines.append(f"skipped {who}: already delivered or being delivered")
        return
    try:
        channel = due.channel or client.conversations_open(users=due.user_id)["channel"]["id"]
        body = message()
        posted = client.chat_postMessage(channel=channel, text=body["text"],
                                         blocks=body["blocks"])
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, record it and go on
        if not isinstance(exc, SlackApiError):
            log.exception("%s: building or posting %s failed", due.job, due.key)
        with deps.sessions() as session:
            status = deliveries.mark_failed(session, claim=claim, error=_error_text(exc),
                                            now=now)
        if status == deliveries.GAVE_UP:
            result.gave_up += 1
            result.lines.append(f"gave up {who}: {_error_text(exc)} (attempt {claim.attempt})")
        else:
            result.failed += 1
            result.lines.append(f"failed {who}: {_error_text(exc)} (will retry)")
        return
    with deps.sessions() as session:
        if deliveries.mark_sent(session, claim=claim, channel=posted.get("channel", channel),
                                ts=posted.get("ts"), now=now):
            deps.final_keys().add(due.key)
    result.sent += 1
    result.lines.append(f"sent {who} to {channel}")


def each_rep(deps: Deps, team: str | None, job: str,
              visit: Callable[[WebClient, TeamInfo, str], RunResult]) -> RunResult:
    """Call `visit` for every rep of every team; one rep's trouble never stops the rest."""
    result = RunResult()
    for info in team_infos(deps, team):
        client = deps.client_for(info.workspace_id)
        for user_id in info.reps:
            try:
                result.add(visit(client, info, user_id))
            except Exception:  # noqa: BLE001 - log it, count it, carry on with the others
                log.exception("%s: could not handle %s of team %s", job, user_id, info.name)
                result.failed += 1
                result.lines.append(f"failed {user_id} ({info.name}): unexpected error, "
                                    "see the log")
    return result


# ----------------------------------------------------------------- checkin-reminder

def _checkin_days(info: TeamInfo, local_today: date) -> list[date]:
    # Yesterday too, so a reminder missed entirely is given up (and logged) the next day.
    return [d for d in (local_today - timedelta(days=1), local_today) if info.working(d)]


def run_checkin_reminder(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """A DM at the check-in time, in each rep's own zone, on the team's working days, to
    reps with no check-in for their local day. Once per rep per local day."""
    checked_in: dict[tuple[str, date], set[str]] = {}  # one query per workspace and day

    def answered(workspace_id: str, day: date, user_id: str) -> bool:
        if (workspace_id, day) not in checked_in:
            with deps.sessions() as session:
                checked_in[(workspace_id, day)] = checkins.users_checked_in(
                    session, workspace_id=workspace_id, day=day)
        return user_id in checked_in[(workspace_id, day)]

    def visit(client: WebClient, info: TeamInfo, user_id: str) -> RunResult:
        result = RunResult()
        profile = deps.users.profile(client, info.workspace_id, user_id)
        for day in _checkin_days(info, now.astimezone(profile.tz).date()):
            due_at = at_local(day, info.checkin_at, profile.tz)
            if due_at > now:
                continue
            deliver(deps, client, Due("checkin-reminder", info, user_id, day.isoformat(),
                                        due_at), now=now,
                    answered=answered(info.workspace_id, day, user_id), result=result,
                     message=lambda d=day: checkin_reminder_blocks(profile.lang, day=d,
                                                                   at=info.checkin_at))
        return result

    return each_rep(deps, team, "checkin-reminder", visit)


def _next_checkin(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    return next_working_at(now, info.checkin_at, tz, info.working)


# ----------------------------------------------------------------- friday-brief

def run_friday_brief(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """Friday at the team's brief time in each rep's zone, a DM asking for the week's brief,
    to reps who have not sent it. A Friday that is a holiday or day off of the team is
    skipped, not moved to Thursday: the week's brief can still be sent with /brief. Once per
    rep per ISO week."""
    briefed: dict[tuple[str, date], set[str]] = {}  # one query per workspace and week

    def visit(client: WebClient, info: TeamInfo, user_id: str) -> RunResult:
        result = RunResult()
        profile = deps.users.profile(client, info.workspace_id, user_id)
        friday = last_friday(now.astimezone(profile.tz).date())
        due_at = at_local(friday, info.brief_at, profile.tz)
        if not info.working(friday) or due_at > now:
            return result
        week_start = week_bounds(friday)[0]
        if (info.workspace_id, week_start) not in briefed:
            with deps.sessions() as session:
                briefed[(info.workspace_id, week_start)] = briefs.users_briefed(
                    session, workspace_id=info.workspace_id, week_start=week_start)
        deliver(deps, client, Due("friday-brief", info, user_id, week_period(friday).label, due_at),
                 now=now, answered=user_id in briefed[(info.workspace_id, week_start)],
                 result=result,
                 message=lambda: brief_request_blocks(profile.lang, week_start=week_start,
                                                      at=info.brief_at))
        return result

    return each_rep(deps, team, "friday-brief", visit)


def _next_brief(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    return next_working_at(now, info.brief_at, tz, info.working, weekday=FRIDAY)


# ----------------------------------------------------------------- the registry

JobFn = Callable[..., RunResult]


@dataclass(frozen=True)
class Job:
    name: str
    what: str
    run: JobFn | None = None  # None: not yet available
    when: str = ""  # the schedule in words, for `pacer jobs list`
    next_due: Callable[[TeamInfo, ZoneInfo, datetime], datetime | None] | None = None
    posts: bool = True  # False: works on the database only (needs no Slack token)

    @property
    def available(self) -> bool:
        return self.run is not None


def _run_alerts(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    from bot.jobs.alerts import run_alerts  # lazy: bot.jobs.alerts imports this module

    return run_alerts(deps, now=now, team=team)


def _next_alerts(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    from bot.jobs.alerts import next_due

    return next_due(info, tz, now)


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("checkin-reminder", "daily check-in reminder DM to reps who have not checked in",
        run_checkin_reminder, f"working days at {CHECKIN_TIME:%H:%M} in each rep's own zone",
        _next_checkin),
    Job("friday-brief", "Friday DM asking each rep for the week's brief", run_friday_brief,
        f"working Fridays at {BRIEF_TIME:%H:%M} in each rep's own zone", _next_brief),
    Job("friday-report", "Friday progress report: a DM to each rep and a team summary"),
    Job("alerts", "alerts to managers: new-customer growth, idle leads, pace, bunched deals",
        _run_alerts, "every minute (idle leads); growth the week's first working day 09:00, "
        "pace working Wednesdays 12:00, bunched deals after months and quarters; team time",
        _next_alerts),
    Job("month-end", "month-end scorecards, leaderboards and honours"),
    Job("quarter-end", "quarter-end reviews, leaderboards and honours"),
    Job("calibration", "bi-weekly calibration prompts and pre-meeting reminders"),
    Job("actions", "action-item reminders when due"),
    Job("review", "review cycle: requests, reminders and escalations"),
)}


def register(*extra: Job) -> None:
    """Jobs defined in their own modules (bot/jobs/reports.py) take their registry entry."""
    JOBS.update({job.name: job for job in extra})


def runnable() -> list[Job]:
    return [job for job in JOBS.values() if job.available]


def run_job(deps: Deps, name: str, *, now: datetime, team: str | None = None) -> RunResult:
    """Run one job once as if the clock read `now` (the scheduler's tick does the same)."""
    job = JOBS.get(name)
    if job is None:
        raise JobError(f"no job named {name!r}; the jobs are: {', '.join(JOBS)}")
    if job.run is None:
        raise JobError(f"{name} is not yet available in this build")
    result = job.run(deps, now=now, team=team)
    if result.sent or result.failed or result.gave_up:
        log.info("%s at %s: %s", name, now.isoformat(), result.summary())
    return result


def describe(deps: Deps, *, now: datetime, team: str | None = None) -> list[str]:
    """`pacer jobs list`: every job, whether it runs, and per team its schedule and next run
    (shown in the team's zone; each rep's own zone is from their last stored profile)."""
    infos = team_infos(deps, team)
    lines = []
    for job in JOBS.values():
        if not job.available:
            lines.append(f"{job.name}\tnot yet available\t{job.what}")
            continue
        lines.append(f"{job.name}\tavailable\t{job.what}")
        if not infos:
            lines.append("  (no teams yet)")
        for info in infos:
            lines.append(f"  team {info.name}: {job.when}; {_holidays_text(info)}; "
                         f"next: {_next_text(job, info, now)}")
    return lines


def _holidays_text(info: TeamInfo) -> str:
    country = f"{info.country} public holidays" if info.country else "no public holidays"
    return f"{country} and {len(info.days_off)} team day(s) off skipped"


def _next_text(job: Job, info: TeamInfo, now: datetime) -> str:
    assert job.next_due is not None
    found = [(at, user) for user, tz in info.stored_zones.items()
             if (at := job.next_due(info, tz, now)) is not None]
    if not found:
        return "none (no reps)" if not info.reps else "none in the next 60 days"
    at, user = min(found)
    local = at.astimezone(ZoneInfo(info.tz))
    return f"{local:%a %Y-%m-%d %H:%M} {info.tz} (first: {user})"


import bot.jobs.calibration  # noqa: E402, F401 - registers calibration, actions
import bot.jobs.home  # noqa: E402, F401 - registers home
import bot.jobs.reports  # noqa: E402, F401 - registers friday-report, month-end, quarter-end
import bot.jobs.review  # noqa: E402, F401 - registers review
import bot.services.privacy  # noqa: E402, F401 - registers retention
