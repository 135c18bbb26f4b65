"""The independent recomputation of points and KBIs from the raw logs of a simulation
(tests/simulation.py), written from seed 001's rules and issue 12's semantics, never by
calling bot/scoring:

- Points (seed 001 §二3): +20 for a day with 3 or more visits, +30 per needs-analysis report,
  -10 for a lead idle more than 48 hours: only a customer in stage `lead` or `contacted`
  (线索 waiting for a first or next follow-up), the 48 hours counted on the team's working
  days only (weekends, China's public holidays and the team's days off stop the clock; the
  make-up working days count), one lapse per quiet spell, charged to the team-local day it
  began. A touch is any log linked to the customer; a spell ends when it is won or lost.
- KBIs (seed 001 §二2): touches = calls + visits + emails; discovery = customers reaching
  `proposal` in the period with 2+ discovery logs on or before that day; demo = deals whose
  customer had a demo logged on or before the deal's day; objections = conversations (visit,
  call, demo or discovery logs naming a customer) whose customer got an objection log that
  day or that were logged with "no objections"; follow-ups = one per signed customer per
  calendar month (a customer won before the month began and not lost by its end), so a
  longer period adds its months up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The State Council's 2026 arrangement (国务院办公厅关于2026年部分节假日安排的通知) for the
# weeks the simulation covers: Mid-Autumn on Friday 25 Sep, National Day 1-7 Oct, and the
# make-up working days Sunday 20 Sep and Saturday 10 Oct.
CN_HOLIDAYS_2026 = frozenset({date(2026, 9, 25), *(date(2026, 10, d) for d in range(1, 8))})
CN_MAKEUP_DAYS_2026 = frozenset({date(2026, 9, 20), date(2026, 10, 10)})

VISIT_DAY_THRESHOLD, VISIT_DAY_POINTS, REPORT_POINTS, IDLE_POINTS = 3, 20, 30, -10
IDLE_HOURS = 48
IDLE_STAGES = ("lead", "contacted")
TOUCH_KINDS = ("call", "visit", "email")
CONVERSATION_KINDS = ("visit", "call", "demo", "discovery")
DISCOVERY_ROUNDS = 2
# What a log makes obvious about a customer's stage (SPEC §1), forward only.
STAGES = ("lead", "contacted", "discovery", "demo", "proposal", "negotiation", "won", "lost")
STAGE_FOR_KIND = {"call": "contacted", "visit": "contacted", "email": "contacted",
                  "followup": "contacted", "objection": "contacted", "discovery": "discovery",
                  "report": "discovery", "demo": "demo", "deal": "won", "payment": "won"}


def working(day: date, days_off: frozenset[date] = frozenset()) -> bool:
    if day in CN_MAKEUP_DAYS_2026:
        return True
    return day.weekday() < 5 and day not in CN_HOLIDAYS_2026 and day not in days_off


@dataclass(frozen=True)
class Log:
    user: str
    kind: str
    customer: str | None
    at: datetime  # aware UTC; the log is for the team-local day of `at`
    amount: Decimal = Decimal(0)
    new_customer: bool | None = None
    no_objections: bool = False

    @property
    def day(self) -> date:
        return self.at.astimezone(SHANGHAI).date()


@dataclass
class Customer:
    name: str
    owner: str
    created_at: datetime
    stages: list[tuple[datetime, str]] = field(default_factory=list)  # (when, stage reached)

    @property
    def stage(self) -> str:
        return self.stages[-1][1]

    def stage_at(self, moment: datetime) -> str | None:
        found = None
        for at, stage in self.stages:
            if at <= moment:
                found = stage
        return found

    def move(self, stage: str, at: datetime) -> None:
        """Forward only; won and lost are final."""
        if self.stage in ("won", "lost"):
            return
        if stage in ("won", "lost") or STAGES.index(stage) > STAGES.index(self.stage):
            self.stages.append((at, stage))


def working_deadline(start: datetime, hours: int, days_off: frozenset[date]) -> datetime:
    """The moment `hours` of the team's working days have passed since `start`."""
    left = timedelta(hours=hours)
    cursor = start.astimezone(SHANGHAI)
    while True:
        day = cursor.date()
        midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        if working(day, days_off):
            span = midnight - cursor
            if span >= left:
                return (cursor + left).astimezone(UTC)
            left -= span
        cursor = midnight


