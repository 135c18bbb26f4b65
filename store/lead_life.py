"""Each lead's life as SQL reads it, for the idle-lead rule (store/idle.py): when a won or lost
lead closed, when a log touched its customer (`_DayEnds`), moments as SQLite's text or epoch
seconds; and a report's read of many teams' lead touches at once (`lead_touches_many`, the
month-end reports), which store/idle.py `lead_touches(after=...)` uses for one team.

Datetimes in and out are aware UTC. Soft-deleted logs are ignored, and so are the stage changes
they caused.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    String,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from bot.scoring.facts import LeadTouches
from store.models import Team
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
)


def _touches(ids: list[int], last_day: date, until: datetime,
             *where: ColumnElement[bool]) -> Select:
    """The live logs of the leads `ids` that may touch them by `until` (its local day is
    `last_day`): (customer id, day, recorded) as text."""
    return (select(A.c.customer_id, _text(A.c.occurred_on), _text(A.c.recorded_at))
            .where(A.c.customer_id.in_(ids), _live(A), A.c.occurred_on <= last_day,
                   or_(A.c.recorded_at <= until, A.c.occurred_on < last_day), *where))


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


# ------------------------------------------------------------------ a report's lead touches
# `lead_touches(after=...)` for one team or many (the month-end reports). Lapses from `after` on
# depend on a lead's events at or before it only through its latest touch and last stage change
# (bot/scoring/points.py `lapses`), so SQL sends one row per lead with only those and what
# follows: 31,000 rows for a month's reports at 1,000 reps, not 225,000. Its logs from `after`'s
# local day on; of those before, the latest day's (a log touches by the end of its day, so an
# earlier day's touch before that day began, which one at least of the latest day's does but
# for logs recorded before their day: then `_exactly` reads the lead's older ones); its stage
# changes (all up to `until`, in one subquery: the last two at or before `after` are picked in
# Python, as a sorted, limited subquery per lead cost a quarter of the read; two in one second:
# read again).


class _as_text(FunctionElement):  # noqa: N801 - reads as the SQL it stands for
    """A stored date or UTC moment as SQLite's text ("YYYY-MM-DD HH:MM:SS.ffffff", UTC), on
    PostgreSQL too (its own text depends on the session's zone and drops trailing zeros)."""

    type = String()
    inherit_cache = True


@compiles(_as_text, "sqlite")
def _as_text_sqlite(element, compiler, **kw) -> str:  # noqa: ANN001
    return compiler.process(element.clauses, **kw)


@compiles(_as_text)
def _as_text_default(element, compiler, **kw) -> str:  # noqa: ANN001
    (value,) = element.clauses
    if isinstance(value.type, Date):
        return f"to_char({compiler.process(value, **kw)}, 'YYYY-MM-DD')"
    return (f"to_char({compiler.process(value, **kw)} AT TIME ZONE 'UTC',"
            " 'YYYY-MM-DD HH24:MI:SS.US')")


def _joined(*parts: ColumnElement) -> ColumnElement[str]:
    """The parts as one text, a space between them (a log: its day and when it was recorded;
    a stage change: when and its stage)."""
    text: ColumnElement = parts[0]
    for part in parts[1:]:
        text = text + literal(" ") + part
    return text


def _all(statement: Select, part: ColumnElement) -> ColumnElement[str]:
    """The texts `part` of the rows of `statement`, comma-separated (in no order)."""
    return statement.with_only_columns(func.aggregate_strings(part, ",")).scalar_subquery()


_WINDOW = (("team_id", Integer), ("since", DateTime(timezone=True)),
           ("until", DateTime(timezone=True)), ("upto", DateTime(timezone=True)),
           ("first_day", Date), ("last_day", Date))


@lru_cache(maxsize=16)
def _statement(teams: int, chosen: bool) -> Select:
    """`lead_touches_many`'s read of `teams` windows (parameters `team_id_0`, `since_0`...:
    built and compiled once), of the leads in `only` if `chosen`. A row per lead: id, team,
    owner, created, closed, its logs of its last day before `first_day` and from it on ("day
    recorded", comma-separated) and its stage changes up to `until` ("at stage", likewise)."""
    selects = [select(*(bindparam(f"{name}_{i}", type_=kind).label(name)
                        for name, kind in _WINDOW)) for i in range(teams)]
    P = (selects[0] if teams == 1 else union_all(*selects)).cte("windows")
    # Closed customers long ago: their closing moment (several correlated subqueries per
    # customer) is a stage change's, or else the last change's, so those with neither since
    # `since` closed before it and are left out first; the few others are filtered in Python.
    moved = (select(SC.c.id).where(SC.c.customer_id == C.c.id, SC.c.at >= P.c.since)
             .correlate(C, P).exists())
    logs = (select(A.c.id).where(A.c.customer_id == C.c.id, _live(A))
            .correlate(C, P))
    older = A.alias("older")  # its last day of logs before `first_day`
    last_day = (select(older.c.occurred_on)
                .where(older.c.customer_id == C.c.id, _live(older),
                       older.c.occurred_on < P.c.first_day)
                .order_by(older.c.occurred_on.desc()).limit(1)
                .correlate(C, P).scalar_subquery())
    changes = (select(SC.c.id).where(SC.c.customer_id == C.c.id, _live_change(SC))
               .correlate(C, P))
    log = _joined(_as_text(A.c.occurred_on), _as_text(A.c.recorded_at))
    move = _joined(_as_text(SC.c.at), SC.c.to_stage)
    return (
        select(C.c.id, C.c.team_id, C.c.owner_user_id, _text(C.c.created_at),
               type_coerce(_closed_at(), String).label("closed_at"),
               _all(logs.where(A.c.occurred_on >= func.coalesce(last_day, P.c.first_day),
                               A.c.occurred_on <= P.c.last_day,
                               (A.c.recorded_at <= P.c.until) | (A.c.occurred_on < P.c.last_day)),
                    log).label("logs"),
               _all(changes.where(SC.c.at <= P.c.until), move).label("moves"))
        .join_from(C, P, C.c.team_id == P.c.team_id)
        .where(C.c.owner_user_id.is_not(None), C.c.created_at <= P.c.until,
               *([C.c.id.in_(bindparam("only", expanding=True))] if chosen else []),
               (C.c.stage.not_in(CLOSED_STAGES)) | (C.c.stage_changed_at >= P.c.since) | moved)
    )


def lead_touches_many(session: Session, *,
                      windows: Mapping[int, tuple[datetime, datetime, datetime]],
                      only: Collection[int] | None = None) -> dict[int, list[LeadTouches]]:
    """`lead_touches(session, team_id=t, since=, until=, after=, only=)` for every team t of
    `windows` (team id -> (since, until, after), aware), by team id."""
    if not windows:
        return {}
    if only is not None and not only:
        return {team_id: [] for team_id in windows}
    T = Team.__table__
    zones = {team_id: ZoneInfo(tz) for team_id, tz in session.exec(
        select(T.c.id, T.c.tz).where(T.c.id.in_(sorted(windows)))).all()}
    bounds: dict[int, tuple[datetime, datetime, datetime]] = {}
    first_days: dict[int, date] = {}
    params: dict[str, object] = {} if only is None else {"only": sorted(only)}
    for i, team_id in enumerate(sorted(windows)):
        if team_id not in zones:
            raise LookupError(f"no team with id {team_id}")
        since, until, after = (_as_utc(at) for at in windows[team_id])
        tz = zones[team_id]
        bounds[team_id] = (since, until, after)
        last_day = until.astimezone(tz).date()
        # Logs dated before `first_day` touch before `after` and by `until` (at the end of
        # their day at the latest); stage changes up to `upto` are before both.
        first_day = first_days[team_id] = min(after.astimezone(tz).date(), last_day)
        row = (team_id, since, until, min(after, until), first_day, last_day)
        params.update({f"{name}_{i}": value
                       for (name, _), value in zip(_WINDOW, row, strict=True)})
    rows = session.exec(_statement(len(windows), only is not None), params=params).all()
    with collector_paused():
        return _assemble(session, rows, bounds, zones, first_days)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while many objects without cycles are built (a
    month's leads for 1,000 reps: 31,000 leads and ten times as many lists and tuples): in a
    report's process it walked the whole heap again and again for nothing, a quarter of the
    assembly's CPU (340 -> 260 ms). bot/services/reports.py holds it off for a whole report
    too."""
    if not gc.isenabled():  # the caller's choice, kept
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _assemble(session: Session, rows: list, bounds: Mapping[int, tuple], zones: Mapping[
        int, ZoneInfo], first_days: Mapping[int, date]) -> dict[int, list[LeadTouches]]:
    """The leads of the statement's rows (see `_statement`), by team.

    A log's touch is decided on its text (`_utc_text` with its offset: such texts sort as
    their moments do): only the touches kept become datetimes (parsing every log was half of
    this function's cost)."""
    found: dict[int, list[LeadTouches]] = {team_id: [] for team_id in bounds}
    by_team: dict[int, list] = {team_id: [] for team_id in bounds}
    for row in rows:
        by_team[row[1]].append(row)
    parse = datetime.fromisoformat
    for team_id, team_rows in by_team.items():
        since, until, after = bounds[team_id]
        upto = min(after, until)
        upto_bound = _utc_text(upto)  # as SQLAlchemy binds it
        upto_text, until_text = upto_bound + _UTC, _utc_text(until) + _UTC
        tz = zones[team_id]
        # A log's day -> its next local midnight and the second before it, and its own
        # midnight, as text.
        days: dict[str, tuple[str, str, str]] = {}
        leads = []
        unsure: list[int] = []  # their latest day's logs may not be their latest touch
        tied: list[int] = []  # their last two stage changes share a second
        first = first_days[team_id].isoformat()
        for lead, _, owner, created, closed, logs, moves in team_rows:
            closed_at = _moment(closed) if closed else None
            if closed_at is not None and closed_at < since:
                continue
            latest = ""  # the latest touch at or before `upto`
            kept: list[str] = []  # the touches after it, up to `until`
            if logs:
                older = ""  # the latest touch of the last day before `first`
                older_day = ""
                for text in logs.split(","):
                    day, recorded = text[:10], text[11:] + _UTC
                    if len(recorded) != 32:
                        recorded = _utc_text(_moment(text[11:])) + _UTC
                    ends = days.get(day)
                    if ends is None:
                        ends = days[day] = _day_texts(day, tz)
                    at = ends[1] if recorded >= ends[0] else recorded
                    if day < first:
                        older_day = day
                        if at > older:
                            older = at
                    elif at <= upto_text:
                        if at > latest:
                            latest = at
                    elif at <= until_text:
                        kept.append(at)
                kept.sort()
                if older:
                    latest = max(latest, older)
                    if older < days[older_day][2]:  # logged before its day began: rare
                        unsure.append(lead)
            if latest:
                kept.insert(0, latest)
            touches = list(map(parse, kept))
            stages = []
            if moves:
                moved = []  # those at or before `upto`: only the last counts (`lapses`)
                later = []
                for text in moves.split(","):
                    at, stage = text.rsplit(" ", 1)
                    # As SQL compared them: SQLite as text, with `upto` bound as `_utc_text`;
                    # PostgreSQL as moments (its text is `_utc_text`'s).
                    if at > upto_bound:
                        later.append((_moment(at), stage))
                    else:
                        moved.append(text)
                if moved:
                    # In SQL's order, (at, stage) descending: the texts sort so.
                    last, other = max(moved), ""
                    if len(moved) > 1:
                        moved.remove(last)
                        other = max(moved)
                    at, stage = last.rsplit(" ", 1)
                    stages.append((_moment(at), stage))
                    if other[:19] == last[:19]:
                        tied.append(lead)
                later.sort()
                stages.extend(later)
            # SQLite's text, mostly of 26 characters; PostgreSQL's datetime.
            created = (parse(created + _UTC) if type(created) is str and len(created) == 26
                       else _moment(created))
            leads.append([lead, owner, created, closed_at, touches, stages])
        if unsure or tied:
            _exactly(session, leads, unsure, tied, tz, upto, until, first_days[team_id])
        found[team_id] = [
            LeadTouches(customer_id=lead, owner=owner, created_at=created,
                        touches=tuple(touches), closed_at=closed_at, stages=tuple(stages))
            for lead, owner, created, closed_at, touches, stages in sorted(leads)]
    return found


_UTC = "+00:00"  # a moment's offset, as `datetime.fromisoformat` reads it


def _utc_text(at: datetime) -> str:
    """A UTC moment as SQLite stores it, with every digit ("YYYY-MM-DD HH:MM:SS.ffffff"): such
    texts sort as their moments do (a stored text of 19 characters is the same moment as its
    26-character form, but sorts before it)."""
    return at.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _day_texts(day: str, tz: ZoneInfo) -> tuple[str, str, str]:
    """A local day's next midnight, the second before it (the touch of a log of that day
    recorded later: `_DayEnds`) and its own midnight, as `_utc_text`."""
    this = date.fromisoformat(day)
    ends = _local_midnight(_next(this), tz)
    return (_utc_text(ends) + _UTC, _utc_text(ends - timedelta(seconds=1)) + _UTC,
            _utc_text(_local_midnight(this, tz)) + _UTC)


def _exactly(session: Session, leads: list[list], unsure: list[int], tied: list[int],
             tz: ZoneInfo, upto: datetime, until: datetime, first_day: date) -> None:
    """In place: the latest touch at or before `upto` of the `unsure` leads, from all their
    older logs, and the last stage change of the `tied` ones (SQL ordered text)."""
    touch = _DayEnds(tz).touch
    latest: dict[int, datetime] = {}
    if unsure:
        for lead, day, recorded in session.exec(_touches(
                unsure, until.astimezone(tz).date(), until, A.c.occurred_on < first_day)).all():
            at = touch(day, recorded)
            if lead not in latest or at > latest[lead]:
                latest[lead] = at
    changes: dict[int, list[tuple[datetime, str]]] = {}
    if tied:
        for lead, at, stage in session.exec(
            select(SC.c.customer_id, _text(SC.c.at), SC.c.to_stage)
            .where(SC.c.customer_id.in_(tied), SC.c.at <= upto, _live_change(SC))
        ).all():
            changes.setdefault(lead, []).append((_moment(at), stage))
    for entry in leads:
        lead, touches, stages = entry[0], entry[4], entry[5]
        if lead in latest:
            if touches and touches[0] <= upto:
                latest[lead] = max(latest[lead], touches[0])
                touches.pop(0)
            touches.insert(0, latest[lead])
        if lead in changes:
            last = max(changes[lead])  # in `lapses`' order: by moment, then stage
            stages[0] = last
