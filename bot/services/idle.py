"""Leads waiting too long for a follow-up right now (seed 001 "超48小时未跟进线索"): the one
answer the idle-lead alerts (bot/jobs/alerts.py), App Home, the calibration data pack and
/lead list all show, by the same rule the behaviour points charge (bot/scoring/points.py
`lapses`): a lead at one of the team's watched stages (rules.points.idle_lead_stages, by
default lead and contacted) whose wait, begun at its last touch, creation or stage change,
has passed `hours` of the team's working time (weekends, public holidays and the team's
days off stop the clock).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.workdays import Span, Working, person_working
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


# Lapse moments already computed, by everything one depends on: the lead, when its wait
# began, the hours, the zone, the team's calendar and its owner's leave. A moment changes
# only when one of these does, so the alerts job, which asks about every waiting lead of
# every team each minute, works each out once (at 2,000 teams it was a third of a tick).
_MARKS: dict[tuple, datetime | None] = {}
MARKS_MAX = 500_000  # then forgotten all at once: recomputing is cheap next to the memory


def waiting_over_many(session: Session, *, teams: Mapping[int, Clock],
                      now: datetime) -> dict[int, list[Waiting]]:
    """`waiting_over` for many teams, with one query for all of them (the alerts job asks
    every minute about every team)."""
    # Working hours never exceed wall-clock hours (bar a DST change, bot/scoring/gaps.py), so
    # SQL can leave out the leads quiet for less than `hours` minus that: the rest are few.
    leads = store.waiting_many(session, teams={
        team_id: (clock.rules.points.idle_lead_stages,
                  now - timedelta(hours=clock.hours) + ahead_at_most(
                      clock.tz, now - timedelta(hours=clock.hours + 24), now))
        for team_id, clock in teams.items()})
    found: dict[int, list[Waiting]] = {}
    for team_id, clock in teams.items():
        found[team_id] = []
        for lead in leads[team_id]:
            spans = clock.away.get(lead.owner, ())
            owner_working = person_working(clock.working, spans)
            key = (lead.id, lead.since, clock.hours, clock.tz, clock.calendar, tuple(spans))
            if clock.calendar is not None and key in _MARKS:
                mark = _MARKS[key]
            else:
                mark = lapse_mark(lead.since, hours=clock.hours, tz=clock.tz,
                                  working=owner_working)
                if clock.calendar is not None:
                    if len(_MARKS) >= MARKS_MAX:
                        _MARKS.clear()
                    _MARKS[key] = mark
            if mark is None or mark >= now:
                continue
            found[team_id].append(Waiting(
                id=lead.id, name=lead.name, owner=lead.owner, stage=lead.stage, tier=lead.tier,
                since=lead.since, mark=mark, clock=(now, clock.tz, owner_working)))
    return found


def team_waiting(session: Session, team: Team, now: datetime, *,
                 hours: int | None = None) -> list[Waiting]:
    """`waiting_over` for a team row, with its rules and calendar; `hours` defaults to the
    rules' idle_lead_hours (48)."""
    rules = rules_for(session, team.id)
    return waiting_over(session, team_id=team.id, now=now,
                        hours=rules.points.idle_lead_hours if hours is None else hours,
                        tz=ZoneInfo(team.tz), working=working_for(session, team), rules=rules,
                        away=team_away(session, team, now))
