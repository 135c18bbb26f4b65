"""Recording a person's activity: a /log line (handlers/log.py) or the App Home's log form
(handlers/home.py) saved, linked to its customer, undone; and what its confirmation shows,
as plain data (bot/render/log.py draws it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.periods import week_bounds, week_period
from bot.calendar.workdays import is_working_day, person_working, working_days
from bot.deps import Deps, Who
from bot.followups import FOLLOW_UPS
from bot.grammar.log import LogCommand, LogEntry, parse_log
from bot.scoring.facts import RepFacts
from bot.scoring.kbi import KbiPace, kbi_pace
from bot.scoring.points import day_points
from bot.scoring.rules import DEFAULT_RULES
from bot.services import log_cache, log_writes
from store import activity, away, customers, log_inserts, rosters, teams
from store.activity import NO_TOTAL, KindTotal
from store.models import Activity, Customer, Team

DEFAULT_CURRENCY = "CNY"


@dataclass(frozen=True)
class Logged:
    """Exactly what was recorded, and how it moved the rep's day and week."""

    activity: Activity
    created: bool  # False: the same log arrived again (a retry) and was not counted twice
    day_total: KindTotal
    week_total: KindTotal
    points: int
    pace: KbiPace  # the week's customer-touches KBI, as the week's card computes it
    currency: str
    on_team: bool
    today: date
    link: customers.Link | None


def read(deps: Deps, who: Who, text: str) -> LogCommand:
    """A /log line read for this rep: in their zone and language, with their team's currency
    and the team's customers it names (known customers anchor the parse). Raises
    LogParseError with the reply's details."""
    team = log_cache.team_of(deps, who)
    known = log_cache.customer_names_in(deps, team.id, text) if team else []
    return parse_log(text, now=deps.clock.now(), tz=who.profile.tz,
                     currency=team.currency if team else DEFAULT_CURRENCY, customers=known,
                     rep_lang=who.lang)


def record(deps: Deps, who: Who, entry: LogEntry, text: str, source: str) -> int | None:
    """/log's part before its ack, only what makes it durable: one INSERT (nothing when a
    request with this `source`, Slack's trigger_id, was recorded already: a retry), committed.
    The row's customer link and App Home marks are owed until `follow_up` (or, if this
    process dies first, the `log-followups` job) does them. Returns the new row's id."""
    team = log_cache.team_of(deps, who)
    # Not a session: nothing here is an entity, and the session's own work (its events, its
    # commit) ran while this held SQLite's one writer, which the other acks queue on. The
    # /logs that queue meanwhile are committed together (bot/services/log_writes.py).
    return log_writes.INSERTS.insert(deps.engine, log_inserts.once_values(
        workspace_id=who.workspace_id, user_id=who.user_id, team_id=team.id if team else None,
        entry=entry, text=text, source=source, now=deps.clock.now()))


def follow_up(deps: Deps, who: Who, activity_id: int) -> Logged | None:
    """/log's part after its ack for one log (see `follow_ups`)."""
    return follow_ups(deps, [(who, activity_id)])[0]


