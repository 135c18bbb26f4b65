"""The idle-lead rule's facts (seed 001 "超48小时未跟进线索"), aggregated in SQL: the life of
each lead (creation, touches, stage changes, closing) for the points, and the leads waiting
for a follow-up right now for the alerts job, App Home, the calibration data pack and /lead
list. The rule itself (watched stages, working hours) is bot/scoring/points.py's `lapses`;
bot/services/idle.py applies it to `waiting`'s candidates.

One team per call; datetimes in and out are aware UTC. Soft-deleted logs are ignored, and so
are the stage changes they caused.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Select, String, case, func, or_, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from bot.calendar.zones import span_bounds
from bot.scoring.facts import LeadTouches
from store.scoring import (
    CLOSED_STAGES,
    OPEN_STAGES,
    SC,
    A,
    C,
    _as_utc,
    _live,
    _live_change,
    _local_midnight,
    _next,
    _team_tz,
)

# A month's report reads the lead touches of this many days before it, and older ones only
# for the leads not touched in them (`lead_touches`): most leads were.
RECENT_DAYS = 60


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
    may have lapsed). With `after`, a touch before another touch that is before `after` is
    left out: it changes no lapse from `after` on (`lapses(after=...)`), and a lead's years of
    touches need not travel to Python for a month's report; so is a stage change before
    such a touch but the last (or last few at one moment)."""
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
    # The touch time is per log, and so is the output: SQL picks and orders the logs, and the
    # local-day arithmetic happens here (a join to a VALUES table of days made SQLite scan
    # it once per log: 300 ms for one team's month instead of a few).
    last_day = until.astimezone(tz).date()
    ends = _DayEnds(tz)

    def touches(ids: list[int], *where: ColumnElement[bool]) -> Select:
        return _touches(ids, last_day, until, *where)

    def read(statement: Select) -> None:
        touch = ends.touch
        for customer_id, day, recorded in session.exec(statement).all():
            at = touch(day, recorded)
            if at <= until:
                times[customer_id].append(at)

    superseded: dict[int, datetime] = {}  # a lead's latest touch before `after`
    if after is None:
        read(touches(open_leads))
    else:
        # Only the latest touch before `after` matters (`lapses(after=...)`), and a log dated
        # before `recent` touched before its first midnight. So a lead touched between that
        # midnight and `after` needs none of its older logs: those are read (the SQL way of
        # `_superseded_left_out`) only for the leads that were not, not a lead's whole past.
        after = _as_utc(after)
        recent = after.astimezone(tz).date() - timedelta(days=RECENT_DAYS)
        read(touches(open_leads, A.c.occurred_on >= recent))
        midnight = _local_midnight(recent, tz)
        rest = [lead for lead, at in times.items() if not any(midnight <= t <= after for t in at)]
        if rest:
            read(_superseded_left_out(touches(rest, A.c.occurred_on < recent), tz, after, until))
        superseded = _latest_before(times, times, after)
    changes: dict[int, list[tuple[datetime, str]]] = {row.id: [] for row in lead_rows}
    for customer_id, at, stage in session.exec(
        select(SC.c.customer_id, _text(SC.c.at), SC.c.to_stage)
        .where(SC.c.customer_id.in_(open_leads), SC.c.at <= until, _live_change(SC))
        .order_by(SC.c.customer_id, SC.c.at, SC.c.id)
    ).all():
        changes[customer_id].append((_moment(at), stage))
    return _lead_list(lead_rows, times, changes, superseded)


def _touches(ids: list[int], last_day: date, until: datetime,
             *where: ColumnElement[bool]) -> Select:
    """The live logs of the leads `ids` that may touch them by `until` (its local day is
    `last_day`): (customer id, day, recorded) as text."""
    return (select(A.c.customer_id, _text(A.c.occurred_on), _text(A.c.recorded_at))
            .where(A.c.customer_id.in_(ids), _live(A), A.c.occurred_on <= last_day,
                   or_(A.c.recorded_at <= until, A.c.occurred_on < last_day), *where))


def _latest_before(times: dict[int, list[datetime]], leads: Iterable[int],
                   after: datetime) -> dict[int, datetime]:
    """Of `leads`' touches in `times`, those before their latest touch before `after` are
    dropped (in place); that latest touch, by lead."""
    superseded: dict[int, datetime] = {}
    for lead in leads:  # and the recent ones before the last before `after`
        at = times[lead]
        latest = max((t for t in at if t <= after), default=None)
        if latest is not None:
            times[lead] = [t for t in at if t >= latest]
            superseded[lead] = latest
    return superseded


def _lead_list(lead_rows: Iterable[Sequence], times: Mapping[int, list[datetime]],
               changes: dict[int, list[tuple[datetime, str]]],
               superseded: Mapping[int, datetime]) -> list[LeadTouches]:
    """The leads of `lead_rows` (id, owner, created, closed) with their touches and stage
    changes. Of the stage changes before a lead's latest touch before `after` (`superseded`),
    `lapses` needs only the last (whether the lead was watched then; its clock restarts at
    that touch): those at its moment are kept, as `lapses` orders changes at one moment by
    their stage."""
    for lead, latest in superseded.items():
        moves = changes[lead]
        if moves and moves[0][0] < latest:
            last = max(at for at, _ in moves if at < latest)
            changes[lead] = [move for move in moves if move[0] >= last]
    return [LeadTouches(customer_id=lead, owner=owner, created_at=_moment(created),
                        touches=tuple(sorted(times[lead])),
                        closed_at=_moment(closed) if closed else None,
                        stages=tuple(changes[lead]))
            for lead, owner, created, closed in lead_rows]


