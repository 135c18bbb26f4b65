"""The `digest` job: one DM a day listing the reminders and alerts collected for a person who
chose a digest (`/pacer me digest 17:30`), at that time in their own zone.

The outbox collects those messages as they fall due (bot/jobs/outbox.py: DIGESTED_JOBS),
each recorded `digested` in the ledger with its content (store/digests.py). Each tick, for
every person with collected items not yet in a digest, the digest of the latest day whose
digest time has passed is delivered through the outbox under
``digest:<workspace>:<user>:<local day>``, so it goes once however often and in however many
processes the job runs, and after a restart. Claimed first, it then takes the items owed by
its time (a retry takes the same ones), so no item rides in two digests; items collected
after a day's digest went out wait for the next one, and so do those of a digest missed past
the catch-up window (it is given up; its items are owed again). A digest falling in the
person's quiet hours is held like any DM. Someone who turns the digest off gets what was
still collected in one last digest at the next tick.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.calendar.workdays import at_local
from bot.deps import Deps
from bot.jobs.outbox import Due, RunResult, deliver
from bot.render.digest import digest_blocks
from bot.services.teams import TeamInfo, team_infos
from store import digests, prefs

log = logging.getLogger(__name__)

JOB = "digest"
RECENT = timedelta(days=3)  # how far back the items of a given-up digest are owed again


def run_digest(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """Every digest that is due and has something in it; one person's trouble never stops
    the rest."""
    result = RunResult()
    by_workspace: dict[str, list[TeamInfo]] = defaultdict(list)
    for info in team_infos(deps, team):
        by_workspace[info.workspace_id].append(info)
    for workspace_id, infos in by_workspace.items():
        with deps.sessions() as session:
            owed = digests.owed(session, workspace_id=workspace_id, since=now - RECENT)
            chosen = prefs.with_digest(session, workspace_id=workspace_id) if owed else {}
        if not owed:
            continue
        client = deps.client_for(workspace_id)
        for user_id in sorted(owed):
            info = _team_of(infos, user_id)
            if info is None:
                continue  # not on a team this run covers
            try:
                result.add(_visit(deps, client, info, user_id, chosen.get(user_id),
                                  owed[user_id], now))
            except Exception:  # noqa: BLE001 - log it, count it, carry on with the others
                log.exception("digest: could not handle %s of team %s", user_id, info.name)
                result.failed += 1
                result.lines.append(f"failed {user_id} ({info.name}): unexpected error, "
                                    "see the log")
    return result


def _team_of(infos: list[TeamInfo], user_id: str) -> TeamInfo | None:
    """The team the ledger files a person's digest under: one they are on or manage, else
    (with every team of the workspace in the run) the first."""
    for info in infos:
        if user_id in info.reps or user_id in info.managers:
            return info
    return infos[0] if infos else None


def due_day(at: time, tz: ZoneInfo, now: datetime) -> tuple[datetime, str]:
    """The latest digest time `at` (zone `tz`) at or before `now`, and its local day."""
    today = now.astimezone(tz).date()
    due_at = at_local(today, at, tz)
    if due_at > now:
        due_at = at_local(today - timedelta(days=1), at, tz)
    return due_at, due_at.astimezone(tz).date().isoformat()


def _visit(deps: Deps, client: WebClient, info: TeamInfo, user_id: str, at: time | None,
           first: datetime, now: datetime) -> RunResult:
    """`first`: when the earliest item no digest has taken fell due."""
    result = RunResult()
    profile = deps.users.profile(client, info.workspace_id, user_id)
    if at is None:  # the digest was turned off: what it still holds goes now, once
        due_at = now.replace(second=0, microsecond=0)
        period = f"{due_at.astimezone(profile.tz).date().isoformat()}-last"
    else:
        due_at, period = due_day(at, profile.tz, now)
    due = Due(JOB, info, user_id, period, due_at)

    def message() -> dict:  # runs once the digest is claimed: then it takes its items
        with deps.sessions() as session:
            items = digests.take(session, workspace_id=info.workspace_id, user_id=user_id,
                                 digest_key=due.key, up_to=due_at)
        return digest_blocks(profile.lang, items=items, day=due_at.astimezone(profile.tz).date(),
                             tz=profile.tz)

    if first > due_at:
        return result  # nothing collected by this digest's time: the next one takes it
    deliver(deps, client, due, now=now, answered=False, message=message, result=result)
    return result
