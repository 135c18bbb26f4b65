"""Seed a database with many teams' year of activity, fast: SQLAlchemy Core bulk inserts in
chunks (executemany), explicit ids, one transaction per team. Used by benchmarks/scoring.py.

Shape: 20 reps and one manager per team; per rep about 40 customers a year (some created
before the window, so there are signed customers), each walking part of the funnel with
stage changes; per rep about 2.6 logs a day (weekdays 2-5, weekends 0-1), 70% naming a
customer, deals and payments with amounts and due dates, 5% back-dated, 2% undone.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from store import db
from store.models import (
    STAGES,
    Activity,
    Customer,
    Member,
    StageChange,
    Team,
    TeamMember,
    Workspace,
)

WORKSPACE = "T0BENCH"
REPS_PER_TEAM = 20
TIMEZONES = ("Asia/Shanghai", "America/New_York", "Europe/Berlin")
KINDS = ("call", "visit", "email", "discovery", "report", "demo", "objection", "followup",
         "deal", "payment", "training", "certification")
WEIGHTS = (30, 20, 14, 6, 2, 4, 4, 6, 4, 5, 3, 2)
CUSTOMER_KINDS = frozenset(KINDS[:10])
CHUNK = 5_000


@dataclass
class Counts:
    teams: int = 0
    members: int = 0
    customers: int = 0
    stage_changes: int = 0
    activities: int = 0


def user_id(team: int, rep: int) -> str:
    return f"U{team:03d}{rep:03d}"


def seed(engine: Engine, *, reps: int, days: int, end: date, rng_seed: int = 7) -> Counts:
    """`reps` reps in teams of 20, with `days` days of logs ending on `end` (inclusive)."""
    rng = random.Random(rng_seed)
    counts = Counts()
    start = end - timedelta(days=days - 1)
    created = datetime.combine(start - timedelta(days=400), time(0), tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Workspace.__table__), [{"id": WORKSPACE, "name": "Bench",
                                                    "created_at": created}])
    n_teams = max(1, (reps + REPS_PER_TEAM - 1) // REPS_PER_TEAM)
    ids = {"member": 0, "customer": 0, "change": 0, "activity": 0}
    for team in range(1, n_teams + 1):
        team_reps = min(REPS_PER_TEAM, reps - (team - 1) * REPS_PER_TEAM)
        tz = ZoneInfo(TIMEZONES[team % len(TIMEZONES)])
        with engine.begin() as conn:
            conn.execute(insert(Team.__table__), [{
                "id": team, "workspace_id": WORKSPACE, "name": f"Team {team}",
                "channel_id": f"C{team:05d}", "tz": tz.key, "currency": "CNY",
                "created_at": created}])
            people, links = [], []
            for rep in range(team_reps + 1):  # rep 0 is the manager
                ids["member"] += 1
                joined = created + timedelta(days=rng.randrange(0, 700))
                people.append({"id": ids["member"], "workspace_id": WORKSPACE,
                               "user_id": user_id(team, rep),
                               "role": "manager" if rep == 0 else "rep", "joined_at": joined})
                links.append({"team_id": team, "member_id": ids["member"],
                              "is_manager": rep == 0})
            conn.execute(insert(Member.__table__), people)
            conn.execute(insert(TeamMember.__table__), links)
            counts.members += len(people)
            midnights = _midnights(start - timedelta(days=120), end + timedelta(days=3), tz)
            owned: dict[str, list[int]] = {}
            customers, changes = [], []
            for rep in range(1, team_reps + 1):
                owner = user_id(team, rep)
                owned[owner] = []
                for _ in range(max(2, round(40 * days / 365))):
                    ids["customer"] += 1
                    cid = ids["customer"]
                    owned[owner].append(cid)
                    born = midnights[start] + timedelta(
                        seconds=rng.randrange(-90 * 86400, days * 86400))
                    walk = _walk(rng, cid, born, midnights[end] + timedelta(days=1), ids)
                    changes.extend(walk)
                    customers.append({
                        "id": cid, "workspace_id": WORKSPACE, "team_id": team,
                        "name": f"Customer {cid}", "key": f"customer{cid}",
                        "tier": "key" if cid % 10 == 0 else "standard", "owner_user_id": owner,
                        "stage": walk[-1]["to_stage"], "created_at": born,
                        "stage_changed_at": walk[-1]["at"], "last_touched_at": None,
                        "source": None, "lost_reason": None, "external_id": None})
            _bulk(conn, Customer.__table__, customers)
            _bulk(conn, StageChange.__table__, changes)
            counts.customers += len(customers)
            counts.stage_changes += len(changes)
            rows: list[dict] = []
            for rep in range(1, team_reps + 1):
                owner = user_id(team, rep)
                for offset in range(days):
                    day = start + timedelta(days=offset)
                    n = rng.choice((2, 3, 3, 4, 4, 5) if day.weekday() < 5 else (0, 0, 1))
                    for kind in rng.choices(KINDS, WEIGHTS, k=n):
                        ids["activity"] += 1
                        rows.append(_activity(rng, ids["activity"], team, owner, kind, day,
                                              midnights, owned[owner]))
                    if len(rows) >= CHUNK:
                        _bulk(conn, Activity.__table__, rows)
                        counts.activities += len(rows)
                        rows = []
            _bulk(conn, Activity.__table__, rows)
            counts.activities += len(rows)
        counts.teams += 1
    return counts


def _midnights(first: date, last: date, tz: ZoneInfo) -> dict[date, datetime]:
    out, day = {}, first
    while day <= last:
        out[day] = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        day += timedelta(days=1)
    return out


def _walk(rng: random.Random, cid: int, born: datetime, limit: datetime,
          ids: dict[str, int]) -> list[dict]:
    """A customer's stage changes: created as a lead, then some steps down the funnel."""
    stages = ["lead"]
    depth = rng.choices(range(6), (25, 25, 20, 12, 10, 8))[0]
    stages += list(STAGES[1:1 + depth])
    if depth >= 3 and rng.random() < 0.6:
        stages.append("won" if rng.random() < 0.6 else "lost")
    elif rng.random() < 0.1:
        stages.append("lost")
    out, at, previous = [], born, None
    for stage in stages:
        if at >= limit:
            break
        ids["change"] += 1
        out.append({"id": ids["change"], "customer_id": cid, "from_stage": previous,
                    "to_stage": stage, "by_user_id": None, "cause": "manual", "at": at})
        previous = stage
        at += timedelta(hours=rng.randrange(12, 24 * 20))
    return out


