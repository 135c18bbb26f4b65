"""Each lead's idle-lead lapses, kept (tables lead_lapses, lead_lapse_states; migration 0029),
so a month's reports read them instead of every lead's month of logs (issue 15).

A lead's kept lapses are what bot/scoring/points.py `lapses` found over ALL its events (no
`now`: up to HORIZON), from `since` on, tagged with what they were computed from: the lead's
event version (lead_event_versions, bumped by the database's triggers on every write of its
logs, stage changes and the customer columns the rule reads) and the fingerprint of its
team's calendar and rules (bot/services/kept_lapses.py). A report takes them only while both
still match; the other leads are computed afresh (and kept again). A version is read before
the events it tags, so a write in between leaves the result tagged with an older version:
recomputed next time, never wrongly taken. Datetimes in and out are aware UTC.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from store.lead_life import _moment, _text
from store.models import AwaySpell, Customer, LeadEventVersion, LeadLapse, LeadLapseState

log = logging.getLogger(__name__)

# Kept lapses are computed with every event up to this moment (`lapses(now=HORIZON)`): one
# result serves any report of a `now` before it; a report after it computes afresh.
HORIZON = datetime(2100, 1, 1, tzinfo=UTC)

C = Customer.__table__
V = LeadEventVersion.__table__
S = LeadLapseState.__table__
M = LeadLapse.__table__


@dataclass(frozen=True)
class Window:
    """A team's report window: lapses from `start` to before `end`, of its leads created by
    `end`, with its calendar's `fingerprint`; the leads of `fresh_owners` are not read from
    the store (their calendar is their own: away spells) but listed in `fresh`."""

    start: datetime
    end: datetime
    fingerprint: str
    fresh_owners: frozenset[str] = frozenset()


@dataclass
class Kept:
    """A team's leads as the store has them for a window: `found` (owner -> (customer id,
    lapse)), the lapses kept and still valid; `stale` (customer id -> (its event version, its
    owner)), those to compute afresh; `fresh`, the leads of the window's fresh owners."""

    found: dict[str, list[tuple[int, datetime]]] = field(default_factory=dict)
    stale: dict[int, tuple[int, str]] = field(default_factory=dict)
    fresh: set[int] = field(default_factory=set)


_WINDOW = (("team_id", Integer), ("start", DateTime(timezone=True)),
           ("end", DateTime(timezone=True)), ("fingerprint", String))


def read(session: Session, *, windows: Mapping[int, Window]) -> dict[int, Kept]:
    """Every team's kept lapses in its window and its stale leads, in ONE statement (one
    snapshot on PostgreSQL too: read apart, a lead written in between could be in neither)."""
    found = {team_id: Kept() for team_id in windows}
    if not windows:
        return found
    selects = [select(*(bindparam(f"{name}_{i}", type_=kind).label(name)
                        for name, kind in _WINDOW)) for i in range(len(windows))]
    P = (selects[0] if len(selects) == 1 else union_all(*selects)).cte("windows")
    version = func.coalesce(V.c.version, 0)
    valid = and_(S.c.customer_id.is_not(None), S.c.version == version,
                 S.c.fingerprint == P.c.fingerprint, S.c.since <= P.c.start)
    owners = sorted({owner for w in windows.values() for owner in w.fresh_owners})
    statement = (
        select(C.c.team_id, C.c.id, C.c.owner_user_id, version.label("version"),
               valid.label("valid"), _text(M.c.at))
        .join_from(C, P, C.c.team_id == P.c.team_id)
        .outerjoin(V, V.c.customer_id == C.c.id)
        .outerjoin(S, S.c.customer_id == C.c.id)
        .outerjoin(M, and_(M.c.customer_id == C.c.id, valid, M.c.at >= P.c.start,
                           M.c.at < P.c.end))
        .where(C.c.owner_user_id.is_not(None), C.c.created_at <= P.c.end,
               or_(~valid, M.c.at.is_not(None),
                   C.c.owner_user_id.in_(owners) if owners else false()))
    )
    params: dict[str, object] = {}
    for i, (team_id, w) in enumerate(sorted(windows.items())):
        params.update({f"team_id_{i}": team_id, f"start_{i}": w.start, f"end_{i}": w.end,
                       f"fingerprint_{i}": w.fingerprint})
    # The rows as the driver hands them (a month of 1,000 reps: 24,000 lapses): SQLAlchemy's
    # rows cost more than the parsing of the moments (`_moment` takes text or datetimes).
    result = session.connection().execute(statement, params)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    for team_id, lead, owner, version, ok, at in rows:
        kept, window = found[team_id], windows[team_id]
        if owner in window.fresh_owners:
            kept.fresh.add(lead)
        elif not ok:
            kept.stale[lead] = (version, owner)
        elif at is not None:
            kept.found.setdefault(owner, []).append((lead, _moment(at)))
    return found


