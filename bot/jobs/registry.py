"""Every scheduled job, in one table: its name, what it does, the code that runs it, and when.

Each job is `run(deps, *, now, team=None) -> RunResult` and answers one question: what is due
by `now`, for each team and rep, in their own time zone, and not yet delivered? Its messages
leave through the outbox (bot/jobs/outbox.py), once. bot/jobs/scheduler.py ticks each job;
`pacer jobs run`, the console's `:run` and the scheduler all call `run_job`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from bot.calendar.periods import month_period, quarter_period
from bot.deps import Deps
from bot.jobs import (
    alerts,
    calibration,
    digest,
    home,
    log_followups,
    reminders,
    reports,
    retention,
    review,
    year_end,
)
from bot.jobs.outbox import RunResult
from bot.services.privacy import RETENTION_TIME
from bot.services.teams import BRIEF_TIME, CHECKIN_TIME, TeamInfo, team_infos

log = logging.getLogger(__name__)

JobFn = Callable[..., RunResult]
NextDue = Callable[[TeamInfo, ZoneInfo, datetime], datetime | None]  # (team, a rep's zone, now)


class JobError(ValueError):
    """No such job."""


@dataclass(frozen=True)
class Job:
    name: str
    what: str
    run: JobFn
    when: str  # the schedule in words, for `pacer jobs list`
    next_due: NextDue  # the next run for a team, for `pacer jobs list`
    posts: bool = True  # False: works on the database only (needs no Slack token)
    available: ClassVar[bool] = True  # every job in the table runs in this build


def every_minute(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    """Jobs that look at everything on every tick: the next whole minute."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


JOBS: dict[str, Job] = {job.name: job for job in (
    Job(reminders.CHECKIN_REMINDER,
        "daily check-in reminder DM to reps who have not checked in", reminders.CHECKIN.run,
        f"working days at {CHECKIN_TIME:%H:%M} in each rep's own zone",
        reminders.CHECKIN.next_due),
    Job(reminders.FRIDAY_BRIEF, "Friday DM asking each rep for the week's brief",
        reminders.BRIEF.run, f"working Fridays at {BRIEF_TIME:%H:%M} in each rep's own zone",
        reminders.BRIEF.next_due),
    Job(reports.FRIDAY_REPORT, "Friday progress report: a DM to each rep and a team summary",
        reports.run_friday_report,
        f"working Fridays at {reports.FRIDAY_REPORT_TIME:%H:%M} in the team's zone",
        reports.next_friday_report),
    Job(alerts.JOB, "alerts to managers: new-customer growth, idle leads, pace, bunched deals",
        alerts.run_alerts, "every minute (idle leads); growth the week's first working day "
        "09:00, pace working Wednesdays 12:00, bunched deals after months and quarters; "
        "team time", every_minute),
    Job(reports.MONTH_END, "month-end scorecards, manager overview, leaderboard and honours",
        reports.run_month_end, f"first working day after a month ends, "
        f"{reports.PERIOD_END_TIME:%H:%M} in the team's zone",
        reports.next_period_end(month_period)),
    Job(reports.QUARTER_END, "quarter-end reviews (recommendations to managers), leaderboard "
        "and honours", reports.run_quarter_end, f"first working day after a quarter ends, "
        f"{reports.PERIOD_END_TIME:%H:%M} in the team's zone",
        reports.next_period_end(quarter_period)),
    Job(calibration.JOB, "bi-weekly calibrations: packs a working day and an hour ahead, "
        "minutes prompts, nudges, the weekly digest", calibration.run_calibration,
        "every minute; each pair every two weeks at its time (team zone), working days; "
        "next: the team cadence's day-ahead packs", calibration.next_day_ahead),
    Job(calibration.ACTIONS_JOB, "action-item reminders a working day before and on the due "
        "day", calibration.run_actions, "every minute; 09:00 in each owner's zone",
        every_minute),
    Job(review.JOB, "review cycle: self-assessments, ratings, the result conversation (talk "
        "pack, record both confirm), appeals, improvement plans", review.run_review,
        "every minute; reviews open at 09:00 on the first working day after a month or "
        "quarter, reminders and escalations at 09:00; team time", every_minute),
    Job(year_end.JOB, "year end: annual grade from the quarters' final grades, bonus signal, "
        "promotion and management-trainee recommendations", year_end.run_year_end,
        "every minute in the new year; each rep at 09:00 (team time) on the working morning "
        "after their quarters are all final", year_end.next_year_end),
    Job(digest.JOB, "daily digest DM: the reminders and alerts collected for people who chose "
        "one (/pacer me digest 17:30)", digest.run_digest,
        "every minute; each person's digest once a day at their time, in their own zone, when "
        "something was collected", every_minute),
    Job(home.JOB, "App Home: republish the dashboards whose data changed", home.run_home,
        "every minute; each changed Home at most once a minute, only for people who opened "
        "theirs", every_minute),
    Job(log_followups.JOB, "settles /log rows whose follow-up after the ack (customer link, "
        "App Home marks) a stopped process left undone", log_followups.run_log_followups,
        "every minute, and when Pacer starts", every_minute, posts=False),
    Job(retention.JOB, "blanks free text older than the notes retention (pacer retention "
        "show); the numbers stay", retention.run_retention,
        f"daily at {RETENTION_TIME:%H:%M} UTC per workspace that set a retention",
        retention.next_retention, posts=False),
)}


def runnable() -> list[Job]:
    return list(JOBS.values())


def run_job(deps: Deps, name: str, *, now: datetime, team: str | None = None) -> RunResult:
    """Run one job once as if the clock read `now` (the scheduler's tick does the same)."""
    job = JOBS.get(name)
    if job is None:
        raise JobError(f"no job named {name!r}; the jobs are: {', '.join(JOBS)}")
    result = job.run(deps, now=now, team=team)
    if result.sent or result.failed or result.gave_up:
        log.info("%s at %s: %s", name, now.isoformat(), result.summary())
    return result


def describe(deps: Deps, *, now: datetime, team: str | None = None) -> list[str]:
    """`pacer jobs list`: every job, and per team its schedule and next run (shown in the
    team's zone; each rep's own zone is from their last stored profile)."""
    infos = team_infos(deps, team)
    lines = []
    for job in JOBS.values():
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
    found = [(at, user) for user, tz in info.stored_zones.items()
             if (at := job.next_due(info, tz, now)) is not None]
    if not found:
        return "none (no reps)" if not info.reps else "none in the next 60 days"
    at, user = min(found)
    local = at.astimezone(ZoneInfo(info.tz))
    return f"{local:%a %Y-%m-%d %H:%M} {info.tz} (first: {user})"