def _activity(rng: random.Random, aid: int, team: int, owner: str, kind: str, day: date,
              midnights: dict[date, datetime], customers: list[int]) -> dict:
    recorded = midnights[day] + timedelta(seconds=rng.randrange(9 * 3600, 19 * 3600))
    if rng.random() < 0.05:  # back-dated: logged a day or two later
        recorded += timedelta(days=rng.choice((1, 2)))
    amount = amount_due = due_on = new = None
    if kind == "deal":
        amount = Decimal(rng.randrange(5_000, 200_000))
        new = rng.random() < 0.4
    elif kind == "payment":
        amount = Decimal(rng.randrange(1_000, 100_000))
        due_on = day + timedelta(days=rng.randrange(-20, 15))
        amount_due = amount if rng.random() < 0.5 else None
    customer_id = None
    if kind in CUSTOMER_KINDS and (kind in ("deal", "payment") or rng.random() < 0.7):
        customer_id = rng.choice(customers)
    return {"id": aid, "workspace_id": WORKSPACE, "user_id": owner, "team_id": team,
            "kind": kind, "count": rng.choice((1, 1, 2, 3)) if kind == "call" else 1,
            "customer": f"Customer {customer_id}" if customer_id else None,
            "customer_id": customer_id, "amount": amount, "new_customer": new,
            "amount_due": amount_due, "due_on": due_on, "occurred_on": day, "note": None,
            "text": kind, "source": f"bench:{aid}", "recorded_at": recorded,
            "deleted_at": recorded if rng.random() < 0.02 else None}


def _bulk(conn, table, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for i in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[i:i + CHUNK])


def on_each_database(run: Callable[[str, str, int, int], None], *, description: str) -> None:
    """A benchmark's command line ([--reps N] [--days D] [--no-sqlite]): `run(url, label,
    reps, days)` on a fresh SQLite file, then on a scratch database on the PostgreSQL server
    of DATABASE_URL when it is set (created and dropped here)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    reps, days = args.reps, args.days
    if not args.no_sqlite:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        run(f"sqlite:///{path}", f"SQLite {path}", reps, days)
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql")):
        with scratch_postgres(base) as (url, name):
            run(url, f"PostgreSQL {name}", reps, days)


@contextmanager
def scratch_postgres(base: str) -> Iterator[tuple[str, str]]:
    """(url, name) of a new, empty database on `base`'s PostgreSQL server, dropped on the way
    out: each run starts as empty as SQLite's temporary file (a second run on `base` itself
    would find the first one's teams and rows)."""
    admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"pacer_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(db.normalise_url(base)).set(database=name).render_as_string(
            hide_password=False), name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