def has_written(session: Session) -> bool:
    """Whether the session's transaction wrote anything yet: what it reads then includes its
    own uncommitted writes, which a kept result must never stand on (a rollback would leave
    it wrong under a version that did not move)."""
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite opens a transaction before the first INSERT/UPDATE/DELETE only.
        return bool(session.connection().connection.dbapi_connection.in_transaction)
    return session.execute(text("SELECT txid_current_if_assigned()")).scalar() is not None


def keep(engine: Engine | Connection,
         results: Mapping[int, tuple[int, str, datetime, Collection[datetime]]]) -> bool:
    """Keep each lead's lapses (customer id -> (event version, fingerprint, since, lapses)),
    in a short transaction of its own on a connection of its own, so a report that only reads
    stays a reader; a failure (a busy or read-only database, a lead deleted meanwhile, two
    processes keeping the same lead at once) is logged and the report goes on: the results
    are kept another time. The state row is written first: it holds the lead's row lock, so
    two writers of one lead take turns (PostgreSQL) and its lapses are theirs alone."""
    if not results:
        return True
    if not isinstance(engine, Engine):  # a session on its caller's connection: kept later
        return False
    ids = sorted(results)
    dialect = engine.dialect.name
    insert = (sqlite if dialect == "sqlite" else postgresql).insert
    states = insert(S)
    states = states.on_conflict_do_update(
        index_elements=[S.c.customer_id],
        set_={"version": states.excluded.version, "fingerprint": states.excluded.fingerprint,
              "since": states.excluded.since})
    try:
        with engine.begin() as conn:
            for chunk in _chunks(ids):
                conn.execute(states, [
                    {"customer_id": lead, "version": results[lead][0],
                     "fingerprint": results[lead][1], "since": results[lead][2]}
                    for lead in chunk])
                conn.execute(delete(M).where(M.c.customer_id.in_(chunk)))
                rows = [{"customer_id": lead, "at": at}
                        for lead in chunk for at in sorted(set(results[lead][3]))]
                if rows:
                    conn.execute(M.insert(), rows)
    except SQLAlchemyError as exc:
        log.warning("kept lapses not written (%d leads): %s", len(ids), exc)
        return False
    return True


def _chunks(ids: list[int], size: int = 2000) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def away_owners(session: Session, *, workspace_ids: Collection[str], start: date,
                end_day: date) -> dict[str, frozenset[str]]:
    """By workspace, the people with an away spell meeting [start, end_day] (/pacer away):
    their leads' clock is their own, so they are not taken from the store."""
    W = AwaySpell.__table__
    found: dict[str, set[str]] = {}
    for workspace, user in session.execute(
            select(W.c.workspace_id, W.c.user_id).distinct()
            .where(W.c.workspace_id.in_(sorted(set(workspace_ids))), W.c.last_day >= start,
                   W.c.first_day <= end_day)):
        found.setdefault(workspace, set()).add(user)
    return {workspace: frozenset(users) for workspace, users in found.items()}
