"""Calibrations as people see them: each pair's cadence merged with what was stored, and the
data pack both sides get before they meet (seed 001 §三2, seed 000: prepare with data, coach).

A pair is a rep and the manager they calibrate with: the one set for the pair, else the team's
first manager. Its cadence is the pair's own (after a move "this and following"), else the
team's (Team.calibration_anchor at Team.calibration_time, team zone), else every other Tuesday
10:00 from the team's creation. An occurrence is a cadence slot (a date) with its moment, or
a stored Calibration row when something happened to it; ad hoc ones are rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.cadence import DEFAULT_TIME, Cadence, default_anchor
from bot.calendar.periods import month_period, week_period
from bot.calendar.workdays import (
    Working,
    both_working,
    next_working_day,
    parse_hhmm,
    previous_working_day,
)
from bot.scoring.facts import Period
from bot.scoring.kbi import BEHIND, KbiPace
from bot.services.idle import team_waiting
from bot.services.reports import RepReport, rules_for, team_report
from bot.services.teams import TeamInfo, team_info
from bot.slack.text import row_id
from store import actions, audit, briefs, deliveries, plans, teams
from store import calibrations as store
from store.calibrations import Answers
from store.deliveries import aware
from store.models import ActionItem, Calibration, Team
from store.plans import PlanView

MEETING = timedelta(minutes=30)  # seed 001: "每次用30分钟"
# An occurrence still counts as "the next one" until its meeting time is this far past.
CURRENT = MEETING + timedelta(minutes=15)
# How far back unrecorded calibrations are listed as waiting for minutes.
MINUTES_BACK = timedelta(days=14)
ADHOC = "adhoc:"


@dataclass(frozen=True)
class Pair:
    info: TeamInfo
    rep: str
    manager: str
    cadence: Cadence
    cadence_set_at: datetime  # when the cadence got its current anchor (aware UTC)

    @property
    def team_id(self) -> int:
        return self.info.id

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.info.tz)

    @property
    def working(self) -> Working:
        """The days both sides work: the team's, less the rep's and the manager's away days.
        A cadence slot on another day moves to the next such day (Cadence.moment)."""
        return both_working(self.info.working_for(self.rep),
                            self.info.working_for(self.manager))


@dataclass(frozen=True)
class Occurrence:
    pair: Pair
    slot: str  # the cadence date (ISO), or "adhoc:…"
    at: datetime  # aware UTC
    status: str
    set_at: datetime  # when it got this moment: reminders due earlier are not owed
    row: Calibration | None = None

    @property
    def ref(self) -> str:
        """What buttons carry to find it again: team, rep and slot."""
        return f"{self.pair.team_id}|{self.pair.rep}|{self.slot}"

    @property
    def adhoc(self) -> bool:
        return self.slot.startswith(ADHOC)

    @property
    def answers(self) -> Answers | None:
        return Answers.of(self.row) if self.row and self.row.answered_at else None

    @property
    def recorded(self) -> bool:
        return bool(self.row and self.row.recorded_at)

    @property
    def open(self) -> bool:
        return self.status == store.SCHEDULED


def parse_ref(value: str) -> tuple[int, str, str] | None:
    parts = (value or "").split("|", 2)
    if len(parts) != 3 or row_id(parts[0]) is None or not parts[1] or not parts[2]:
        return None
    return int(parts[0]), parts[1], parts[2]


# ----------------------------------------------------------------- pairs

def team_cadence(info: TeamInfo) -> Cadence:
    tz = ZoneInfo(info.tz)
    anchor = info.calibration_anchor or default_anchor(info.created_at.astimezone(tz).date())
    return Cadence(anchor, parse_hhmm(info.calibration_at, DEFAULT_TIME), tz)


def set_team_cadence(session: Session, *, workspace_id: str, name: str, anchor: date | None,
                     at: str | None, now: datetime) -> Team:
    """A new cadence for the team's pairs (those without one of their own): the calibrations
    stored for the old one that are still to come are cancelled (their history stays)."""
    team = teams.set_calibration(session, workspace_id=workspace_id, name=name, anchor=anchor,
                                 at=at)
    info = team_info(session, team, now=now)
    for pair in team_pairs(session, info):
        if pair.cadence_set_at == info.created_at:  # on the team's cadence
            store.cancel_after(session, team_id=team.id, rep=pair.rep, after=now, keep=-1,
                               now=now)
    return team


def team_pairs(session: Session, info: TeamInfo, *, read: bool = True) -> list[Pair]:
    """Every rep of the team with the manager they calibrate with (none without a manager).
    `read=False`: the team is known to have no pair of its own (teams_with_calibrations)."""
    own = store.pairs(session, team_id=info.id) if read else {}
    cadence = team_cadence(info)
    found = []
    for rep in info.reps:
        row = own.get(rep)
        manager = (row.manager_user_id if row and row.manager_user_id in info.managers
                   else info.managers[0] if info.managers else None)
        if manager is None or manager == rep:
            continue
        if row is not None and row.anchor_at is not None:
            found.append(Pair(info, rep, manager,
                              Cadence.from_moment(aware(row.anchor_at), cadence.tz),
                              aware(row.updated_at)))
        else:
            found.append(Pair(info, rep, manager, cadence, info.created_at))
    return found


def pair_of(session: Session, info: TeamInfo, rep: str) -> Pair | None:
    return next((p for p in team_pairs(session, info) if p.rep == rep), None)


def info_of(session: Session, team_id: int, now: datetime) -> TeamInfo | None:
    team = teams.team_by_id(session, team_id=team_id)
    return team_info(session, team, now=now) if team else None


# ----------------------------------------------------------------- occurrences

def _from_row(pair: Pair, row: Calibration) -> Occurrence:
    return Occurrence(pair, row.slot, aware(row.scheduled_at), row.status, aware(row.set_at),
                      row)


def occurrences(session: Session, pair: Pair, start: datetime, end: datetime,
                stored: list[Calibration] | None = None,
                moments: dict | None = None) -> list[Occurrence]:
    """The pair's calibrations happening from start to end: stored ones as stored, the rest
    from the cadence. Cancelled ones are left out. `stored`: the pair's rows from a month
    before `start` to a month after `end`, read already (team_occurrences); `moments`, its
    other pairs' slot moments."""
    if stored is None:
        stored = store.rows(session, team_id=pair.team_id, rep=pair.rep,
                            start=start - timedelta(days=31), end=end + timedelta(days=31))
    by_slot = {row.slot: row for row in stored}  # most pairs: none, in order already below
    found = [Occurrence(pair, slot, at, store.SCHEDULED, pair.cadence_set_at) for slot, at in
             _held_slots(pair, start, end, {} if moments is None else moments)
             if slot not in by_slot]
    if not stored:
        return found
    found += [_from_row(pair, row) for row in stored
              if start <= aware(row.scheduled_at) <= end and row.status != store.CANCELLED]
    return sorted(found, key=lambda o: (o.at, o.slot))


