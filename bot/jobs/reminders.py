"""The reminder DMs: `checkin-reminder` (daily) and `friday-brief` (weekly), one flow.

Both ask each rep, at the team's time in the rep's own zone and on the team's working days,
for something they have not sent yet: today's check-in, or the week's brief on Friday. They
differ only in which days they fall on, what counts as answered, and the message, so each is a
`Reminder` (data) run by the same code. Once per rep per day (or ISO week), through the
outbox's ledger.

Held by the rep's quiet hours (bot/jobs/outbox.py), a reminder goes out when they end, the
same day; one they hold past the end of its day is given up: a check-in reminder for
yesterday, or a brief request on Saturday, is noise. Someone who asked for no Friday brief
request (`/pacer me brief off`, store/prefs.py) counts as having answered it.

A Friday that is a holiday or day off of the team gets no brief reminder: it is skipped, not
moved to Thursday (the week's brief can still be sent with /brief). Nor does a rep on one of
their away days (`/pacer away`; TeamInfo.working_for), nor, on a team that reads Slack's
status (`/pacer team away-status`), a rep whose status says so when the reminder falls due
(bot/jobs/away_status.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlmodel import Session

from bot.calendar.periods import week_bounds, week_period
from bot.calendar.workdays import (
    FRIDAY,
    at_local,
    end_of_day,
    next_working_at,
    weekday_on_or_before,
)
from bot.deps import Deps
from bot.jobs.away_status import status_away
from bot.jobs.outbox import CATCH_UP, NOTHING, Due, RunResult, deliver, dm_key, each_rep
from bot.render.reminders import brief_request_blocks, checkin_reminder_blocks
from bot.services.teams import TeamInfo, team_infos
from store import briefs, checkins, prefs

CHECKIN_REMINDER, FRIDAY_BRIEF = "checkin-reminder", "friday-brief"


@dataclass(frozen=True)
class Reminder:
    job: str
    weekday: int | None  # None: every working day; else only that weekday (date.weekday())
    at: Callable[[TeamInfo], time]  # the team's time for it, read in each rep's zone
    period: Callable[[date], str]  # the ledger period of a due day: the day, or its week
    answered: Callable[[Session, str, date], set[str]]  # (session, workspace, day) -> users
    message: Callable[[str, date, time], dict]  # (lang, day, at) -> the DM
    # (session, workspace) -> who asked not to get it: they count as having answered
    opted_out: Callable[[Session, str], set[str]] = lambda session, workspace_id: set()

    def days(self, info: TeamInfo, local_today: date, user_id: str = "") -> list[date]:
        """The working days (of `user_id`: not their away days) whose reminder may be owed by
        `local_today`: for a daily one yesterday too, so a reminder missed entirely is given
        up (and logged) the next day."""
        if self.weekday is None:
            found = [local_today - timedelta(days=1), local_today]
        else:
            found = [weekday_on_or_before(local_today, self.weekday)]
        working = info.working_for(user_id) if user_id else info.working
        return [day for day in found if working(day)]

    def run(self, deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
        """A DM to every rep without an answer whose reminder fell due by `now`."""
        answers: dict[tuple[str, str], set[str]] = {}  # one query per workspace and period

        def answered(workspace_id: str, day: date, user_id: str) -> bool:
            key = (workspace_id, self.period(day))
            if key not in answers:
                with deps.sessions() as session:
                    answers[key] = (self.answered(session, workspace_id, day)
                                    | self.opted_out(session, workspace_id))
            return user_id in answers[key]

        # The days due by now, with their moments, for each team, zone and leave: the same
        # for most of a team's reps, so worked out once for them.
        moments: dict[tuple, list[tuple[date, datetime, datetime, str, bool]]] = {}

        def due_days(info: TeamInfo, tz: ZoneInfo,
                     user_id: str) -> list[tuple[date, datetime, datetime, str, bool]]:
            key = (info.id, tz, info.away.get(user_id, ()))
            if key not in moments:
                at = self.at(info)
                # Held by quiet hours past its day, a day's reminder is dropped, not sent late.
                # Last: missed (past the catch-up window) and the team does not read statuses.
                moments[key] = [(day, due_at, end_of_day(day, tz), self.period(day),
                                 not info.away_status and now > due_at + CATCH_UP)
                                for day in self.days(info, now.astimezone(tz).date(), user_id)
                                if (due_at := at_local(day, at, tz)) <= now]
            return moments[key]

        final = deps.final_keys()  # the same set all run (deliver reads it too)

        def visit(client: WebClient, info: TeamInfo, user_id: str) -> RunResult:
            result = NOTHING  # a RunResult of its own once anything is owed
            profile = deps.users.profile(client, info.workspace_id, user_id)
            at = self.at(info)
            for day, due_at, stale_at, period, missed in due_days(info, profile.tz, user_id):
                if missed and dm_key(self.job, info.workspace_id, user_id, period) in final:
                    continue  # missed, and final already: `deliver` would return (most reps)
                if result is NOTHING:
                    result = RunResult()
                due = Due(self.job, info, user_id, period, due_at, stale_at=stale_at)
                done = answered(info.workspace_id, day, user_id)
                if info.away_status and status_away(deps, client, due, now=now, result=result,
                                                    answered=done):
                    continue
                deliver(deps, client, due, now=now, answered=done, result=result,
                        message=lambda d=day: self.message(profile.lang, d, at))
            return result

        preload_profiles(deps, team_infos(deps, team))
        return each_rep(deps, team, self.job, visit)

    def next_due(self, info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
        """For `pacer jobs list`: the next reminder in zone `tz` (a rep's)."""
        return next_working_at(now, self.at(info), tz, info.working, weekday=self.weekday)


def preload_profiles(deps: Deps, infos: list[TeamInfo]) -> None:
    """Every rep's stored profile in a few reads before the reps are visited one by one:
    after a restart nothing is in memory, and a read per rep cost minutes at 2,000 teams.
    Only who is unknown or stale is then asked of Slack, one by one, as before."""
    by_workspace: dict[str, list[str]] = {}
    for info in infos:
        by_workspace.setdefault(info.workspace_id, []).extend(info.reps)
    for workspace_id, reps in by_workspace.items():
        deps.users.preload(workspace_id, reps)


def _checked_in(session: Session, workspace_id: str, day: date) -> set[str]:
    return checkins.users_checked_in(session, workspace_id=workspace_id, day=day)


def _briefed(session: Session, workspace_id: str, day: date) -> set[str]:
    return briefs.users_briefed(session, workspace_id=workspace_id,
                                week_start=week_bounds(day)[0])


CHECKIN = Reminder(
    CHECKIN_REMINDER, weekday=None, at=lambda info: info.checkin_at,
    period=date.isoformat, answered=_checked_in,
    message=lambda lang, day, at: checkin_reminder_blocks(lang, day=day, at=at))

BRIEF = Reminder(
    FRIDAY_BRIEF, weekday=FRIDAY, at=lambda info: info.brief_at,
    period=lambda day: week_period(day).label, answered=_briefed,
    opted_out=lambda session, workspace_id: prefs.brief_off(session, workspace_id=workspace_id),
    message=lambda lang, day, at: brief_request_blocks(lang, week_start=week_bounds(day)[0],
                                                       at=at))
