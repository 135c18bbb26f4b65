"""The idle-lead rule's facts (store/idle.py `lead_touches`) for many teams at once: the
month-end reports read every team's leads, touches and stage changes in a few statements
instead of five per team. SQL joins each lead to its team's window (a VALUES table, as
store/idle_gaps.py does), so every team keeps its own bounds; the result is the same as
`lead_touches(after=...)` one team at a time (tests/store/test_idle_touches.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Integer, column, or_, select, values
from sqlmodel import Session

from bot.scoring.facts import LeadTouches
from store.idle import (
    RECENT_DAYS,
    _closed_at,
    _DayEnds,
    _latest_before,
    _lead_list,
    _moment,
    _superseded_left_out,
    _text,
    _touches,
)
from store.models import Team
from store.scoring import CLOSED_STAGES, SC, A, C, _as_utc, _live, _live_change, _local_midnight


def lead_touches_many(session: Session, *,
                      windows: Mapping[int, tuple[datetime, datetime, datetime]]
                      ) -> dict[int, list[LeadTouches]]:
    """`lead_touches(session, team_id=t, since=, until=, after=)` for every team t of
    `windows` (team id -> (since, until, after), aware), by team id."""
    if not windows:
        return {}
    T = Team.__table__
    zones = {team_id: ZoneInfo(tz) for team_id, tz in session.exec(
        select(T.c.id, T.c.tz).where(T.c.id.in_(sorted(windows)))).all()}
    bounds: dict[int, tuple[datetime, datetime, datetime]] = {}
    rows = []
    for team_id in sorted(windows):
        if team_id not in zones:
            raise LookupError(f"no team with id {team_id}")
        since, until, after = (_as_utc(at) for at in windows[team_id])
        tz = zones[team_id]
        bounds[team_id] = (since, until, after)
        rows.append((team_id, since, until,
                     after.astimezone(tz).date() - timedelta(days=RECENT_DAYS),
                     until.astimezone(tz).date()))
    P = values(column("team_id", Integer), column("since", DateTime(timezone=True)),
               column("until", DateTime(timezone=True)), column("recent", Date),
               column("last_day", Date), name="windows").data(rows).cte("windows")
    # Each team's leads as `lead_touches` reads them: filtered once, in a subquery.
    closed_at = _closed_at()
    leads = (
        select(C.c.id, C.c.team_id, C.c.owner_user_id.label("owner"), C.c.created_at,
               closed_at.label("closed_at"), P.c.since)
        .join_from(C, P, C.c.team_id == P.c.team_id)
        .where(C.c.owner_user_id.is_not(None), C.c.created_at <= P.c.until)
        .subquery("leads")
    )
    lead_rows: dict[int, list] = {team_id: [] for team_id in bounds}
    team_of: dict[int, int] = {}
    for team_id, *row in session.exec(
        select(leads.c.team_id, leads.c.id, leads.c.owner, _text(leads.c.created_at),
               _text(leads.c.closed_at))
        .where(or_(leads.c.closed_at.is_(None), leads.c.closed_at >= leads.c.since))
        .order_by(leads.c.id)
    ).all():
        lead_rows[team_id].append(row)
        team_of[row[0]] = team_id
    times: dict[int, list[datetime]] = {lead: [] for lead in team_of}
    ends = {team_id: _DayEnds(zones[team_id]) for team_id in bounds}
    # The leads again for the touches and stage changes, by a cheaper test than their closing
    # moment (re-reading it cost more than these reads) that keeps every lead closed at or
    # after `since` (that moment is a stage change's, or else the last change's) and a few
    # more, which are left out here.
    moved = (select(SC.c.id).where(SC.c.customer_id == C.c.id, SC.c.at >= P.c.since)
             .correlate(C, P).exists())
    owned = (C.c.owner_user_id.is_not(None), C.c.created_at <= P.c.until,
             or_(C.c.stage.is_(None), C.c.stage.not_in(CLOSED_STAGES),
                 C.c.stage_changed_at.is_(None), C.c.stage_changed_at >= P.c.since, moved))

    def read(statement) -> None:  # noqa: ANN001
        for customer_id, day, recorded in session.exec(statement).all():
            team_id = team_of.get(customer_id)
            if team_id is not None:
                at = ends[team_id].touch(day, recorded)
                if at <= bounds[team_id][1]:
                    times[customer_id].append(at)

    read(select(A.c.customer_id, _text(A.c.occurred_on), _text(A.c.recorded_at))
         .join_from(A, C, A.c.customer_id == C.c.id).join(P, P.c.team_id == C.c.team_id)
         .where(*owned, _live(A), A.c.occurred_on >= P.c.recent,
                A.c.occurred_on <= P.c.last_day,
                or_(A.c.recorded_at <= P.c.until, A.c.occurred_on < P.c.last_day)))
    # The leads not touched in those weeks, as `lead_touches` reads them: per time zone and
    # window (the same for the teams of a zone at month end).
    rest: dict[tuple[str, datetime, datetime], list[int]] = defaultdict(list)
    for team_id, (_, until, after) in bounds.items():
        tz = zones[team_id]
        midnight = _local_midnight(after.astimezone(tz).date() - timedelta(days=RECENT_DAYS), tz)
        rest[(tz.key, after, until)] += [
            row[0] for row in lead_rows[team_id]
            if not any(midnight <= t <= after for t in times[row[0]])]
    for (key, after, until), ids in rest.items():
        if ids:
            tz = ZoneInfo(key)
            recent = after.astimezone(tz).date() - timedelta(days=RECENT_DAYS)
            read(_superseded_left_out(
                _touches(sorted(ids), until.astimezone(tz).date(), until,
                         A.c.occurred_on < recent), tz, after, until))
    changes: dict[int, list[tuple[datetime, str]]] = {lead: [] for lead in team_of}
    for customer_id, at, stage in session.exec(
        select(SC.c.customer_id, _text(SC.c.at), SC.c.to_stage)
        .join_from(SC, C, SC.c.customer_id == C.c.id).join(P, P.c.team_id == C.c.team_id)
        .where(*owned, SC.c.at <= P.c.until, _live_change(SC))
        .order_by(SC.c.customer_id, SC.c.at, SC.c.id)
    ).all():
        found = changes.get(customer_id)
        if found is not None:
            found.append((_moment(at), stage))
    return {team_id: _lead_list(lead_rows[team_id], times, changes,
                                _latest_before(times, [r[0] for r in lead_rows[team_id]],
                                               bounds[team_id][2]))
            for team_id in bounds}
