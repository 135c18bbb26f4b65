"""Behaviour points (seed 001 §二3): visit days, needs-analysis reports and idle-lead lapses."""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from operator import attrgetter
from threading import Lock

from bot.calendar.workdays import (
    Working,
    WorkingClock,
    after_working_hours,
    hours_length,
    working_hours_between,
)
from bot.scoring.facts import LeadTouches, Period, RepFacts
from bot.scoring.gaps import ahead_at_most
from bot.scoring.rules import DEFAULT_RULES, Rules


def day_points(counts: Mapping[str, int], rules: Rules = DEFAULT_RULES) -> int:
    """Points one day earns from its logs by kind (idle-lead deductions are counted apart)."""
    points = counts.get("report", 0) * rules.report_points
    if counts.get("visit", 0) >= rules.visit_day_threshold:
        points += rules.visit_day_points
    return points


@dataclass(frozen=True)
class Pace:
    done: int
    expected_by_now: int
    target: int

    @property
    def status(self) -> str:
        if self.done >= self.target or self.done > self.expected_by_now:
            return "ahead"
        return "on_pace" if self.done == self.expected_by_now else "behind"


def touches_pace(touches: int, *, working_days_elapsed: int, working_days: int = 5,
                 rules: Rules = DEFAULT_RULES) -> Pace:
    """Customer touches this week against the weekly target, pro rata by working day."""
    elapsed = max(0, min(working_days_elapsed, working_days))
    expected = -(-rules.weekly_touches * elapsed // working_days)  # ceiling division
    return Pace(done=touches, expected_by_now=expected, target=rules.weekly_touches)


def _every_day(_day: date) -> bool:
    return True


def lapse_mark(since: datetime, *, hours: int = 48, tz: tzinfo = UTC,
               working: Working | None = None) -> datetime | None:
    """When a lead quiet since `since` passes `hours` of the team's working time: its lapse
    moment if nothing touches it first (None: the team has no working day ahead)."""
    return after_working_hours(since, hours, tz, working or _every_day)  # type: ignore[arg-type]


def idle_hours(since: datetime, now: datetime, *, tz: tzinfo = UTC,
               working: Working | None = None) -> float:
    """The working hours a lead quiet since `since` has waited by `now`."""
    return working_hours_between(since, now, tz, working or _every_day)  # type: ignore[arg-type]


def lapses(lead: LeadTouches, *, now: datetime, hours: int = 48, tz: tzinfo = UTC,
           working: Working | None = None,
           stages: tuple[str, ...] = DEFAULT_RULES.points.idle_lead_stages,
           after: datetime | None = None, clock: WorkingClock | None = None) -> list[datetime]:
    """The moments `lead` had waited `hours` of working time for a follow-up: one per lapse.

    The rule (seed 001 "超48小时未跟进线索 → -10分", SPEC §2), the same wherever it is applied
    (points, the idle-lead alerts, App Home, the calibration data pack, /lead list):
    - it watches leads waiting for a first or next follow-up: only while the customer is at one
      of `stages` (rules.points.idle_lead_stages, by default lead and contacted); never once
      won or lost, nor at a later open stage;
    - the clock starts at creation and restarts at every touch (a live log naming the customer)
      and at every stage change (entering a watched stage starts the wait; leaving them stops
      it);
    - it counts only the hours of the team's working days (`working`, local days in `tz`):
      weekends, public holidays and the team's days off stop it. A lead added Friday 17:00 and
      called Monday 10:00 waited 7 + 10 = 17 h; one added Thursday 10:00 and never touched
      lapses Monday 10:00 (14 + 24 + 10 = 48);
    - "more than 48 hours": a touch at exactly 48 h is in time; the lapse is the moment the
      48th working hour ends. A touch ends a lapse, so a lead idle for ten days is one lapse.
      Nothing counts after the lead closed or after `now`.
    Without `working` every day counts; with no stage history (`lead.stages` empty) the lead
    is watched for its whole open life. With `after`, lapses before it are not looked for (a
    report asks only about its period; a lead's earlier gaps cost calendar work). `clock`: the
    calendar of `tz` and `working`, kept for many leads (`points_breakdown`).
    """
    end = now if lead.closed_at is None else min(now, lead.closed_at)
    events = sorted([(at, "") for at in lead.touches] + list(lead.stages))
    watched = not lead.stages
    since = lead.created_at
    found: list[datetime] = []

    limit = hours_length(hours)
    clock = clock or WorkingClock(tz, working or _every_day)  # type: ignore[arg-type]
    for at, stage in events:
        if at > end:
            break  # nothing counts after the end
        if at >= since:  # an imported touch dated before creation moves nothing
            if watched and (after is None or at > after):  # else any lapse is before `after`
                _gap(found, since, at, limit, hours, tz, clock)
            since = at
        if stage:
            watched = stage in stages
    if watched and (after is None or end > after):  # the last gap: up to the end (or `now`)
        _gap(found, since, end, limit, hours, tz, clock)
    return found


def _gap(found: list[datetime], since: datetime, at: datetime, limit: timedelta, hours: float,
         tz: tzinfo, clock: WorkingClock) -> None:
    """Into `found`: the lapse of a watched wait from `since` to `at`, if it had one."""
    # A gap too short in real time to hold `hours` of working time needs no calendar
    # (bot/scoring/gaps.py): the calendar is the cost.
    gap = at - since
    if gap > limit or gap > limit - _ahead(tz, since, at):
        mark = clock.after(since, hours)
        if mark is not None and mark < at:
            found.append(mark)


# The last few calendars' clocks (WorkingClock): a team's reps without away days share its
# working-day test (bot/calendar/workdays.py `person_working`), and so the days their leads'
# counts start on; a test is expected to answer the same for as long as it is passed.
_CLOCKS: OrderedDict[tuple[tzinfo, Working], WorkingClock] = OrderedDict()


_CLOCKS_LOCK = Lock()


def _clock(tz: tzinfo, working: Working) -> WorkingClock:
    key = (tz, working)
    with _CLOCKS_LOCK:
        clock = _CLOCKS.get(key)
        if clock is None:
            clock = _CLOCKS[key] = WorkingClock(tz, working)  # type: ignore[arg-type]
            while len(_CLOCKS) > 16:
                _CLOCKS.popitem(last=False)
        else:
            _CLOCKS.move_to_end(key)
    return clock


_AHEAD: dict[tuple[tzinfo, int, int], timedelta] = {}
_TWO_DAYS = timedelta(days=2)


def _ahead(tz: tzinfo, since: datetime, until: datetime) -> timedelta:
    """`ahead_at_most(tz, since, until)`, by the years it looks at (its span_bounds)."""
    key = (tz, since.year, until.year)
    most = _AHEAD.get(key)
    if most is None:
        most = _AHEAD[key] = ahead_at_most(tz, since, until)
    return most


@dataclass(frozen=True)
class Lapse:
    customer_id: int
    at: datetime  # when the lead passed `idle_lead_hours` without a touch (aware UTC)
    day: date  # the owner's local day it began, the day it is charged to


# The kept lapses' Lapse(customer_id, at, day) is made without its frozen `__init__` (three
# `object.__setattr__` calls): the same value at a sixth of the cost (a month of 1,000 reps'
# reports makes 24,000; `points_breakdown`).
_new = object.__new__
_WHEN = attrgetter("at", "customer_id")  # the order lapses are charged in


# (zone, period) -> the period's local days and their UTC bounds (`_local_days`), the last few.
_LOCAL_DAYS: OrderedDict[tuple[tzinfo, Period], tuple[list[datetime], list[date | None]]] = (
    OrderedDict())


def _local_days(tz: tzinfo, period: Period) -> tuple[list[datetime], list[date | None]]:
    """The first moments (UTC) of the period's local days and the next one, and each of those
    days or None: a moment `at` from bounds[i] to before bounds[i + 1] is on local day
    days[i] (`at.astimezone(tz).date()`) unless that is None. So a binary search places a
    moment on its day (1,000 reps' kept lapses took 24,000 zone conversions). A day whose UTC
    offset is not the same at its first and last moment (a clock change) is None: its moments
    are converted as before, and so is any moment outside the period's days. (A day with two
    clock changes that cancel out has none in the zone data.)"""
    key = (tz, period)
    with _CLOCKS_LOCK:
        found = _LOCAL_DAYS.get(key)
    if found is None:
        days = [period.start + timedelta(days=i)
                for i in range((period.end - period.start).days + 2)]
        bounds = [datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC) for day in days]
        tick = timedelta(microseconds=1)
        plain = [day if (first.astimezone(tz).date() == day and (after - tick).astimezone(
                 tz).date() == day and first.astimezone(tz).utcoffset()
                 == (after - tick).astimezone(tz).utcoffset()) else None
                 for day, first, after in zip(days, bounds, bounds[1:], strict=False)]
        found = (bounds, plain)
        with _CLOCKS_LOCK:
            _LOCAL_DAYS[key] = found
            while len(_LOCAL_DAYS) > 64:
                _LOCAL_DAYS.popitem(last=False)
    return found


