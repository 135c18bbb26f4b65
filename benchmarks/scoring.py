"""How fast the scoring facts come out of a big database (store/scoring.py).

Seeds REPS reps in teams of 20 with DAYS days of activity (1,000 reps, 365 days: about a
million logs) into a fresh SQLite file, and into a scratch database on the PostgreSQL server
of DATABASE_URL when it is set (created and dropped here). Then times the reads the jobs and
commands make, first on the schema as migrated, then again with candidate indexes created by
raw SQL, to show what each index buys. Prints figures; it is not a test.

First, the issue's figure: a month of scorecards for every rep beside the floor (one GROUP BY
of the month's logs), and their ratio.

Run: .venv/bin/python benchmarks/scoring.py [--reps 1000] [--days 365] [--no-sqlite]
     [--only-month] [--db-path FILE] [--profile FILE]

--db-path FILE: the SQLite database is FILE, seeded only when it has no teams yet and kept
afterwards (to compare code on one seed without seeding again); --profile FILE: cProfile one
more run of the month of scorecards into FILE (read it with `python -m pstats FILE`).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, delete, func, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from benchmarks.seed import on_each_database, seed  # noqa: E402
from bot.scoring.facts import Period  # noqa: E402
from bot.scoring.rules import DEFAULT_RULES as RULES  # noqa: E402
from bot.services.reports import team_report, team_reports  # noqa: E402
from store import db, history, idle, scoring  # noqa: E402
from store.models import Activity, LeadLapse, LeadLapseState, Team  # noqa: E402

END = date(2026, 11, 30)
MONTH = Period("month", date(2026, 11, 1), END, "2026-11")
QUARTER = Period("quarter", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
# (name, table, columns): what the scoring reads filter and join on.
# Indexes tried here first, now in the schema (migration 0005); more can be measured so.
CANDIDATES: tuple[tuple[str, str, str], ...] = ()


def timed(label: str, fn: Callable[[], object], rows: Callable[[object], str],
          repeat: int = 3) -> float:
    return timed_cpu(label, fn, rows, repeat)[0]


def timed_cpu(label: str, fn: Callable[[], object], rows: Callable[[object], str],
              repeat: int = 3) -> tuple[float, float]:
    """(best wall time, best CPU time of this process) of `repeat` runs, printed. On a shared
    machine the CPU time is the steadier figure; PostgreSQL's own work is not in it."""
    times, cpus, result = [], [], None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    best = min(times)
    print(f"  {label:<52} {best * 1000:9.1f} ms  (median {statistics.median(times) * 1000:.1f};"
          f" CPU {min(cpus) * 1000:.1f} ms; {rows(result)})", flush=True)
    return best, min(cpus)


