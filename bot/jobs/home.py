"""Publishing App Homes: the `home` job, and the Home's own outbox (build, publish, record).

A Home is published when its person opens it, when they press something on it (`refresh`),
and by the `home` job: every minute it republishes the Homes whose data changed
(store/homes.py marks them stale in the transaction that changed it), each at most once a
minute (GAP) and only for people who opened their Home, so nothing is recomputed on the
request path. Claimed by compare-and-set, so two processes never publish the same Home for
the same change; a Home Slack refused is retried a minute later (5 times).
What a Home shows is bot/services/home.py's; how it looks, bot/render/home.py's.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.deps import Deps, Who
from bot.jobs.outbox import RunResult
from bot.render.home import home_view
from bot.services.home import gather
from store import homes, teams

log = logging.getLogger(__name__)

JOB = "home"
GAP = timedelta(minutes=1)  # a Home is republished for data changes at most this often


def run_home(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    result = RunResult()
    with deps.sessions() as session:
        rows = homes.stale(session, now=now, gap=GAP, workspace_id=deps.only_workspace)
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
            if not homes.claim_stale(session, row_id=row.id, now=now, gap=GAP):
                result.skipped += 1  # another process published it meanwhile
                continue
        who = f"{row.user_id} ({row.workspace_id})"
        if send(deps, deps.client_for(row.workspace_id), row.id, row.workspace_id,
                     row.user_id, now):
            result.sent += 1
            result.lines.append(f"published the Home of {who}")
        else:
            result.failed += 1
            result.lines.append(f"failed the Home of {who}: see the log (retried in a minute)")
    return result


# ----------------------------------------------------------------- one Home

def build(deps: Deps, client: WebClient, workspace_id: str, user_id: str,
          now: datetime) -> dict:
    """The person's Home view as it stands at `now`, in their language and zone."""
    who = Who(workspace_id, user_id, deps.users.profile(client, workspace_id, user_id))
    with deps.sessions() as session:
        board = gather(session, deps, who, now)
    # Zones after the session: a profile lookup may write, in a session of its own.
    zones = {u: deps.users.profile(client, workspace_id, u).tz for u in board.others()}
    return home_view(who.lang, board, tz=who.profile.tz, zones=zones)


def send(deps: Deps, client: WebClient, row_id: int, workspace_id: str, user_id: str,
         now: datetime) -> bool:
    """Build and publish a Home this process has claimed; a refusal marks it stale again
    (retried a minute later, up to homes.MAX_FAILURES times in a row)."""
    try:
        client.views_publish(user_id=user_id, view=build(deps, client, workspace_id,
                                                         user_id, now))
    except Exception:  # noqa: BLE001 - logged; the Home is retried by the `home` job
        log.exception("home: publishing %s's Home in %s failed", user_id, workspace_id)
        with deps.sessions() as session:
            homes.failed(session, row_id=row_id)
        return False
    with deps.sessions() as session:
        homes.published(session, row_id=row_id)
    return True


def refresh(deps: Deps, client: WebClient, workspace_id: str, user_id: str) -> bool:
    """Republish now: the person pressed something on their Home (it has no response_url
    to redraw, and they are looking at it). False for someone who never opened it."""
    now = deps.clock.now()
    with deps.sessions() as session:
        row_id = homes.claim_now(session, workspace_id=workspace_id, user_id=user_id, now=now)
    return row_id is not None and send(deps, client, row_id, workspace_id, user_id, now)