@dataclass(frozen=True)
class DayPoints:
    day: date
    visits: int
    visit_bonus: int
    reports: int
    report_points: int
    lapses: int
    lapse_points: int  # negative

    @property
    def total(self) -> int:
        return self.visit_bonus + self.report_points + self.lapse_points


# Days as made before, shared: a day's points are a value, and most reps' days repeat one
# of a few hundred (day, visits, reports, lapses); making each anew (a frozen dataclass, 5 us)
# was most of `points_breakdown`'s time without lapses (1,000 reps' month: 24,000 days).
_DAYS: dict[tuple, DayPoints] = {}
DAYS_KEPT = 50_000  # then forgotten all at once (a few MB)


@dataclass(frozen=True)
class PointsBreakdown:
    """One rep's behaviour points for one period, with where each point came from."""

    user_id: str
    period: Period
    days: tuple[DayPoints, ...]  # every day with a visit, report or lapse, in date order
    lapses: tuple[Lapse, ...]
    visit_days: int  # days that reached the visit threshold
    visit_day_points: int
    reports: int
    report_points: int
    lapse_points: int  # negative
    total: int

    @property
    def per_day(self) -> dict[date, int]:
        return {d.day: d.total for d in self.days}

    def by_week(self) -> dict[date, int]:
        """Totals per ISO week, keyed by the week's Monday."""
        weeks: dict[date, int] = {}
        for d in self.days:
            monday = d.day - timedelta(days=d.day.weekday())
            weeks[monday] = weeks.get(monday, 0) + d.total
        return weeks

    def by_month(self) -> dict[str, int]:
        """Totals per calendar month, keyed "YYYY-MM"."""
        months: dict[str, int] = {}
        for d in self.days:
            key = f"{d.day.year:04d}-{d.day.month:02d}"
            months[key] = months.get(key, 0) + d.total
        return months