def _held_slots(pair: Pair, start: datetime, end: datetime,
                moments: dict) -> list[tuple[str, datetime]]:
    """The pair's cadence slots held from start to end (UTC, by moment and slot; none before
    the team existed), worked out once for the team's pairs with one cadence and leave."""
    away, first = pair.info.away, max(start, pair.info.created_at)
    key = (pair.cadence, away.get(pair.rep, ()), away.get(pair.manager, ()), start, end, first)
    if key not in moments:  # a slot moved past a holiday week can land a week later
        tz = pair.tz
        slots = pair.cadence.slots(start.astimezone(tz).date() - timedelta(days=14),
                                   end.astimezone(tz).date())
        held = [(s.isoformat(), at.astimezone(UTC)) for s in slots
                if (at := pair.cadence.held_at(s, pair.working)) is not None]
        moments[key] = sorted(((s, at) for s, at in held if first <= at <= end),
                              key=lambda one: (one[1], one[0]))
    return moments[key]


def team_occurrences(session: Session | None, info: TeamInfo, start: datetime, end: datetime, *,
                     read: bool = True) -> list[Occurrence]:
    """Every pair's occurrences of the team from start to end: two reads for the team (its
    pairs, its stored calibrations), not one per rep (a scheduler tick asks every minute).
    `read=False`: the team has no pair of its own and nothing stored from a month before
    `start` to a month after `end` (teams_with_calibrations said so): no read at all."""
    pairs = team_pairs(session, info, read=read)
    if not pairs:
        return []
    by_rep: dict[str, list[Calibration]] = {pair.rep: [] for pair in pairs}
    for row in store.rows(session, team_id=info.id, start=start - timedelta(days=31),
                          end=end + timedelta(days=31)) if read else ():
        if row.rep_user_id in by_rep:
            by_rep[row.rep_user_id].append(row)
    moments: dict = {}
    return [o for pair in pairs
            for o in occurrences(session, pair, start, end, stored=by_rep[pair.rep],
                                 moments=moments)]