def month_of_scorecards(engine: Engine, team_ids: list[int]) -> None:
    """The issue's figure: a month of scorecards for every rep, beside the floor, one GROUP BY
    of the month's logs for all reps, timed in the same run; and their ratio. Twice: all teams
    at once (`team_reports`, set-based), as the scheduled reports compute the teams they owe
    messages (bot/jobs/reports.py `SharedReports`, 50 teams at a time, each with the period
    before too), and one team at a time (`team_report`), as `/scorecard`, `/leaderboard` and
    the App Home compute the one team they show."""
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    A = Activity.__table__
    with Session(engine) as s:
        teams = list(s.exec(select(Team).where(Team.__table__.c.id.in_(team_ids))).scalars())

        def floor() -> int:
            return len(s.exec(
                select(A.c.user_id, A.c.kind, func.sum(A.c.count))
                .where(A.c.deleted_at.is_(None), A.c.occurred_on >= MONTH.start,
                       A.c.occurred_on <= MONTH.end)
                .group_by(A.c.user_id, A.c.kind)).all())

        floor_wall, floor_cpu = timed_cpu("floor: one GROUP BY of the month for all reps", floor,
                                          lambda r: f"{r} rows", repeat=5)

        def cards(prefilter: bool) -> int:
            reports = team_reports(s, teams=teams, period=MONTH, now=now, prefilter=prefilter)
            return sum(len(r.reps) for r in reports.values())

        # The idle-lead lapses are kept per lead (bot/services/kept_lapses.py), by the reports
        # themselves: the first report after seeding (or after a calendar change) computes
        # and keeps them all, the next ones read them. Both are timed: the store emptied.
        with engine.begin() as conn:
            conn.execute(delete(LeadLapse.__table__))
            conn.execute(delete(LeadLapseState.__table__))
        timed_cpu("the first run: no lapse kept yet (it keeps them all)", lambda: cards(False),
                  lambda r: f"{r} scorecards", repeat=1)
        if engine.dialect.name == "postgresql":
            # The first run wrote every lapse: autovacuum analyses a table so changed within
            # its minute (autovacuum_naptime); without it, plans assume the empty table seen
            # after seeding (one team at a time, on one seed: 1.70 s before it, 1.42 s after).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        wall, cpu = timed_cpu("a month of scorecards, all teams at once (the jobs)",
                              lambda: cards(False), lambda r: f"{r} scorecards", repeat=2)
        pre_wall, pre_cpu = timed_cpu("  the same with the SQL lapse prefilter",
                                      lambda: cards(True), lambda r: f"{r} scorecards",
                                      repeat=1)
        print(f"  ratio to the floor: {wall / floor_wall:.0f}x wall, {cpu / floor_cpu:.0f}x"
              f" CPU; with the prefilter {pre_wall / floor_wall:.0f}x wall,"
              f" {pre_cpu / floor_cpu:.0f}x CPU", flush=True)

        def one_by_one() -> int:
            return sum(len(team_report(s, team=team, period=MONTH, now=now).reps)
                       for team in teams)

        each_wall, each_cpu = timed_cpu("the same, one team at a time (as /scorecard)",
                                        one_by_one, lambda r: f"{r} scorecards", repeat=2)
        print(f"  ratio to the floor: {each_wall / floor_wall:.0f}x wall,"
              f" {each_cpu / floor_cpu:.0f}x CPU", flush=True)
        if profile:
            import cProfile  # noqa: PLC0415 - only when asked

            cProfile.runctx("cards(False)", globals(), {"cards": cards},
                            filename=f"{profile}.{engine.dialect.name}")
            print(f"  profile of one more run: {profile}.{engine.dialect.name}", flush=True)