def points_breakdown(facts: RepFacts, leads: Iterable[LeadTouches], *, period: Period,
                     now: datetime, tz: tzinfo, rules: Rules = DEFAULT_RULES,
                     working: Working | None = None,
                     lapsed: Iterable[tuple[int, datetime]] = ()) -> PointsBreakdown:
    """Behaviour points for `facts.user_id` over `period`.

    Visit days and reports come from `facts.day_counts` (days outside the period are ignored);
    lapses (see `lapses`: watched stages, the team's working hours via `working`) from the
    leads this rep owns, each charged on the local day (in `tz`) its 48th working hour ended.
    `lapsed`: more of this rep's lapses, found already by the same rule (customer id, moment:
    the kept ones, bot/services/kept_lapses.py), charged alike.
    """
    p = rules.points
    # No lapse before the period's first local midnight is charged (in UTC: compared with
    # UTC moments, a moment of another zone is converted at every comparison).
    start = datetime.combine(period.start, time(0), tzinfo=tz).astimezone(UTC)
    # Found before this, a lapse is on a local day before the period's (no zone is 2 days
    # from UTC): it needs no conversion to be left out.
    early = start - _TWO_DAYS
    clock = _clock(tz, working or _every_day)
    found = []
    for lead in leads:
        if lead.owner != facts.user_id:
            continue
        for at in lapses(lead, now=now, hours=p.idle_lead_hours, tz=tz, working=working,
                         stages=p.idle_lead_stages, after=start, clock=clock):
            if at < early:
                continue
            day = at.astimezone(tz).date()
            if period.start <= day <= period.end:
                found.append(Lapse(lead.customer_id, at, day))
    if lapsed:
        bounds, plain = _local_days(tz, period)
        last, first_day, last_day = len(plain), period.start, period.end
        for customer_id, at in lapsed:  # `_local_days` and `_new`, inline: 24,000 a month
            i = bisect_right(bounds, at) - 1
            day = plain[i] if 0 <= i < last else None
            if day is None:
                day = at.astimezone(tz).date()
            if first_day <= day <= last_day:
                lapse = _new(Lapse)
                made = lapse.__dict__
                made["customer_id"], made["at"], made["day"] = customer_id, at, day
                found.append(lapse)
    charged = tuple(sorted(found, key=_WHEN))
    lapses_by_day: dict[date, int] = {}
    for lapse in charged:
        lapses_by_day[lapse.day] = lapses_by_day.get(lapse.day, 0) + 1
    days = sorted({d for d in facts.day_counts if period.start <= d <= period.end}
                  | set(lapses_by_day))
    rows = []
    # Summed as the rows are made (one pass, not one per sum: 1,000 reps' month, profiled).
    visit_days = visit_points = reports = report_points = lapse_points = 0
    for day in days:
        counts = facts.day_counts.get(day, {})
        visits, logged = counts.get("visit", 0), counts.get("report", 0)
        idle = lapses_by_day.get(day, 0)
        if not (visits or logged or idle):
            continue
        key = (day, visits, p.visit_day_points if visits >= p.visit_day_threshold else 0,
               logged, logged * p.report_points, idle, idle * p.idle_lead_points)
        row = _DAYS.get(key)
        if row is None:
            if len(_DAYS) >= DAYS_KEPT:
                _DAYS.clear()
            row = _DAYS[key] = DayPoints(*key)
        rows.append(row)
        visit_days += 1 if row.visit_bonus else 0
        visit_points += row.visit_bonus
        reports += logged
        report_points += row.report_points
        lapse_points += row.lapse_points
    return PointsBreakdown(
        user_id=facts.user_id, period=period, days=tuple(rows), lapses=charged,
        visit_days=visit_days, visit_day_points=visit_points,
        reports=reports, report_points=report_points,
        lapse_points=lapse_points, total=visit_points + report_points + lapse_points)