def next_occurrence(session: Session, pair: Pair, now: datetime) -> Occurrence | None:
    """The pair's next calibration still to happen (or happening now), if any."""
    upcoming = [o for o in occurrences(session, pair, now - CURRENT, now + timedelta(days=60))
                if o.open and not o.recorded]
    return upcoming[0] if upcoming else None


def to_skip(session: Session, pair: Pair, now: datetime) -> Occurrence | None:
    """The calibration `/calibrate skip` means: the one just missed (gone by without minutes,
    not yet marked) when it is nearer to now than the next one, else the next one. After a
    missed Tuesday 10:00 that is Tuesday's for the rest of the week, not the one a fortnight
    on; the confirmation and the form name it."""
    missed = awaiting_minutes(session, pair, now)
    upcoming = next_occurrence(session, pair, now)
    if missed and (upcoming is None or upcoming.at <= now
                   or now - missed[0].at <= upcoming.at - now):
        return missed[0]
    return upcoming


def awaiting_minutes(session: Session, pair: Pair, now: datetime) -> list[Occurrence]:
    """Calibrations that have happened (by the clock) without minutes, newest first."""
    past = occurrences(session, pair, now - MINUTES_BACK, now)
    return [o for o in reversed(past) if o.open and not o.recorded and o.at <= now]


def history(session: Session, pair: Pair, *, start: datetime, end: datetime
            ) -> list[Occurrence]:
    """The pair's calibrations from start to end, newest first: held, not happened, and
    those that went by without minutes (only since the team existed)."""
    start = max(start, pair.info.created_at)
    return list(reversed(occurrences(session, pair, start, end)))


def state(occurrence: Occurrence, now: datetime) -> str:
    """held | skipped | missed (past, no minutes) | scheduled."""
    if occurrence.recorded:
        return "held"
    if occurrence.status == store.SKIPPED:
        return "skipped"
    return "missed" if occurrence.at + CURRENT < now else "scheduled"


def resolve(session: Session, ref: str, now: datetime) -> Occurrence | None:
    """The occurrence a button or form refers to, if it still exists and is on a cadence."""
    parsed = parse_ref(ref)
    if parsed is None:
        return None
    team_id, rep, slot = parsed
    info = info_of(session, team_id, now)
    pair = pair_of(session, info, rep) if info else None
    if pair is None:
        return None
    row = store.find(session, team_id=team_id, rep=rep, slot=slot)
    if row is not None:
        return _from_row(pair, row) if row.status != store.CANCELLED else None
    try:
        day = date.fromisoformat(slot)
    except ValueError:
        return None
    held = pair.cadence.held_at(day, pair.working)
    if day not in pair.cadence.slots(day, day) or held is None:
        return None
    return Occurrence(pair, slot, held.astimezone(UTC),
                      store.SCHEDULED, pair.cadence_set_at)


def stored(session: Session, occurrence: Occurrence, now: datetime) -> Calibration:
    """Its row, made now if it was only in the cadence."""
    if occurrence.row is not None:
        return store.attach(session, row=occurrence.row)
    pair = occurrence.pair
    return store.ensure(session, workspace_id=pair.info.workspace_id, team_id=pair.team_id,
                        rep=pair.rep, manager=pair.manager, slot=occurrence.slot,
                        scheduled_at=occurrence.at, set_at=occurrence.set_at, now=now)


def start_adhoc(session: Session, pair: Pair, *, request: str, now: datetime) -> Occurrence:
    """A calibration starting now (`/calibrate now @rep`); one per request, however often
    Slack delivers it."""
    row = store.ensure(session, workspace_id=pair.info.workspace_id, team_id=pair.team_id,
                       rep=pair.rep, manager=pair.manager, slot=f"{ADHOC}{request}"[:80],
                       scheduled_at=now, set_at=now, now=now)
    return _from_row(pair, row)


