"""The idle-lead rule's facts (seed 001 "超48小时未跟进线索"), aggregated in SQL: the life of
each lead (creation, touches, stage changes, closing) for the points, and the leads waiting
for a follow-up right now for the alerts job, App Home, the calibration data pack and /lead
list. The rule itself (watched stages, working hours) is bot/scoring/points.py's `lapses`;
bot/services/idle.py applies it to `waiting`'s candidates. How SQL reads a lead's life (its
closing, its touches) and the report's read of many teams at once: store/lead_life.py.

One team per call; datetimes in and out are aware UTC. Soft-deleted logs are ignored, and so
are the stage changes they caused.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlmodel import Session

from bot.scoring.facts import LeadTouches
from store.lead_life import (  # noqa: F401 - _closed_at, _DayEnds: read from here elsewhere
    _closed_at,
    _DayEnds,
    _moment,
    _text,
    _touches,
    lead_touches_many,
)
from store.scoring import SC, C, _as_utc, _live_change, _team_tz


@dataclass(frozen=True)
class IdleLead:
    id: int
    name: str
    owner: str
    stage: str
    tier: str
    since: datetime  # when its wait began: the last touch, creation or stage change


def waiting(session: Session, *, team_id: int, stages: Sequence[str],
            quiet_since: datetime) -> list[IdleLead]:
    """The team's owned leads at one of `stages` whose wait began before `quiet_since`: the
    latest of their last touch (Customer.last_touched_at), creation and last stage change
    (Customer.stage_changed_at), as `lapses` restarts the clock at each; oldest first."""
    return waiting_many(session, teams={team_id: (tuple(stages), quiet_since)}).get(team_id, [])


def waiting_many(session: Session, *, teams: Mapping[int, tuple[Sequence[str], datetime]],
                 began_from: Mapping[int, datetime] | None = None
                 ) -> dict[int, list[IdleLead]]:
    """`waiting` for many teams in one statement: team id -> (stages, quiet_since). SQL takes
    every stage any of them watches and the latest quiet_since; each team's own are applied
    here, on the few rows that come back. `began_from` (team id -> a moment): only the waits
    begun at or after it (the alerts job: older waits lapsed before any alert's window)."""
    if not teams:
        return {}
    touched = func.coalesce(C.c.last_touched_at, C.c.created_at)
    since = case((C.c.stage_changed_at > touched, C.c.stage_changed_at), else_=touched)
    stages = sorted({stage for watched, _ in teams.values() for stage in watched})
    latest = max(_as_utc(quiet) for _, quiet in teams.values())
    began_from = {team_id: _as_utc(at) for team_id, at in (began_from or {}).items()}
    # A bound for SQL only when every team has one (the earliest): the rest are few.
    earliest = ([since >= min(began_from.values())]
                if began_from and all(t in began_from for t in teams) else [])
    found: dict[int, list[IdleLead]] = {team_id: [] for team_id in teams}
    for r in session.exec(
        select(C.c.team_id, C.c.id, C.c.name, C.c.owner_user_id, C.c.stage, C.c.tier,
               since.label("since"))
        .where(C.c.team_id.in_(sorted(teams)), C.c.owner_user_id.is_not(None),
               C.c.stage.in_(stages), since < latest, *earliest)
        .order_by(C.c.team_id, C.c.owner_user_id, since, C.c.id)
    ):
        watched, quiet = teams[r.team_id]
        began = _as_utc(r.since)
        first = began_from.get(r.team_id)
        if r.stage in watched and began < _as_utc(quiet) and (first is None or began >= first):
            found[r.team_id].append(IdleLead(id=r.id, name=r.name, owner=r.owner_user_id,
                                             stage=r.stage, tier=r.tier, since=began))
    return found


def lead_touches(session: Session, *, team_id: int, since: datetime, until: datetime,
                 only: Collection[int] | None = None,
                 after: datetime | None = None) -> list[LeadTouches]:
    """The team's owned leads that were open at some point in [since, until], each with
    every touch up to `until` (a live log linked to it), every live stage change up to
    `until` (its creation's included) and when it closed, by customer id.

    A log's touch time is when it was recorded, except a back-dated log (its day is before the
    team-local day it was recorded on), which touches at the last second of its day, as
    handlers/log.py stamps it. A lead is open from its creation until it entered its current
    won/lost stage (None if it is open now); earlier closed spells that were reopened are not
    tracked. With `only`, just those of these leads (store/idle_gaps.py picks the ones that
    may have lapsed). With `after`, of the touches at or before it only the latest, and of the
    stage changes at or before it only the last (by moment, then stage: `lapses`' order): the
    others change no lapse from `after` on (`lapses(after=...)`), and a lead's years of
    touches need not travel to Python for a month's report (read so for one team or many:
    `lead_touches_many`, below)."""
    if after is not None:
        return lead_touches_many(session, windows={team_id: (since, until, after)},
                                 only=only)[team_id]
    tz = _team_tz(session, team_id)
    since, until = _as_utc(since), _as_utc(until)
    closed_at = _closed_at()
    chosen = [] if only is None else [C.c.id.in_(sorted(only))]
    if only is not None and not only:
        return []
    leads = (
        select(C.c.id, C.c.owner_user_id.label("owner"), C.c.created_at,
               closed_at.label("closed_at"))
        .where(C.c.team_id == team_id, C.c.owner_user_id.is_not(None),
               C.c.created_at <= until, *chosen)
        .subquery("leads")
    )
    # Filtered once (the closing moment is several correlated subqueries per customer, so a
    # second pass over them in an IN cost a fifth of this read).
    lead_rows = session.exec(
        select(leads.c.id, leads.c.owner, _text(leads.c.created_at), _text(leads.c.closed_at))
        .where(or_(leads.c.closed_at.is_(None), leads.c.closed_at >= since))
        .order_by(leads.c.id)
    ).all()
    times: dict[int, list[datetime]] = {row.id: [] for row in lead_rows}
    # The later reads take these leads by id: re-reading the leads (their closing moment is
    # several correlated subqueries per customer) cost more than the reads themselves.
    open_leads = sorted(times)
    # The touch time is per log: SQL picks the logs, and the local-day arithmetic happens here.
    touch = _DayEnds(tz).touch
    for customer_id, day, recorded in session.exec(
        _touches(open_leads, until.astimezone(tz).date(), until)
    ).all():
        at = touch(day, recorded)
        if at <= until:
            times[customer_id].append(at)
    changes: dict[int, list[tuple[datetime, str]]] = {row.id: [] for row in lead_rows}
    for customer_id, at, stage in session.exec(
        select(SC.c.customer_id, _text(SC.c.at), SC.c.to_stage)
        .where(SC.c.customer_id.in_(open_leads), SC.c.at <= until, _live_change(SC))
        .order_by(SC.c.customer_id, SC.c.at, SC.c.id)
    ).all():
        changes[customer_id].append((_moment(at), stage))
    return [LeadTouches(customer_id=lead, owner=owner, created_at=_moment(created),
                        touches=tuple(sorted(times[lead])),
                        closed_at=_moment(closed) if closed else None,
                        stages=tuple(changes[lead]))
            for lead, owner, created, closed in lead_rows]