def reads(engine: Engine, team_ids: list[int]) -> dict[str, float]:
    team = team_ids[len(team_ids) // 2]
    out: dict[str, float] = {}
    with Session(engine) as s:
        def facts_rows(r: object) -> str:
            logs = sum(sum(f.totals.values()) for f in r.values())  # type: ignore[union-attr]
            return f"{len(r)} reps, {logs} logs"  # type: ignore[arg-type]

        out["rep_facts, 1 team, 1 month"] = timed(
            "rep_facts, 1 team, 1 month",
            lambda: scoring.rep_facts(s, team_id=team, period=MONTH), facts_rows)
        for metric in ("sales", "touches"):
            out[f"leaderboard {metric}, 1 team, quarter"] = timed(
                f"leaderboard_values {metric}, 1 team, 1 quarter",
                lambda m=metric: scoring.leaderboard_values(s, team_id=team, period=QUARTER,
                                                            metric=m),
                lambda r: f"{len(r)} reps")
        out["members history, 1 team, 12 months"] = timed(
            "members history, 1 team, 12 months",
            lambda: history.members(s, team_id=team, history_end=END + timedelta(days=1)),
            lambda r: f"{len(r)} reps x 6 metrics x 12 months")
        since = datetime(2026, 11, 1, tzinfo=UTC)
        out["lead_touches, 1 team, 1 month"] = timed(
            "lead_touches, 1 team, 1 month (touches since the month)",
            lambda: idle.lead_touches(s, team_id=team, since=since,
                                      until=since + timedelta(days=30), after=since),
            lambda r: f"{len(r)} leads, {sum(len(x.touches) for x in r)} touches")
        out["funnel, 1 team, 1 quarter"] = timed(
            "funnel, 1 team, 1 quarter",
            lambda: scoring.funnel(s, team_id=team, period=QUARTER),
            lambda r: f"{len(r)} leads")

        team_row = s.get(Team, team)
        now = datetime(2026, 12, 1, 9, tzinfo=UTC)
        out["team leaderboard (full report), 1 team, 1 quarter"] = timed(
            "team leaderboard: team_report + ranking, 1 team, 1 quarter",
            lambda: team_report(s, team=team_row, period=QUARTER, now=now).board("sales", RULES),
            lambda r: f"{len(r.standings)} reps ranked")
        out["scorecards (full report), 1 team, 1 month"] = timed(
            "scorecards: team_report (facts + scoring), 1 team, 1 month",
            lambda: team_report(s, team=team_row, period=MONTH, now=now),
            lambda r: f"{len(r.reps)} scorecards")

        def everyone() -> int:
            return sum(len(scoring.rep_facts(s, team_id=t, period=MONTH)) for t in team_ids)

        out["rep_facts, every team, 1 month"] = timed(
            "rep_facts, every team, 1 month (scorecards for all)", everyone,
            lambda r: f"{len(team_ids)} teams, {r} reps", repeat=1)
    return out


def run(url: str, label: str, reps: int, days: int) -> None:
    print(f"\n== {label}: {reps} reps, {days} days", flush=True)
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as s:
        seeded = s.exec(select(func.count()).select_from(Team.__table__)).scalar()
    if seeded:
        print(f"  kept: {seeded} teams seeded before", flush=True)
    else:
        started = time.perf_counter()
        counts = seed(engine, reps=reps, days=days, end=END)
        seconds = time.perf_counter() - started
        print(f"  seeded in {seconds:.1f} s: {counts.teams} teams, {counts.members} members, "
              f"{counts.customers} customers, {counts.stage_changes} stage changes, "
              f"{counts.activities} activities ({counts.activities / seconds:,.0f} logs/s)",
              flush=True)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does on a live server
    with Session(engine) as s:
        team_ids = list(s.exec(select(Team.__table__.c.id).order_by(Team.__table__.c.id))
                        .scalars())
        live = s.exec(select(func.count()).select_from(Activity.__table__)).scalar()
        print(f"  activity rows in the database: {live:,}")
    print(" a month of scorecards:", flush=True)
    month_of_scorecards(engine, team_ids)
    if only_month:
        engine.dispose()
        return
    print(" schema as migrated:", flush=True)
    before = reads(engine, team_ids)
    for name, table, columns in CANDIDATES:
        with engine.begin() as conn:
            started = time.perf_counter()
            conn.execute(text(f"CREATE INDEX {name} ON {table} ({columns})"))
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"ANALYZE {table}"))
        print(f" + index {table}({columns}), built in {time.perf_counter() - started:.1f} s:",
              flush=True)
        after = reads(engine, team_ids)
        for key in before:
            print(f"    {key:<48} {before[key] * 1000:9.1f} -> {after[key] * 1000:9.1f} ms")
        before = after
    engine.dispose()


def _option(name: str) -> str | None:
    """The value of `name VALUE` on the command line, taken out of it (seed's parser does not
    know it)."""
    if name not in sys.argv:
        return None
    at = sys.argv.index(name)
    value = sys.argv[at + 1]
    del sys.argv[at:at + 2]
    return value


def main() -> None:
    global only_month, profile
    only_month = "--only-month" in sys.argv  # the figure alone (skips the reads)
    if only_month:
        sys.argv.remove("--only-month")
    profile = _option("--profile")
    db_path = _option("--db-path")
    if db_path is None:
        on_each_database(run, description=__doc__.splitlines()[0])
        return

    def kept(url: str, label: str, reps: int, days: int) -> None:
        if url.startswith("sqlite"):
            url, label = f"sqlite:///{Path(db_path).resolve()}", f"SQLite {db_path} (kept)"
        run(url, label, reps, days)

    on_each_database(kept, description=__doc__.splitlines()[0])


only_month = False
profile: str | None = None


if __name__ == "__main__":
    main()
