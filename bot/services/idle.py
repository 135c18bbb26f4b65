"""Leads waiting too long for a follow-up right now (seed 001 "超48小时未跟进线索"): the one
answer the idle-lead alerts (bot/jobs/alerts.py), App Home, the calibration data pack and
/lead list all show, by the same rule the behaviour points charge (bot/scoring/points.py
`lapses`): a lead at one of the team's watched stages (rules.points.idle_lead_stages, by
default lead and contacted) whose wait, begun at its last touch, creation or stage change,
has passed `hours` of the team's working time (weekends, public holidays and the team's
days off stop the clock).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import (
    SEARCH_DAYS,
    Span,
    Working,
    WorkingClock,
    at_local,
    end_of_day,
    is_away,
    person_working,
)
from bot.scoring.gaps import ahead_at_most
from bot.scoring.points import idle_hours, lapse_mark
from bot.scoring.rules import Rules
from bot.services.reports import rules_for
from bot.services.teams import team_away, working_for
from store import idle as store
from store.models import Team


@dataclass(frozen=True)
class Waiting:
    id: int
    name: str
    owner: str
    stage: str
    tier: str
    since: datetime  # when the wait began (aware UTC)
    mark: datetime  # when it passed the hours: the lapse (aware UTC)
    clock: tuple[datetime, tzinfo, Working] = field(repr=False, compare=False)  # now, zone, days

    @property
    def key(self) -> bool:
        return self.tier == "key"

    @cached_property
    def hours(self) -> int:
        """Working hours waited by now (whole hours, rounded down). Counted when asked, not
        for every waiting lead: counting a long wait goes day by day, and the alerts job,
        which looks at every lead of every team each minute, needs it only for the few it
        writes about (at 500 teams it was most of an idle tick)."""
        now, tz, working = self.clock
        return int(idle_hours(self.since, now, tz=tz, working=working))


def waiting_over(session: Session, *, team_id: int, now: datetime, hours: int,
                 tz: tzinfo, working: Working, rules: Rules,
                 away: Mapping[str, tuple[Span, ...]] | None = None) -> list[Waiting]:
    """The team's leads that have waited more than `hours` working hours by `now` (a wait
    of exactly `hours` is still in time), by owner and then the oldest wait first. A lead's
    clock also stops on its owner's away days (`away`: user -> spells; /pacer away)."""
    return waiting_over_many(session, teams={team_id: Clock(hours, tz, working, rules,
                                                            dict(away or {}))},
                             now=now)[team_id]


@dataclass(frozen=True)
class Clock:
    """One team's idle-lead clock: the hours, its zone, its working days, its rules."""

    hours: int
    tz: tzinfo
    working: Working
    rules: Rules
    away: Mapping[str, tuple[Span, ...]] = field(default_factory=dict)  # owner -> spells
    # What `working` is made of (e.g. the team's country and days off), hashable: with it a
    # lead's lapse moment is remembered between calls (_MARKS); None: computed every time.
    calendar: Hashable | None = None


class _Marks:
    """Lapse moments already computed, by everything one depends on: the lead, when its wait
    began, the hours, the zone, the team's calendar and its owner's leave. A moment changes
    only when one of these does, so the alerts job, which asks about the waiting leads of
    every team each minute, works each out once (at 2,000 teams it was a third of a tick).
    Only the moments asked for at the latest `now` and the one before are kept: a lead no
    longer asked about (touched, or its lapse out of the alerts' windows) is forgotten."""

    def __init__(self) -> None:
        self.now: datetime | None = None
        self.current: dict[tuple, datetime | None] = {}
        self.before: dict[tuple, datetime | None] = {}

    def turn(self, now: datetime) -> None:
        if now != self.now:
            self.now, self.before, self.current = now, self.current, {}

    def get(self, key: tuple, compute: Callable[[], datetime | None]) -> datetime | None:
        if key in self.current:
            return self.current[key]
        mark = self.before[key] if key in self.before else compute()
        self.current[key] = mark
        return mark

    def clear(self) -> None:
        self.now, self.current, self.before = None, {}, {}

    def __len__(self) -> int:
        return len(self.current) + len(self.before)


_MARKS = _Marks()