def follow_ups(deps: Deps, logs: list[tuple[Who, int]]) -> list[Logged | None]:
    """/log's part after its ack, for the logs queued together (bot/followups.py), in their
    order: settle each row (its team read afresh, its customer linked, App Homes marked
    stale) in ONE short write transaction for them all (one commit, one UPDATE of the
    Homes), so the acks' INSERTs, which queue for SQLite's one writer, don't wait behind the
    totals; then say how each counts (reads only; a person's totals for a day read once).
    None for a log undone before its confirmation could be shown (the undo's reply said so)."""
    with deps.sessions() as session:
        people: dict[str, set[str]] = {}
        for who, _ in logs:
            people.setdefault(who.workspace_id, set()).add(who.user_id)
        teams_of = {(workspace_id, user_id): team
                    for workspace_id, users in people.items()
                    for user_id, team in rosters.log_teams(session, workspace_id=workspace_id,
                                                           user_ids=users).items()}
        claimed_rows = activity.claim_settle_many(session, activity_ids=[i for _, i in logs])
        known = _customers_named(session, [
            (teams_of[who.workspace_id, who.user_id], claimed_rows.get(activity_id))
            for who, activity_id in logs])
        settled: list[tuple[Who, Activity, customers.Link | None,
                            rosters.LogTeam | None] | None] = []
        matched: dict[tuple[int, str], customers.Match] = {}
        for who, activity_id in logs:
            team = teams_of[who.workspace_id, who.user_id]
            row = claimed_rows.get(activity_id)
            claimed = row is not None
            row = row or activity.get(session, workspace_id=who.workspace_id,
                                      activity_id=activity_id)  # the repair job settled it
            if row is None or row.deleted_at is not None:
                settled.append(None)
                continue
            found = _settle(session, deps, row, team, who.profile.tz, known=known,
                            matched=matched) if claimed else None
            settled.append((who, row, found, team))
        session.commit()  # the write ends here; the reads go on in the same session
        seen: dict[tuple, Any] = {}
        live = [(who, row, team) for who, row, _, team in filter(None, settled)]
        _totals_of_many(session, live, seen)
        _away_of_many(session, live, seen)
        shown: list[Logged | None] = []
        for one in settled:
            if one is None:
                shown.append(None)
                continue
            who, row, found, team = one
            shown.append(logged(session, deps, who, row, created=True, link=found, team=team,
                                seen=seen))
        return shown


def repair(deps: Deps, activity_id: int) -> bool:
    """Settle a row whose follow-up a dead process left owed (no confirmation: its
    response_url died with the request). False if someone else settled it meanwhile."""
    with deps.sessions() as session:
        row = activity.claim_settle(session, activity_id=activity_id)
        if row is None:
            return False
        team = teams.team_for_user(session, workspace_id=row.workspace_id, user_id=row.user_id)
        cached = deps.users.cached(row.workspace_id, row.user_id)
        tz = cached.tz if cached else ZoneInfo(team.tz if team else "UTC")
        _settle(session, deps, row, team, tz)
        return True


def owed(deps: Deps, *, before: datetime) -> list[int]:
    """Logs recorded before `before` whose follow-up is still owed (see `repair`), less
    those this process's follow-up pool still has queued (bot/followups.py: it settles them,
    and their confirmations need what it finds)."""
    with deps.sessions() as session:
        found = activity.settle_owed(session, before=before)
    queued = FOLLOW_UPS.settling()
    return [i for i in found if queued_key(deps, i) not in queued]


def queued_key(deps: Deps, activity_id: int) -> tuple[int, int]:
    """A log as the follow-up pool names it (one process may serve several databases)."""
    return id(deps.engine), activity_id


def _settle(session: Session, deps: Deps, row: Activity, team: Team | rosters.LogTeam | None,
            tz: ZoneInfo, known: dict[tuple[int, str], Customer] | None = None,
            matched: dict[tuple[int, str], customers.Match] | None = None
            ) -> customers.Link | None:
    """The row's team as it is now (the ack used a cached one), and its customer linked.
    `known`: customers already read by (team id, name key) (`_customers_named`); a name not
    there is matched as link_activity matches it (it may be new, close to others, or made by
    an earlier log of the same batch), without flushing first. `matched`: those matches
    for the batch by (team id, name key), until a log of the batch makes a customer of the
    team (which a match may then find)."""
    if row.team_id != (team.id if team else None):
        row.team_id = team.id if team else None
    if row.deleted_at is not None or team is None or not row.customer:
        return None  # undone before its follow-up: the undo took back nothing to take back
    customer, new = None, False
    if known is not None:
        key = (team.id, customers.name_key(row.customer))
        customer = known.get(key)
        if customer is None:
            found = matched.get(key) if matched is not None else None
            if found is None:
                # Not flushed first: what is pending (links, touches, stage moves; a customer
                # made here is flushed when made) is nothing a match by name reads.
                with session.no_autoflush:
                    found = customers.match(session, team_id=team.id, name=row.customer)
                if matched is not None:
                    matched[key] = found
            if found.ambiguous:
                return customers.Link(candidates=found.candidates)
            customer, new = found.exact, found.exact is None
    link = customers.link_activity(session, row, team_id=team.id, customer=customer, new=new,
                                   touched_at=_touched_at(deps.clock.now(), tz, row))
    if link.created or new:  # a new name of the team (made here or just now elsewhere):
        # the batch's later logs find it by it
        if known is not None:
            known[team.id, customers.name_key(row.customer)] = link.customer
        for key in [key for key in matched or () if key[0] == team.id]:
            del matched[key]  # type: ignore[union-attr]  # (a match may find it now)
    return link