def _text(column: ColumnElement) -> ColumnElement:
    """`column` read as it comes (SQLite: text) for `_moment` or `_as_date`: SQLAlchemy's
    own parsing of SQLite's datetimes cost more than the reads of a month's report."""
    return type_coerce(column, String).label(column.name)


def _moment(value: datetime | str) -> datetime:
    """A stored UTC moment, aware: SQLite's text (naive UTC) or PostgreSQL's datetime."""
    if isinstance(value, str):
        if len(value) in (19, 26):  # YYYY-MM-DD HH:MM:SS[.ffffff], as SQLAlchemy writes it
            # Parsed with its offset: three times as fast as parsing and `replace`.
            return datetime.fromisoformat(value + "+00:00")
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class epoch(FunctionElement):  # noqa: N801 - reads as the SQL function it stands for
    """Seconds since 1970-01-01 UTC of a stored UTC datetime or a date (its midnight)."""

    type = Float()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch)
def _epoch_default(element, compiler, **kw) -> str:  # noqa: ANN001
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


def touch_epoch(offset: ColumnElement | float) -> ColumnElement[float]:
    """A log's touch time (`_DayEnds`) as seconds, SQL-side, taking the zone's UTC offset as
    `offset` seconds: exact when the offset is, else off by as much as it is."""
    recorded = epoch(A.c.recorded_at)
    day_ends = epoch(A.c.occurred_on) + 86400 - offset - 1
    return case((recorded < day_ends, recorded), else_=day_ends)


def _superseded_left_out(touches: Select, tz: ZoneInfo, after: datetime,
                         until: datetime) -> Select:
    """`touches` without those surely before another touch of the same lead that is surely
    before `after`. "Surely": SQL has no time zones, so it takes the midpoint of the zone's
    offsets over the years concerned and allows for half their range either way; logs dated
    outside those years are all kept."""
    first = date(after.year - 3, 1, 1)
    low, high, _ = span_bounds(tz, first, until.date() + timedelta(days=2))
    margin = (high - low) / 2 + 2  # seconds; 2 for the last second and floats
    inside = A.c.occurred_on >= first + timedelta(days=2)
    at = case((inside, touch_epoch((low + high) / 2)))
    sure = case((at + margin < after.timestamp(), at - margin))
    rows = touches.add_columns(
        at.label("at"), func.max(sure).over(partition_by=A.c.customer_id).label("bound"),
    ).subquery("touches")
    return (select(rows.c.customer_id, rows.c.occurred_on, rows.c.recorded_at)
            .where(or_(rows.c.bound.is_(None), rows.c.at.is_(None),
                       rows.c.at + margin >= rows.c.bound)))


_OPENED, _CLOSING = SC.alias("opened"), SC.alias("closing")  # built once (store/scoring.py)
# Before any stage change: a lead never moved to an open stage counts from its first closing
# (one COALESCE: an "IS NULL OR >=" made SQLite run the latest-opening subquery twice).
_NEVER = datetime(1, 1, 1)


def _closed_at() -> ColumnElement[datetime]:
    """When a won or lost customer entered that state: the first live move to won/lost after
    its last live move to an open stage (the creation counts as one). A lost -> lost change
    only edits the reason and a won -> lost one stays closed, so neither reopens it."""
    opened, closing = _OPENED, _CLOSING
    last_open = (select(func.max(opened.c.at))
                 .where(opened.c.customer_id == C.c.id, opened.c.to_stage.in_(OPEN_STAGES),
                        _live_change(opened))
                 .correlate(C).scalar_subquery())
    first_closed = (select(func.min(closing.c.at))
                    .where(closing.c.customer_id == C.c.id,
                           closing.c.to_stage.in_(CLOSED_STAGES), _live_change(closing),
                           closing.c.at >= func.coalesce(last_open, _NEVER))
                    .correlate(C).scalar_subquery())
    return case((C.c.stage.in_(CLOSED_STAGES), func.coalesce(first_closed, C.c.stage_changed_at)),
                else_=None)


class _DayEnds:
    """When a log touched its customer: when it was recorded, or for a back-dated log (its
    day is before the team-local day it was recorded on) the last second of its day."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        # By the day as read (a date, or SQLite's text): its next local midnight (UTC) and
        # the second before it.
        self.next_midnight: dict[date | str, tuple[datetime, datetime]] = {}

    def touch(self, day: date | str, recorded: datetime | str) -> datetime:
        recorded = _moment(recorded)  # SQLite's text (`_text`) or a datetime
        ends = self.next_midnight.get(day)
        if ends is None:
            aware = _local_midnight(_next(_as_date(day)), self.tz)
            ends = self.next_midnight[day] = (aware, aware - timedelta(seconds=1))
        return ends[1] if recorded >= ends[0] else recorded


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
