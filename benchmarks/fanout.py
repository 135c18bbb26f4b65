"""The Friday report's fan-out against a rate-limiting fake Slack: how long one run takes to
send every rep's DM and every team's channel summary, and what Slack's limits cost.

Seeds REPS reps (teams of 20 plus a manager, benchmarks/seed.py, a week of logs) in a fresh
SQLite file, all teams in Shanghai so everything falls due at one moment, every profile known
(no users.info), starts ../shared/tools/fake_slack.py with --rate-limits, and runs
`friday-report` once at Friday 17:00. "Warm" (the default) is a running bot's normal state:
the ledger knows each rep's DM channel from the daily check-in reminders, so each DM is one
chat.postMessage. --cold starts from no known DM channels, so each DM also needs a
conversations.open, which the fake (like Slack, Tier 3) allows 100 a minute.

    .venv/bin/python benchmarks/fanout.py            # 1,000 reps in 50 teams
    .venv/bin/python benchmarks/fanout.py --reps 200 --cold
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402

from benchmarks.seed import WORKSPACE, seed, user_id  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.jobs import registry as jobs  # noqa: E402
from store import db  # noqa: E402
from store.models import Delivery, Member, Team, TeamMember  # noqa: E402

FAKE = ROOT.parent / "shared" / "tools" / "fake_slack.py"
FRIDAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 17:00 in Shanghai
TIER3_PER_MINUTE = 100  # the fake's limit for conversations.open (and users.info)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake(port: int, log: Path) -> subprocess.Popen:
    fake = subprocess.Popen([sys.executable, str(FAKE), str(port), str(log), "--rate-limits"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{port}/api/auth.test", data=b"", method="POST"), timeout=1)
            return fake
        except OSError:
            time.sleep(0.05)
    fake.kill()
    raise SystemExit("the fake Slack did not start")


def prepare(url: str, reps: int, *, cold: bool) -> tuple[int, int]:
    engine = db.make_engine(url)
    db.upgrade(engine)
    counts = seed(engine, reps=reps, days=7, end=FRIDAY)
    with engine.begin() as conn:
        conn.execute(update(Team).values(tz="Asia/Shanghai", holiday_country=None))
        conn.execute(update(Member).values(tz="Asia/Shanghai", locale="en-US",
                                           profile_checked_at=NOW - timedelta(hours=1)))
        conn.execute(update(Member).where(Member.id % 2 == 0).values(locale="zh-CN"))
        if not cold:  # yesterday's check-in reminders: the ledger knows every DM channel
            rows = conn.execute(
                Member.__table__.select().with_only_columns(Member.user_id)
                .join(TeamMember.__table__, TeamMember.member_id == Member.id)
                .where(TeamMember.is_manager.is_(False))).scalars().all()
            at = NOW - timedelta(days=1)
            conn.execute(insert(Delivery.__table__), [{
                "key": f"checkin-reminder:{WORKSPACE}:{u}:2026-11-19", "job": "checkin-reminder",
                "workspace_id": WORKSPACE, "team_id": None, "user_id": u, "period": "2026-11-19",
                "status": "sent", "attempts": 1, "claimed_by": "bench", "claimed_at": at,
                "due_at": at, "sent_at": at, "channel": "D" + u, "ts": "1.0", "last_error": ""}
                for u in rows])
    engine.dispose()
    return counts.teams, counts.activities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--cold", action="store_true",
                        help="no DM channels known yet: one conversations.open per rep")
    args = parser.parse_args()
    assert user_id(1, 1)  # the seed's naming, U001001 ...
    work = Path(tempfile.mkdtemp(prefix="pacer-fanout-"))
    url = f"sqlite:///{work / 'pacer.db'}"
    started = time.perf_counter()
    n_teams, n_logs = prepare(url, args.reps, cold=args.cold)
    print(f"seeded {args.reps} reps in {n_teams} teams ({n_logs} logs) in "
          f"{time.perf_counter() - started:.1f} s; {'cold' if args.cold else 'warm'} DM channels;"
          f" {os.cpu_count()} CPUs", flush=True)
    port, log = free_port(), work / "slack.jsonl"
    fake = start_fake(port, log)
    try:
        settings = Settings(database_url=url, bot_token="xoxb-bench", signing_secret="x",
                            slack_api_url=f"http://127.0.0.1:{port}/api/")
        deps = Deps.build(settings, clock=FixedClock(NOW))
        started = time.perf_counter()
        result = jobs.run_job(deps, "friday-report", now=NOW)
        elapsed = time.perf_counter() - started
        again = jobs.run_job(deps, "friday-report", now=NOW + timedelta(minutes=1))
        deps.engine.dispose()
    finally:
        fake.terminate()
        fake.wait()
    calls = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    limited = [c for c in calls if c.get("rate_limited")]
    posted = [c for c in calls if c["method"] == "chat.postMessage" and not c.get("rate_limited")]
    opened = [c for c in calls if c["method"] == "conversations.open"
              and not c.get("rate_limited")]
    problems = sum(1 for c in calls if c.get("problems") and c["method"] != "auth.test")  # probe
    expected = args.reps + n_teams
    # a sliding minute: the first TIER3_PER_MINUTE opens go at once, each next batch a minute on
    floor = (len(opened) - 1) // TIER3_PER_MINUTE * 60 if opened else 0
    print(f"friday-report: {result.summary()} in {elapsed:.1f} s "
          f"({expected / elapsed:.1f} messages/s); a second run: {again.summary()}")
    print(f"  Slack calls: {len(posted)} chat.postMessage accepted ({args.reps} DMs + {n_teams}"
          f" channel summaries expected), {len(opened)} conversations.open, "
          f"{len(limited)} answered 429 rate_limited, {problems} with Block Kit problems")
    print(f"  floor from the limits: chat.postMessage is limited per channel (1/s), and each "
          f"channel gets one post, so it imposes ~0 s; conversations.open at "
          f"{TIER3_PER_MINUTE}/min for {len(opened)} opens imposes {floor:.0f} s")
    print(f"  time per message: {elapsed / expected * 1000:.1f} ms (scoring 2 weeks per team, "
          f"rendering, the ledger's claim and record, one HTTP post)")
    print(f"  scratch files in {work}")


if __name__ == "__main__":
    main()