def move(session: Session, occurrence: Occurrence, *, at: datetime, following: bool,
         by: str, now: datetime) -> Occurrence:
    """Move one calibration, or ("this and following") the pair's whole cadence to run every
    two weeks from `at`."""
    pair = occurrence.pair
    if following and not occurrence.adhoc:
        store.set_pair_anchor(session, team_id=pair.team_id, rep=pair.rep, at=at, by=by,
                              now=now)
        new_pair = Pair(pair.info, pair.rep, pair.manager,
                        Cadence.from_moment(at, pair.tz), now)
        row = stored(session, occurrence, now)
        row.slot = at.astimezone(pair.tz).date().isoformat()  # its slot in the new cadence
        store.move(session, row=row, at=at, by=by, now=now)
        store.cancel_after(session, team_id=pair.team_id, rep=pair.rep,
                           after=min(at, occurrence.at) - timedelta(days=1), keep=row.id,
                           now=now)
        return _from_row(new_pair, row)
    row = stored(session, occurrence, now)
    store.move(session, row=row, at=at, by=by, now=now)
    return _from_row(pair, row)


# ----------------------------------------------------------------- reminders' moments

def day_ahead(occurrence: Occurrence) -> datetime:
    """The same time on the team's working day before the meeting."""
    tz = occurrence.pair.tz
    local = occurrence.at.astimezone(tz)
    before = previous_working_day(local.date(), occurrence.pair.info.working)
    return datetime.combine(before, local.time(), tzinfo=tz).astimezone(UTC)


def next_working_moment(occurrence: Occurrence) -> datetime:
    """The same time on the team's working day after the meeting (the nudge)."""
    tz = occurrence.pair.tz
    local = occurrence.at.astimezone(tz)
    day = next_working_day(local.date() + timedelta(days=1), occurrence.pair.info.working)
    return datetime.combine(day, local.time(), tzinfo=tz).astimezone(UTC)


# ----------------------------------------------------------------- the data pack

@dataclass(frozen=True)
class WeekLine:
    period: Period
    in_progress: bool
    totals: dict[str, int]
    points: int
    kbis: tuple[KbiPace, ...]

    @property
    def touches(self) -> KbiPace | None:
        return self.kbis[0] if self.kbis else None


@dataclass(frozen=True)
class IdleLead:
    name: str
    hours: int
    key: bool


@dataclass(frozen=True)
class DataPack:
    """What both sides see before they meet: the two weeks' logs and points, KBI pace,
    targets and attainment, action items, the rep's Friday briefs, alerts raised, and the rep's
    answers to the four questions."""

    occurrence: Occurrence
    currency: str
    as_of: date
    weeks: tuple[WeekLine, ...]
    kbis: tuple[KbiPace, ...]
    month: RepReport | None
    month_period: Period
    open_items: tuple[ActionItem, ...]
    last_items: tuple[ActionItem, ...]  # agreed at the last calibration, as they stand
    last_held: date | None
    briefs: tuple[tuple[date, dict[str, str]], ...]
    idle: tuple[IdleLead, ...]
    idle_alerts: int  # idle-lead DMs the rep got in the two weeks
    plan: PlanView | None = None  # an open improvement plan (seed 003), tracked each time

    @property
    def behind_weeks(self) -> tuple[Period, ...]:
        """Complete weeks whose customer touches fell behind the weekly KBI (the running week
        shows as pace, not as an alert)."""
        return tuple(w.period for w in self.weeks
                     if not w.in_progress and w.touches and w.touches.status == BEHIND)


BRIEF_FIELDS = ("progress", "wins", "blockers", "next_focus")