def _customers_named(session: Session, rows: list[tuple[rosters.LogTeam | None,
                                                         Activity | None]]
                     ) -> dict[tuple[int, str], Customer]:
    """The customers the claimed rows name exactly (customers.match's exact answer), by (team
    id, name key): one read per team for a batch of follow-ups, before any is linked. (Each
    `match` in turn flushed the links before it and read once per log.)"""
    names: dict[int, list[str]] = {}
    for team, row in rows:
        if team is not None and row is not None and row.customer and row.deleted_at is None:
            names.setdefault(team.id, []).append(row.customer)
    return {(team_id, key): customer for team_id, named in names.items()
            for key, customer in customers.exact_many(session, team_id=team_id,
                                                      names=named).items()}


def _totals_of_many(session: Session, rows: list[tuple[Who, Activity,
                                                       rosters.LogTeam | None]],
                    seen: dict[tuple, Any]) -> None:
    """The day's and week's totals `logged` reads for each row (its rep's, on its day), for
    all of them in one read per workspace and week, put in `seen` where `logged` looks
    first."""
    wanted: dict[tuple[str, date, date], set[tuple[str, date]]] = {}
    for who, row, _ in rows:
        wanted.setdefault((who.workspace_id, *week_bounds(row.occurred_on)),
                          set()).add((who.user_id, row.occurred_on))
    for (workspace_id, week_start, week_end), days in wanted.items():
        if len(days) == 1:
            continue  # `logged` reads one person's day itself, by its own statement
        found = activity.day_and_week_totals_many(
            session, workspace_id=workspace_id, user_ids=[user_id for user_id, _ in days],
            week_start=week_start, week_end=week_end)
        for user_id, day in days:
            seen[("totals", workspace_id, user_id, day)] = found[user_id, day]


def _away_of_many(session: Session, rows: list[tuple[Who, Activity,
                                                     rosters.LogTeam | None]],
                  seen: dict[tuple, Any]) -> None:
    """The away days `logged` reads for each row (its rep's, in its week), for all of them in
    one read per workspace and week, put in `seen` where `logged` looks first."""
    wanted: dict[tuple[str, date, date], set[str]] = {}
    for who, row, team in rows:
        if team is not None:
            wanted.setdefault((team.workspace_id, *week_bounds(row.occurred_on)),
                              set()).add(who.user_id)
    for (workspace_id, week_start, week_end), users in wanted.items():
        if len(users) == 1:
            continue  # `logged` reads one person's itself, by the same statement
        found = away.spans(session, workspace_id=workspace_id, user_ids=sorted(users),
                           start=week_start, end_day=week_end)
        for user_id in users:
            seen[("away", workspace_id, user_id, week_start)] = found.get(user_id, ())


def save(deps: Deps, who: Who, entry: LogEntry, text: str, source: str) -> Logged:
    """Save one log (once per `source`), link it to its customer, and say how it counts."""
    with deps.sessions() as session:
        team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
        saved = activity.add(session, workspace_id=who.workspace_id, user_id=who.user_id,
                             team_id=team.id if team else None, entry=entry, text=text,
                             source=source, now=deps.clock.now())
        found = None
        if saved.created and team is not None and saved.activity.customer:
            found = link(session, deps, who, saved.activity, team.id)
        return logged(session, deps, who, saved.activity, created=saved.created, link=found,
                      team=team)


