"""The `retention` job: once a day per workspace (and again when its setting changes), blank
free text older than the notes retention (`pacer retention`, bot/services/privacy.py); the
numbers stay. It posts nothing: the ledger (store/deliveries.py) only keys each run by
workspace, day and setting, so several processes and repeated ticks do it once, and a run
missed while down happens on the next tick.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.jobs.outbox import OWNER, RunResult
from bot.services.privacy import RETENTION_TIME, blank_old_text, counts_text
from bot.services.teams import TeamInfo
from store import deliveries, teams
from store import personal_data as store

log = logging.getLogger(__name__)

JOB = "retention"


def _run_day(now: datetime) -> date:
    """The UTC day of the latest RETENTION_TIME at or before `now`."""
    now = now.astimezone(UTC)
    return now.date() if now.time() >= RETENTION_TIME else now.date() - timedelta(days=1)


def run_retention(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """Once a day per workspace (and again when its setting changes): blank free text older
    than the setting. The ledger (store/deliveries.py) keys each run by workspace, day and
    setting, so several processes and repeated ticks do it once; a run missed while down
    happens on the next tick. `--team` picks that team's workspace."""
    result = RunResult()
    with deps.sessions() as session:
        chosen = [teams.find_team(session, name=team).workspace_id] if team \
            else store.workspace_ids(session)
    day = _run_day(now)
    for workspace_id in chosen:
        with deps.sessions() as session:
            setting = store.retention(session, workspace_id=workspace_id)
        if not setting.active:
            continue
        period = f"{day.isoformat()}/{setting.fingerprint}"
        with deps.sessions() as session:
            claim = deliveries.claim(
                session, key=f"{JOB}:{workspace_id}:{period}", job=JOB,
                workspace_id=workspace_id, team_id=None, user_id=None, period=period,
                due_at=datetime.combine(day, RETENTION_TIME, tzinfo=UTC), now=now,
                owner=OWNER)
        if claim is None:
            result.skipped += 1
            result.lines.append(f"skipped workspace {workspace_id}: applied already on "
                                f"{day.isoformat()} with this setting")
            continue
        try:
            blanked = blank_old_text(deps, setting, now)
        except Exception as exc:  # noqa: BLE001 - recorded; the next tick tries again
            log.exception("retention: workspace %s failed", workspace_id)
            with deps.sessions() as session:
                deliveries.mark_failed(session, claim=claim, error=repr(exc), now=now)
            result.failed += 1
            result.lines.append(f"failed workspace {workspace_id}: {exc!r} (will retry)")
            continue
        with deps.sessions() as session:
            deliveries.mark_sent(session, claim=claim, channel=None, ts=None, now=now)
        result.sent += 1
        result.lines.append(f"applied workspace {workspace_id}: free text blanked in "
                            f"{sum(blanked.values())} row(s)"
                            + (f" ({counts_text(blanked)})" if blanked else ""))
        if blanked:
            log.info("retention: workspace %s: blanked %s", workspace_id, counts_text(blanked))
    return result


def next_retention(info: TeamInfo, tz: ZoneInfo, now: datetime) -> datetime | None:
    """For `pacer jobs list`: the next daily run (UTC, whatever the team's zone)."""
    return datetime.combine(_run_day(now) + timedelta(days=1), RETENTION_TIME, tzinfo=UTC)