def data_pack(session: Session, occurrence: Occurrence, now: datetime) -> DataPack:
    pair = occurrence.pair
    team = teams.team_by_id(session, team_id=pair.team_id)
    rules = rules_for(session, team.id)
    tz = pair.tz
    as_of = min(now.astimezone(tz).date(), occurrence.at.astimezone(tz).date())
    weeks = []
    for period in (week_period(as_of - timedelta(days=7)), week_period(as_of)):
        report = team_report(session, team=team, period=period, now=now, rules=rules,
                             user_ids=[pair.rep])
        rep = report.reps.get(pair.rep)
        weeks.append(WeekLine(period, report.in_progress,
                              dict(rep.facts.totals) if rep else {},
                              rep.points.total if rep else 0, rep.kbis if rep else ()))
    month = month_period(as_of)
    month_report = team_report(session, team=team, period=month, now=now, rules=rules,
                               user_ids=[pair.rep]).reps.get(pair.rep)
    last = store.last_held(session, team_id=team.id, rep=pair.rep, before=occurrence.at)
    window_start = datetime.combine(weeks[0].period.start, time(0), tzinfo=tz).astimezone(UTC)
    idle = [IdleLead(lead.name, lead.hours, lead.key)  # over 48 working hours, as the points
            for lead in team_waiting(session, team, now) if lead.owner == pair.rep]
    answers = []
    for week in weeks:
        brief = briefs.get(session, workspace_id=pair.info.workspace_id, user_id=pair.rep,
                           week_start=week.period.start)
        if brief is not None:
            answers.append((week.period.start,
                            {k: getattr(brief, k) for k in BRIEF_FIELDS if getattr(brief, k)}))
    return DataPack(
        occurrence=occurrence, currency=team.currency, as_of=as_of, weeks=tuple(weeks),
        kbis=weeks[-1].kbis, month=month_report, month_period=month,
        open_items=tuple(actions.of_rep(session, team_id=team.id, rep=pair.rep)),
        last_items=tuple(actions.of_calibration(session, calibration_id=last.id)
                         if last else ()),
        last_held=aware(last.scheduled_at).astimezone(tz).date() if last else None,
        briefs=tuple(answers), idle=tuple(idle),
        idle_alerts=_idle_alerts(session, pair, since=window_start),
        plan=plans.open_plan(session, team_id=team.id, user_id=pair.rep))


def _idle_alerts(session: Session, pair: Pair, *, since: datetime) -> int:
    """Idle-lead DMs (the alerts job's idle48 and idle72 keys for this team) the rep got."""
    return deliveries.sent_count(session, workspace_id=pair.info.workspace_id, job="alerts",
                                 user_id=pair.rep, period_like=f"idle%:t{pair.team_id}:%",
                                 since=since)


# ----------------------------------------------------------------- changes people ask for
# (/calibrate's words and its forms, handlers/calibrate*.py)

MOVE_MIN_AHEAD = timedelta(minutes=5)
MOVE_MAX_AHEAD = timedelta(days=60)
SKIP_REASON_MAX = 500


def move_refusal(occurrence: Occurrence, at: datetime, now: datetime) -> str | None:
    """Why a calibration cannot move to `at` (a catalogue key: too soon, too far ahead, a
    day off for the team), or None if it can."""
    return moment_refusal(at, now, occurrence.pair.tz, occurrence.pair.info.working)


def moment_refusal(at: datetime, now: datetime, tz: ZoneInfo,
                   working: Callable[[date], bool]) -> str | None:
    """Why a meeting of the team (a calibration, a review conversation) cannot move to `at`,
    or None if it can."""
    if at < now + MOVE_MIN_AHEAD:
        return "calx.move_past"
    if at > now + MOVE_MAX_AHEAD:
        return "calx.move_far"
    if not working(at.astimezone(tz).date()):
        return "calx.move_day_off"
    return None


def move_for(session: Session, occurrence: Occurrence, *, at: datetime, following: bool,
             workspace_id: str, by: str, now: datetime) -> Occurrence:
    """`move`, asked by `by` (of `workspace_id`); a move by someone outside the pair (an
    admin) is audited."""
    moved = move(session, occurrence, at=at.astimezone(UTC), following=following, by=by,
                 now=now)
    if by not in (moved.pair.rep, moved.pair.manager):
        audit.record(session, workspace_id=workspace_id, actor_user_id=by,
                     action="calibrate.move", target=moved.pair.rep, outcome="done", now=now,
                     detail=f"to {at.isoformat()}")
    return moved


def skip_for(session: Session, occurrence: Occurrence, *, reason: str, by: str,
             now: datetime) -> None:
    """Mark a calibration as not happening, with the reason given (cut to SKIP_REASON_MAX)."""
    store.skip(session, row=stored(session, occurrence, now), reason=reason[:SKIP_REASON_MAX],
               by=by, now=now)
