"""Which leads may have lapsed (seed 001 "超48小时未跟进线索"), for many teams in one query.

The idle-lead rule (bot/scoring/points.py `lapses`) counts working hours: weekends, public
holidays (with China's make-up working days) and the team's days off stop the clock, which
needs the calendar (bot/calendar/workdays.py), not SQL. But a lapse needs a gap between two
events of the lead's life (creation, a touch, a stage change, the end of the window) that holds
`hours` of working time, and the working-time clock never runs ahead of the wall clock by more
than the zone's UTC offset changes in between (bot/scoring/gaps.py). So SQL window functions
(LAG over each lead's events in time order) find the leads with a wall-clock gap long enough,
at a watched stage, that may end in the window; only those few leads go to Python for the
exact rule. Every other lead provably has no lapse there. Window functions need SQLite 3.25.

The SQL is deliberately conservative, never wrong the other way:
- a touch's time (the log's recorded time, or for a back-dated log the last second of its
  local day: store/lead_life.py `_DayEnds`) needs the team's time zone, which SQLite lacks: SQL uses
  the midpoint of the zone's offsets over the window, so it is off by at most half their range
  (`margin`), and a gap's length by twice that, which the threshold allows for;
- a touch that might fall outside the lead's life or the window is left out (fewer events only
  make gaps longer), and so are touches long before the window, behind a boundary event at
  `floor` that still leaves every gap ending in the window longer than the threshold;
- a gap before the first stage change (no stage known) counts as watched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Integer,
    String,
    case,
    column,
    func,
    null,
    or_,
    select,
    union_all,
    values,
)
from sqlmodel import Session

from bot.calendar.zones import span_bounds
from store.lead_life import _closed_at, epoch, touch_epoch
from store.models import Team
from store.scoring import SC, A, C, _live, _live_change


def lapse_candidates(session: Session, *, windows: Mapping[int, tuple[datetime, datetime]],
                     hours: float, stages: Sequence[str]) -> dict[int, set[int]]:
    """Per team of `windows` (team id -> (since, until), aware), the ids of its owned leads
    that may have lapsed at a moment in [since, until) under a rule of `hours` at `stages`
    (pass the lowest hours and every stage watched by any of the teams); the others cannot
    have (see the module's docstring). `until` must be at least the last moment a charged
    lapse can have: the caller's `now` and the period's end, whichever is first."""
    if not windows:
        return {}
    T = Team.__table__
    zones = dict(session.exec(select(T.c.id, T.c.tz).where(T.c.id.in_(list(windows)))).all())
    rows = []
    for team_id, (since, until) in windows.items():
        if team_id not in zones:
            continue
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        floor = since - timedelta(hours=hours)
        first_day, last_day = floor.date() - timedelta(days=2), until.date() - timedelta(days=1)
        low, high, variation = span_bounds(ZoneInfo(zones[team_id]), first_day - timedelta(2),
                                           until.date() + timedelta(days=2))
        margin = (high - low) / 2 + 2  # seconds; 2 for the last-second rounding and floats
        rows.append((team_id, since, until, (low + high) / 2, margin,
                     hours * 3600 - variation - 2 * margin, since.timestamp(),
                     until.timestamp(), floor.timestamp(), first_day, last_day))
    if not rows:
        return {}
    P = values(column("team_id", Integer), column("since", DateTime(timezone=True)),
               column("until", DateTime(timezone=True)), column("offset", Float),
               column("margin", Float), column("threshold", Float), column("since_e", Float),
               column("until_e", Float), column("floor_e", Float),
               column("first_day", Date), column("last_day", Date),
               name="windows").data(rows).cte("windows")

    closed_at = _closed_at()
    leads = (
        select(C.c.id, P.c.team_id, epoch(C.c.created_at).label("born"),
               case((epoch(closed_at) < P.c.until_e, epoch(closed_at)),
                    else_=P.c.until_e).label("ends"),
               P.c.offset, P.c.margin, P.c.threshold, P.c.since_e, P.c.floor_e,
               P.c.first_day, P.c.last_day, P.c.until)
        .join_from(C, P, C.c.team_id == P.c.team_id)
        .where(C.c.owner_user_id.is_not(None), C.c.created_at <= P.c.until,
               or_(closed_at.is_(None), closed_at >= P.c.since))
        .cte("leads")
    )
    touched = touch_epoch(leads.c.offset)
    no_stage = null().cast(String)
    # Each event carries what the last step needs of its lead: joining the leads back to the
    # gaps made SQLite scan them once per gap.
    lead = (leads.c.team_id, leads.c.born, leads.c.margin, leads.c.threshold, leads.c.since_e)
    events = union_all(
        select(leads.c.id.label("cid"), leads.c.born.label("t"), no_stage.label("stage"),
               *lead),
        select(leads.c.id, leads.c.ends, no_stage, *lead),
        select(leads.c.id, leads.c.floor_e, no_stage, *lead),
        select(leads.c.id, touched, no_stage, *lead)
        .join_from(A, leads, A.c.customer_id == leads.c.id)
        .where(_live(A), A.c.occurred_on >= leads.c.first_day,
               A.c.occurred_on <= leads.c.last_day,
               touched - leads.c.margin >= leads.c.born,
               touched + leads.c.margin <= leads.c.ends,
               touched + leads.c.margin >= leads.c.floor_e),
        select(leads.c.id, epoch(SC.c.at), SC.c.to_stage, *lead)
        .join_from(SC, leads, SC.c.customer_id == leads.c.id)
        .where(SC.c.at <= leads.c.until, epoch(SC.c.at) <= leads.c.ends, _live_change(SC)),
    ).subquery("events")
    # Python's order (`lapses`): by time, a touch before a stage change at the same moment.
    ev = events.c
    order = (ev.t, func.coalesce(ev.stage, ""))
    carried = (ev.team_id, ev.born, ev.margin, ev.threshold, ev.since_e)
    numbered = select(
        ev.cid, ev.t, ev.stage, *carried,
        func.lag(ev.t).over(partition_by=ev.cid, order_by=order).label("prev"),
        func.count(ev.stage).over(partition_by=ev.cid, order_by=order,
                                  rows=(None, 0)).label("spell"),
        func.coalesce(ev.stage, "").label("skey"),
    ).subquery("numbered")
    nb = numbered.c
    staged = select(
        nb.cid, nb.t, nb.prev, nb.skey, nb.team_id, nb.born, nb.margin, nb.threshold,
        nb.since_e,
        func.max(nb.stage).over(partition_by=(nb.cid, nb.spell)).label("at_stage"),
    ).subquery("staged")
    st = staged.c
    gaps = select(
        st.cid, st.t, st.prev, st.team_id, st.born, st.margin, st.threshold, st.since_e,
        func.lag(st.at_stage).over(partition_by=st.cid, order_by=(st.t, st.skey))
        .label("stage_before"),
    ).subquery("gaps")
    g = gaps.c
    start = case((g.prev > g.born, g.prev), else_=g.born)
    found: dict[int, set[int]] = {row[0]: set() for row in rows}
    for team_id, cid in session.exec(
        select(g.team_id, g.cid).distinct()
        .where(g.t >= g.born, g.t + g.margin >= g.since_e, g.t - start > g.threshold,
               or_(g.stage_before.is_(None), g.stage_before.in_(list(stages))))
    ):
        found[team_id].add(cid)
    return found