def lapses(customer: Customer, touches: list[datetime], *, now: datetime,
           days_off: frozenset[date] = frozenset()) -> list[datetime]:
    """When the lead went 48 working hours without a touch while it waited in an idle stage."""
    closed = next((at for at, stage in customer.stages if stage in ("won", "lost")), None)
    end = now if closed is None else min(now, closed)
    found = []
    since = customer.created_at
    for touch in [*sorted(t for t in touches if t <= end), None]:
        until = end if touch is None else touch
        if customer.stage_at(since) in IDLE_STAGES:
            deadline = working_deadline(since, IDLE_HOURS, days_off)
            if until > deadline:
                found.append(deadline)
        if touch is None:
            break
        since = max(since, touch)
    return found


@dataclass(frozen=True)
class Truth:
    points: int
    visit_days: int
    reports: int
    lapses: int
    touches: int
    discovery: tuple[int, int]  # (customers with 2+ rounds, customers reaching proposal)
    demo: tuple[int, int]  # (deals with a demo before, deals)
    objections: tuple[int, int]  # (conversations handled, conversations)
    followups: tuple[int, int]  # (signed customers followed up, signed customers), per month
    sales: Decimal
    deals: int
    collected: Decimal


def _months(start: date, end: date) -> list[tuple[date, date]]:
    found, day = [], start
    while day <= end:
        nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        found.append((day, min(end, nxt - timedelta(days=1))))
        day = nxt
    return found


def recompute(user: str, logs: list[Log], customers: dict[str, Customer], *, start: date,
              end: date, now: datetime, days_off: frozenset[date] = frozenset()) -> Truth:
    """One rep's points and KBIs for the days start..end (team time), as of `now`."""
    def inside(day: date) -> bool:
        return start <= day <= end

    mine = [log for log in logs if log.user == user and inside(log.day)]
    visits_by_day: dict[date, int] = defaultdict(int)
    for log in mine:
        if log.kind == "visit":
            visits_by_day[log.day] += 1
    visit_days = sum(1 for n in visits_by_day.values() if n >= VISIT_DAY_THRESHOLD)
    reports = sum(1 for log in mine if log.kind == "report")
    touched: dict[str, list[datetime]] = defaultdict(list)
    for log in logs:
        if log.customer:
            touched[log.customer].append(log.at)
    lapsed = [moment for c in customers.values() if c.owner == user
              for moment in lapses(c, touched[c.name], now=now, days_off=days_off)
              if inside(moment.astimezone(SHANGHAI).date())]
    points = (visit_days * VISIT_DAY_POINTS + reports * REPORT_POINTS
              + len(lapsed) * IDLE_POINTS)

    by_customer: dict[str, list[Log]] = defaultdict(list)
    for log in logs:
        if log.customer:
            by_customer[log.customer].append(log)

    def logged(name: str, kind: str, on_or_before: date) -> list[Log]:
        return [x for x in by_customer[name] if x.kind == kind and x.day <= on_or_before]

    proposals = [(c.name, at.astimezone(SHANGHAI).date()) for c in customers.values()
                 if c.owner == user for at, stage in c.stages
                 if stage == "proposal" and inside(at.astimezone(SHANGHAI).date())]
    rounds = [len(logged(name, "discovery", day)) for name, day in proposals]
    deals = [log for log in mine if log.kind == "deal"]
    with_demo = sum(1 for d in deals if d.customer and logged(d.customer, "demo", d.day))
    talks = [log for log in mine if log.kind in CONVERSATION_KINDS and log.customer]
    handled = sum(1 for t in talks if t.no_objections or any(
        x.kind == "objection" and x.day == t.day for x in by_customer[t.customer or ""]))

    signed = followed = 0
    for first, last in _months(start, end):
        month_start = datetime.combine(first, time(0), tzinfo=SHANGHAI)
        month_end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        for c in customers.values():
            won = next((at for at, stage in c.stages if stage == "won"), None)
            if c.owner != user or won is None or won >= month_start:
                continue
            if c.stage_at(month_end) == "lost":
                continue
            signed += 1
            followed += any(x.kind == "followup" and first <= x.day <= last
                            for x in by_customer[c.name])
    return Truth(
        points=points, visit_days=visit_days, reports=reports, lapses=len(lapsed),
        touches=sum(1 for log in mine if log.kind in TOUCH_KINDS),
        discovery=(sum(1 for r in rounds if r >= DISCOVERY_ROUNDS), len(rounds)),
        demo=(with_demo, len(deals)), objections=(handled, len(talks)),
        followups=(followed, signed),
        sales=sum((d.amount for d in deals), Decimal(0)), deals=len(deals),
        collected=sum((x.amount for x in mine if x.kind == "payment"), Decimal(0)))
