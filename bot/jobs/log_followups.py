"""The repair of /log follow-ups a dead process left owed: a log is committed before its ack
and settled after it (customer linked, App Homes marked stale: handlers/log.py). A process
killed in between leaves its row marked `settle_pending`; this job, every minute and first
thing when `pacer run` starts, settles such rows. It leaves alone rows younger than GRACE,
which a live process is most likely settling (and if not, the next tick has them); the claim
in store/activity.py keeps the two from both doing it. No confirmation is sent: the
request's response_url is not kept (the row is shown in `/log list` and on the Home)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.jobs.outbox import RunResult
from bot.services import activity as logs

log = logging.getLogger(__name__)

JOB = "log-followups"
GRACE = timedelta(seconds=5)


def run_log_followups(deps: Deps, *, now: datetime, team: str | None = None) -> RunResult:
    """Settle every log whose follow-up is owed (all teams: a repair, not a delivery)."""
    result = RunResult()
    for activity_id in logs.owed(deps, before=now - GRACE):
        if logs.repair(deps, activity_id):
            result.sent += 1
            result.lines.append(f"settled log {activity_id} (its follow-up was cut off)")
        else:
            result.skipped += 1
    if result.sent:
        log.warning("settled %d log(s) whose follow-up a stopped process left owed",
                    result.sent)
    return result