def logged(session: Session, deps: Deps, who: Who, row: Activity, *, created: bool,
           link: customers.Link | None, team: Team | rosters.LogTeam | None,
           seen: dict[tuple, Any] | None = None) -> Logged:
    """How `row` moved the day and the week it falls in, by the team's own rules and
    calendar (its holidays, make-up working days and days off), as the week's card counts.
    `seen`: what earlier calls in the same read already read (follow_ups: a person's
    totals for a day, their away days in a week), kept there for the next."""
    seen = {} if seen is None else seen
    week_start, week_end = week_bounds(row.occurred_on)
    person = (who.workspace_id, who.user_id)
    key = ("totals", *person, row.occurred_on)
    if key not in seen:
        seen[key] = activity.day_and_week_totals(session, workspace_id=who.workspace_id,
                                                 user_id=who.user_id, day=row.occurred_on,
                                                 week_start=week_start, week_end=week_end)
    day, week = seen[key]
    # The team's rules, days off and reps' joining dates from memory (log_cache.py).
    calendar = log_cache.calendar_of(deps, team.id) if team is not None else None
    rules = calendar.rules if calendar is not None else DEFAULT_RULES
    today = who.today(deps.clock)
    # The week's working days for this rep (from the day they joined, as on the card); its
    # pace is judged by those up to today, so a back-dated week shows as complete.
    if team is not None and calendar is not None:
        # The rep's working days: the team's (cached) less their away days (/pacer away).
        key = ("away", team.workspace_id, who.user_id, week_start)
        if key not in seen:
            seen[key] = away.spans(session, workspace_id=team.workspace_id,
                                   user_ids=[who.user_id], start=week_start,
                                   end_day=week_end).get(who.user_id, ())
        spans = seen[key]
        working = person_working(lambda d: is_working_day(
            d, country=team.holiday_country, days_off=calendar.days_off), spans)
        days = [d for d in _days(week_start, week_end) if working(d)]
        joined = calendar.joined.get(who.user_id)
        if joined is not None:
            first = joined.astimezone(ZoneInfo(team.tz)).date()
            days = [d for d in days if d >= first]
    else:
        days = working_days(week_start, week_end)
    facts = RepFacts(who.user_id, totals={k: v.count for k, v in week.items()})
    touches = kbi_pace(facts, period=week_period(week_start), working_days=len(days),
                       working_days_elapsed=len([d for d in days if d <= today]),
                       rules=rules)[0]
    return Logged(
        activity=row, created=created, day_total=day.get(row.kind, NO_TOTAL),
        week_total=week.get(row.kind, NO_TOTAL),
        points=day_points({k: v.count for k, v in day.items()}, rules),
        pace=touches,
        currency=team.currency if team else DEFAULT_CURRENCY, on_team=team is not None,
        today=today, link=link)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def link(session: Session, deps: Deps, who: Who, row: Activity, team_id: int, *,
         customer: Customer | None = None, new: bool = False) -> customers.Link:
    """Link a log to its customer (the one named, a `new` one, or the one its name matches)."""
    return customers.link_activity(session, row, team_id=team_id, customer=customer, new=new,
                                   touched_at=_touched_at(deps.clock.now(), who.profile.tz,
                                                          row))


def _touched_at(now: datetime, tz: ZoneInfo, row: Activity) -> datetime:
    """When a log touched its customer: when it was recorded (or now) for a log of that
    day, else the end of its local day. (A follow-up repaired later still dates the touch
    to the log, not to the repair.)"""
    at = min(now, _aware(row.recorded_at)) if row.recorded_at else now
    end = datetime.combine(row.occurred_on + timedelta(days=1), time(0), tzinfo=tz)
    return min(at, end.astimezone(UTC) - timedelta(seconds=1))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite drops the offset


def undo(session: Session, deps: Deps, row: Activity, tz: ZoneInfo | None = None) -> bool:
    """Undo a log (and what it did to its customer); False if it was undone already. `tz`:
    the zone its logs were stamped in (the undoer's own: only they undo their logs)."""
    changed = activity.soft_delete(session, activity=row, now=deps.clock.now())
    if changed:
        # Read again after the write, which waited for any follow-up settling this row: its
        # customer link, if that follow-up made one, is what the undo takes back.
        row = activity.get(session, workspace_id=row.workspace_id, activity_id=row.id,
                           fresh=True) or row
        customers.unlink_undone(session, row, now=deps.clock.now(), tz=tz)
    return changed


def currency(session: Session, who: Who) -> str:
    team = teams.team_for_user(session, workspace_id=who.workspace_id, user_id=who.user_id)
    return team.currency if team else DEFAULT_CURRENCY
