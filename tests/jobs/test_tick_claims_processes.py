"""Issue 15: two and three real processes tick the same minute on one PostgreSQL database of
their own; each team is worked by exactly one of them, each process gets a share, and no
message goes out twice. (The processes here are tick workers: `pacer run` without its HTTP
server, the scheduler's claiming tick run once at a frozen clock.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRIDAY_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # brief and report owed in Shanghai
N_TEAMS, REPS = 6, 2


def worker() -> None:
    """One process: announce itself, wait for the go (so every process is counted), then
    run every job once as the scheduler does at the frozen minute, and print what it did."""
    import time

    from bot.clock import FixedClock
    from bot.config import Settings
    from bot.deps import Deps
    from bot.jobs.scheduler import tick_all
    from bot.services.teams import SharedTick
    from bot.services.tick_claims import TickClaims

    settings = Settings(database_url=os.environ["DATABASE_URL"], bot_token="xoxb-test",
                        signing_secret="x", slack_api_url=os.environ["SLACK_API_URL"])
    deps = Deps.build(settings, clock=FixedClock(datetime.fromisoformat(
        os.environ["PACER_NOW"])))
    shared = SharedTick(TickClaims())
    shared.claims.join(deps)
    print("ready", flush=True)
    sys.stdin.readline()
    cpu = time.process_time()
    results = tick_all(deps, shared)
    print(json.dumps({"owner": shared.claims.owner, "mine": sorted(shared.mine),
                      "sent": sum(r.sent for r in results.values() if r),
                      "failed": sum(1 if r is None else r.failed for r in results.values()),
                      "cpu": time.process_time() - cpu}), flush=True)
    deps.engine.dispose()


def run_workers(url: str, api_url: str, n: int) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": url, "SLACK_API_URL": api_url,
           "PACER_NOW": FRIDAY_1730.isoformat()}
    code = "from tests.jobs.test_tick_claims_processes import worker; worker()"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
             for _ in range(n)]
    try:
        for proc in procs:  # every process counted before any claims
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return [json.loads(proc.communicate(timeout=120)[0].splitlines()[-1])
                for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


@pytest.mark.parametrize("n", [2, 3])
def test_real_processes_share_a_tick(n: int, pg_url: str, fake_slack) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from bot.clock import FixedClock
    from store import claims, teams
    from store.models import Delivery
    from tests.conftest import WORKSPACE, make_deps

    _, deps = make_deps(pg_url, fake_slack, FixedClock(FRIDAY_1730))
    with deps.sessions() as s:
        for t in range(N_TEAMS):
            teams.create_team(s, workspace_id=WORKSPACE, name=f"Team {t}",
                              channel_id=f"C{t:04d}", managers=[f"UM{t:03d}"],
                              members=[f"U{t:03d}R{r}" for r in range(REPS)],
                              tz="Asia/Shanghai", currency="CNY",
                              now=datetime(2026, 11, 2, tzinfo=UTC))
        ids = sorted(t.id for t in teams.all_teams(s))

    outs = run_workers(pg_url, fake_slack.api_url, n)

    # Each team worked by exactly one process, and each process got its share.
    mine = [set(out["mine"]) for out in outs]
    assert sorted(t for m in mine for t in m) == ids
    assert all(len(m) in (N_TEAMS // n, -(-N_TEAMS // n)) for m in mine), mine
    with deps.sessions() as s:
        owners = claims.claimed(s, minute=FRIDAY_1730)
        ledger = s.execute(select(Delivery.key, Delivery.status, Delivery.claimed_by)).all()
    assert {unit: owner for unit, owner in owners.items() if unit.startswith("team:")} == {
        f"team:{t}": out["owner"] for out in outs for t in out["mine"]}
    # Each team's brief and report DMs and its channel summary went out, each once, from
    # the process that worked the team.
    posts = Counter((c.args["channel"], str(c.args.get("text")))
                    for c in fake_slack.find("chat.postMessage"))
    assert max(posts.values()) == 1
    assert {channel for channel, _ in posts} == {f"C{t:04d}" for t in range(N_TEAMS)} | {
        f"DU{t:03d}R{r}" for t in range(N_TEAMS) for r in range(REPS)}
    assert sum(out["sent"] for out in outs) == len(posts) == sum(
        1 for _, status, _ in ledger if status == "sent")
    assert all(out["sent"] > 0 and out["failed"] == 0 for out in outs)
    assert {who for _, _, who in ledger} == {out["owner"] for out in outs}
    deps.engine.dispose()
