"""The `home` job: every minute, republish the App Homes whose data changed (store/homes.py
marks them stale in the transaction that changed it), each at most once a minute and only for
people who opened their Home. Claimed by compare-and-set, so two processes never publish the
same Home for the same change; a Home Slack refused is retried a minute later (5 times)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.jobs import registry as jobs
from bot.jobs.registry import Job, RunResult, TeamInfo
from store import homes, teams

JOB = "home"


def run_home(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    from bot.services import (
        home,  # lazy: bot.services.home reaches bot.jobs.registry (through the review steps)
    )

    result = RunResult()
    with deps.sessions() as session:
        rows = homes.stale(session, now=now, gap=home.GAP, workspace_id=deps.only_workspace)
        if team:
            found = teams.find_team(session, name=team, workspace_id=deps.only_workspace)
            summary = next(s for s in teams.list_teams(session, workspace_id=found.workspace_id)
                           if s.name == found.name)
            people = {*summary.managers, *summary.members}
            rows = [r for r in rows if r.workspace_id == found.workspace_id
                    and r.user_id in people]
    served: dict[str, bool] = {}
    for row in rows:
        if not served.setdefault(row.workspace_id, deps.serves(row.workspace_id)):
            continue  # uninstalled: stays stale until Pacer is back
        with deps.sessions() as session:
            if not homes.claim_stale(session, row_id=row.id, now=now, gap=home.GAP):
                result.skipped += 1  # another process published it meanwhile
                continue
        who = f"{row.user_id} ({row.workspace_id})"
        if home.send(deps, deps.client_for(row.workspace_id), row.id, row.workspace_id,
                     row.user_id, now):
            result.sent += 1
            result.lines.append(f"published the Home of {who}")
        else:
            result.failed += 1
            result.lines.append(f"failed the Home of {who}: see the log (retried in a minute)")
    return result


def _every_minute(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


jobs.register(Job(JOB, "App Home: republish the dashboards whose data changed", run_home,
                  "every minute; each changed Home at most once a minute, only for people "
                  "who opened theirs", _every_minute))
