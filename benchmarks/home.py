"""Time the App Home: the stale mark a data change adds to its transaction, and republishing a
Home (a rep's, a manager's, a tick of the `home` job) against a loopback Slack emulator.

Seeds teams of 20 reps and a manager with `--days` of activity (benchmarks/seed.py), opens
every Home (so every mark has rows to match), then prints medians. SQLite in a temporary
file, then a scratch database on DATABASE_URL's PostgreSQL server when it is set.

    .venv/bin/python benchmarks/home.py --reps 200 --days 90 [--no-sqlite]
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.seed import WORKSPACE, on_each_database, seed, user_id  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.grammar.kinds import LogEntry  # noqa: E402
from bot.jobs import home  # noqa: E402
from bot.jobs import registry as jobs  # noqa: E402
from bot.slack.emulator import SlackEmulator  # noqa: E402
from store import activity, db, homes  # noqa: E402
from store.models import HomeView, Member  # noqa: E402

END = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
REPEAT = 100  # timed repetitions of the mark; a fifth of that of each republish


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.2f} ms (p90 " \
           f"{statistics.quantiles(samples, n=10)[-1] * 1000:.2f})"


def run(url: str, label: str, reps: int, days: int, repeat: int) -> None:
    print(f"\n== {label}: {reps} reps, {days} days", flush=True)
    engine = db.make_engine(url)
    db.upgrade(engine)
    counts = seed(engine, reps=reps, days=days, end=END)
    print(f"  seeded {counts.teams} teams, {counts.activities:,} logs", flush=True)
    if engine.dialect.name == "postgresql":  # the seed sets ids itself: move the sequences on
        with engine.begin() as conn:
            for table in ("activities", "members"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
    slack = SlackEmulator(team_id=WORKSPACE).start()
    settings = Settings(database_url=url, bot_token="xoxb-bench", signing_secret="bench",
                        slack_api_url=slack.api_url)
    deps = Deps.build(settings, clock=FixedClock(NOW), engine=engine)
    sessions = deps.sessions
    with sessions() as s:
        people = [m.user_id for m in s.exec(Member.__table__.select()).all()]
        for person in people:
            homes.opened(s, workspace_id=WORKSPACE, user_id=person, now=NOW, shown=False,
                         gap=home.GAP)
    print(f"  {len(people)} Homes opened", flush=True)

    def unmark() -> None:
        with sessions() as s:
            s.execute(update(HomeView.__table__).values(stale=False))

    rep, manager = user_id(1, 1), user_id(1, 0)
    with_mark, mark_only = [], []
    for _ in range(repeat):
        unmark()
        entry = LogEntry(kind="visit", count=1, customer=None, day=END, amount=None,
                         new_customer=None, note=None)
        started = time.perf_counter()
        with sessions() as s:  # what /log commits: the row, and (on commit) the mark
            activity.add(s, workspace_id=WORKSPACE, user_id=rep, team_id=1, entry=entry,
                         text="visit", source=f"bench:{uuid.uuid4().hex}", now=NOW)
        with_mark.append(time.perf_counter() - started)
        unmark()
        marks = homes.Marks()
        marks.user(WORKSPACE, rep)
        marks.managers_of.add(1)
        with sessions() as s:  # inside a transaction, as it runs before /log's commit
            started = time.perf_counter()
            s.execute(homes.mark_statement(marks))
            mark_only.append(time.perf_counter() - started)
    with sessions() as s:
        stale = s.exec(text("SELECT count(*) FROM home_views WHERE stale")).scalar()
    print(f"  a /log transaction (insert + mark, committed) {median_ms(with_mark)}")
    print(f"  of which the mark (one UPDATE, uncommitted)   {median_ms(mark_only)}"
          f"  -> marks {stale} Homes (the rep, the manager)")

    client = deps.client_for(WORKSPACE)
    for who, label_ in ((rep, "a rep's Home (week + month, own numbers)"),
                        (manager, "a manager's Home (20 reps: week, month, calibrations)")):
        home.build(deps, client, WORKSPACE, who, NOW)  # warm: users.info, caches
        samples = []
        for _ in range(max(5, repeat // 5)):
            with sessions() as s:
                row_id = homes.claim_now(s, workspace_id=WORKSPACE, user_id=who, now=NOW)
            started = time.perf_counter()
            assert home.send(deps, client, row_id, WORKSPACE, who, NOW)
            samples.append(time.perf_counter() - started)
        print(f"  republish {label_:<52} {median_ms(samples)}")

    with sessions() as s:  # a whole team changed: its 21 Homes are stale
        s.execute(update(HomeView.__table__).where(HomeView.user_id.like("U001%"))
                  .values(stale=True, published_at=NOW - timedelta(minutes=5)))
    started = time.perf_counter()
    result = jobs.run_job(deps, "home", now=NOW)
    seconds = time.perf_counter() - started
    print(f"  a `home` tick with a team's {result.sent} Homes stale: {seconds:.2f} s "
          f"({seconds / max(1, result.sent) * 1000:.0f} ms a Home), failed {result.failed}")
    print(f"  views.publish calls: {len(slack.find('views.publish'))}")
    slack.stop()
    engine.dispose()


def main() -> None:
    on_each_database(lambda url, label, reps, days: run(url, label, reps, days, REPEAT),
                     description=__doc__.splitlines()[0])


if __name__ == "__main__":
    main()