def waiting_over_many(session: Session, *, teams: Mapping[int, Clock], now: datetime,
                      lapsed_from: datetime | None = None) -> dict[int, list[Waiting]]:
    """`waiting_over` for many teams, with one query for all of them (the alerts job asks
    every minute about every team). With `lapsed_from`, only the leads whose lapse came at
    or after it (the alerts: an older lapse is out of every alert's window): the waits begun
    too long before it to lapse so late are not read (a month of old lapses each minute)."""
    # Working hours never exceed wall-clock hours (bar a DST change, bot/scoring/gaps.py), so
    # SQL can leave out the leads quiet for less than `hours` minus that: the rest are few.
    bounds: dict[tuple, datetime | None] = {}  # teams sharing a calendar share their bound
    began_from = {} if lapsed_from is None else {
        team_id: at for team_id, clock in teams.items()
        if (at := _began_from_shared(bounds, clock, lapsed_from)) is not None}
    leads = store.waiting_many(session, teams={
        team_id: (clock.rules.points.idle_lead_stages,
                  now - timedelta(hours=clock.hours) + ahead_at_most(
                      clock.tz, now - timedelta(hours=clock.hours + 24), now))
        for team_id, clock in teams.items()}, began_from=began_from)
    _MARKS.turn(now)
    # One WorkingClock (what lapse_mark counts with, remembering the days it has seen) per
    # zone, calendar and leave: a clock per lead built its weeks of days again for each (after
    # a restart, 64 days for each of 2,800 waiting leads at 500 teams: 0.6 s).
    counters: dict[tuple, WorkingClock] = {}
    found: dict[int, list[Waiting]] = {}
    for team_id, clock in teams.items():
        found[team_id] = []
        for lead in leads[team_id]:
            spans = clock.away.get(lead.owner, ())
            owner_working = person_working(clock.working, spans)

            def compute(lead: store.IdleLead = lead, working: Working = owner_working,
                        clock: Clock = clock, spans: tuple = tuple(spans)) -> datetime | None:
                if clock.calendar is None:
                    return lapse_mark(lead.since, hours=clock.hours, tz=clock.tz,
                                      working=working)
                key = (clock.tz, clock.calendar, spans)
                counter = counters.get(key)
                if counter is None:
                    counter = counters[key] = WorkingClock(clock.tz, working)  # type: ignore[arg-type]
                return counter.after(lead.since, clock.hours)

            if clock.calendar is None:
                mark = compute()
            else:
                mark = _MARKS.get((lead.id, lead.since, clock.hours, clock.tz, clock.calendar,
                                   tuple(spans)), compute)
            if mark is None or mark >= now or (lapsed_from is not None and mark < lapsed_from):
                continue
            found[team_id].append(Waiting(
                id=lead.id, name=lead.name, owner=lead.owner, stage=lead.stage, tier=lead.tier,
                since=lead.since, mark=mark, clock=(now, clock.tz, owner_working)))
    return found


def _began_from_shared(bounds: dict[tuple, datetime | None], clock: Clock,
                       lapsed_from: datetime) -> datetime | None:
    """`_began_from`, worked out once for the teams with the same hours, zone, calendar
    (`clock.calendar`: what `clock.working` is made of) and leave: most teams of a tick share
    one (counting back day by day for each of 2,000 teams was a fifth of the alerts job)."""
    if clock.calendar is None:
        return _began_from(clock, lapsed_from)
    key = (clock.hours, clock.tz, clock.calendar, _all_away(clock), lapsed_from)
    if key not in bounds:
        bounds[key] = _began_from(clock, lapsed_from)
    return bounds[key]


def _all_away(clock: Clock) -> tuple[Span, ...]:
    return tuple(span for spans in clock.away.values() for span in spans)


def _began_from(clock: Clock, lapsed_from: datetime) -> datetime | None:
    """A moment before which a wait has passed `clock.hours` of working time before
    `lapsed_from`, whoever owns the lead: counted back on the days the team works and nobody
    of it is away (each owner works those days at least, so has waited as long or longer),
    with a day to spare. None when no such moment is found in the calendar's search."""
    away = _all_away(clock)
    end = lapsed_from.astimezone(UTC)
    day, total = end.astimezone(clock.tz).date(), timedelta(0)
    need = timedelta(hours=clock.hours + 24)
    for _ in range(SEARCH_DAYS * 7):
        begins = at_local(day, time(0), clock.tz).astimezone(UTC)
        if clock.working(day) and not is_away(day, away):
            total += min(end, end_of_day(day, clock.tz).astimezone(UTC)) - begins
            if total >= need:
                return begins
        day -= timedelta(days=1)
    return None


def team_waiting(session: Session, team: Team, now: datetime, *,
                 hours: int | None = None) -> list[Waiting]:
    """`waiting_over` for a team row, with its rules and calendar; `hours` defaults to the
    rules' idle_lead_hours (48)."""
    rules = rules_for(session, team.id)
    return waiting_over(session, team_id=team.id, now=now,
                        hours=rules.points.idle_lead_hours if hours is None else hours,
                        tz=ZoneInfo(team.tz), working=working_for(session, team), rules=rules,
                        away=team_away(session, team, now))
