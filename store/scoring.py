"""The scoring core's facts, aggregated in SQL: what each rep did in a period, the life of
each lead, monthly history for the rolling forecast, the funnel and leaderboard values.

Every function reads one team. Periods are local dates in the team's time zone; datetimes
going in and out are aware UTC. Soft-deleted logs are ignored everywhere, and so are the
stage changes such logs caused (their cause is ``log:<id>``). Time zones are applied in
Python, not in SQL (SQLite has none): local midnights are computed here and bound as
parameters, and instants are placed on local days here, so the same SQL runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import false, select
from sqlmodel import Session

from bot.scoring.facts import ZERO, FunnelLead, Period, RepFacts
from store.db import money
from store.models import Member as MemberRow
from store.models import Team, TeamMember
from store.scoring_sql import (
    CONVERSATION_KINDS,
    SC,
    A,
    C,
    _count_if,
    _falling_due,
    _followups,
    _funnel_stages,
    _lead_cohort,
    _live,
    _live_change,
    _moved,
    _new_customers,
    _objection_days,
    _period_deals,
    _period_logs,
    _proposal_discoveries,
    _stage_before,
    _sum_if,
    _sum_money,
)

# store/history.py and store/idle*.py import these from here, as before they moved.
REEXPORTED = (SC, C, _count_if, _live_change, _moved, _stage_before)

TOUCH_KINDS = ("call", "visit", "email")
LEARNING_KINDS = ("training", "certification")
OPEN_STAGES = ("lead", "contacted", "discovery", "demo", "proposal", "negotiation")
CLOSED_STAGES = ("won", "lost")
HISTORY_METRICS = ("sales", "sales_new", "sales_repeat", "new_customers", "touches", "collected")
LEADERBOARD_METRICS = ("sales", "new", "touches")


# --- reads -------------------------------------------------------------------------------


def rep_facts(session: Session, *, team_id: int, period: Period,
              user_ids: Sequence[str] | None = None,
              tz: ZoneInfo | None = None) -> dict[str, RepFacts]:
    """One RepFacts per rep of the team (zeros for those who logged nothing) and per anyone
    else with results in the team in the period; with `user_ids`, exactly those people.
    `tz`: the team's zone, when known already."""
    return _rep_facts(session, [team_id], tz or _team_tz(session, team_id), period,
                      user_ids)[team_id]


def rep_facts_many(session: Session, *, team_ids: Collection[int],
                   period: Period) -> dict[int, dict[str, RepFacts]]:
    """`rep_facts` of many teams, by team id: each query reads all the teams of a time zone at
    once (the month-end reports' scorecards), not one team at a time."""
    found: dict[int, dict[str, RepFacts]] = {}
    for tz, ids in _zones(session, team_ids).items():
        found.update(_rep_facts(session, ids, tz, period, None))
    return found


def _zones(session: Session, team_ids: Collection[int]) -> dict[ZoneInfo, list[int]]:
    """The teams by time zone (their local days bound the reads), each zone's sorted."""
    T = Team.__table__
    zones: dict[str, list[int]] = defaultdict(list)
    for team_id, tz in session.exec(select(T.c.id, T.c.tz).where(T.c.id.in_(list(team_ids)))):
        zones[tz].append(team_id)
    missing = set(team_ids) - {t for ids in zones.values() for t in ids}
    if missing:
        raise LookupError(f"no team with id {min(missing)}")
    return {ZoneInfo(tz): sorted(ids) for tz, ids in sorted(zones.items())}


def _no_facts() -> dict:
    """The results and KBI facts of the period's logs of someone who logged no such thing."""
    return dict(sales_new=ZERO, sales_repeat=ZERO, deals=0, new_customers=0, collected=ZERO,
                deals_with_demo=0, conversations=0, conversations_with_objections=0)


def _rep_facts(session: Session, teams: list[int], tz: ZoneInfo, period: Period,
               user_ids: Sequence[str] | None) -> dict[int, dict[str, RepFacts]]:
    """`rep_facts` of `teams`, all in zone `tz`; every fact is keyed by (team, person). Four
    reads (and the reps): the period's logs, what fell due in it, the customers, the
    proposals."""
    start_at, end_at = _local_midnight(period.start, tz), _local_midnight(_next(period.end), tz)
    users = user_ids is not None
    windows = followup_windows(period)
    # The statements are built once (`_period_logs`, ...) and take these as parameters.
    params = dict(teams=teams, users=list(user_ids or ()), start=period.start, end=period.end,
                  start_at=start_at, end_at=end_at)
    for i, (first, last) in enumerate(windows):
        params.update({f"first_{i}": first, f"last_{i}": last,
                       f"won_by_{i}": _local_midnight(last.replace(day=1), tz),
                       f"until_{i}": _local_midnight(_next(last), tz)})

    Key = tuple[int, str]  # (team, person)
    # Logs per person, local day and kind (for the points), summed here, not grouped in SQL:
    # its sort cost more than these 1,500 rows a team-month take here.
    day_counts: dict[Key, dict[date, dict[str, int]]] = {}
    # Conversations naming a customer: per person [all, handled]; those not logged with "no
    # objections", per (team, person, customer, day), handled when an objection log names
    # the customer that day.
    talks: dict[Key, list[int]] = {}
    pending: dict[tuple[int, str, int, date], int] = {}
    objections: set[tuple[int, date]] = set()  # (customer, day) of the objection logs
    dates: dict[object, date] = {}  # a day as the driver hands it (SQLite: text) -> date
    for team, user, raw, kind, n, customer, no_objections in _driver_rows(
            session, _period_logs(users), params):
        day = dates.get(raw)
        if day is None:
            day = dates[raw] = _as_date(raw)
        key = (team, user)
        days = day_counts.get(key)
        if days is None:
            days = day_counts[key] = {}
        kinds = days.get(day)
        if kinds is None:
            days[day] = {kind: n}
        else:
            kinds[kind] = kinds.get(kind, 0) + n
        if customer is None:
            continue
        if kind in CONVERSATION_KINDS:
            mine = talks.get(key)
            if mine is None:
                mine = talks[key] = [0, 0]
            mine[0] += n
            if no_objections:
                mine[1] += n
            else:
                at = (team, user, customer, day)
                pending[at] = pending.get(at, 0) + n
        elif kind == "objection":
            objections.add((customer, day))
    if users and pending:  # the objection logs of people not asked about count too
        objections.update(session.exec(_objection_days(), params=params))
    for (team, user, customer, day), n in pending.items():
        if (customer, day) in objections:
            talks[team, user][1] += n
    fields: dict[Key, dict] = {key: _no_facts() for key in day_counts}
    for key, (n, handled) in talks.items():
        fields[key].update(conversations=n, conversations_with_objections=handled)
    new_ids: dict[Key, set] = defaultdict(set)  # new business: customers, typed names
    for team, user, kind, new_id, new_name, new, repeat, demo in session.exec(
            _period_deals(users), params=params):
        mine = fields[team, user]
        if kind == "deal":
            mine["sales_new"] += money(new, ZERO)
            mine["sales_repeat"] += money(repeat, ZERO)
            mine["deals"] += 1
            mine["deals_with_demo"] += demo
            if new_id is not None:
                new_ids[team, user].add(("id", new_id))
            if new_name is not None:
                new_ids[team, user].add(("name", new_name))
        else:
            mine["collected"] += money(new, ZERO) + money(repeat, ZERO)
    for key, customers in new_ids.items():
        fields[key]["new_customers"] = len(customers)
    fields = defaultdict(dict, fields)

    # On-time collection (回款及时率): every receivable that fell due in the period, paid or
    # not, and what of it was paid by its due date (`receivables`).
    for key, (due_total, paid) in _receivables(session, params, users).items():
        fields[key].update(due_total=due_total, paid_on_time=paid)

    # Lead conversion (`_lead_cohort`) and follow-up after signing (`_followups`).
    for team, owner, n, n_won, n_lost in session.exec(_lead_cohort(users), params=params):
        fields[team, owner].update(leads_created=int(n), leads_won=int(n_won),
                                   leads_lost=int(n_lost))
    for i in range(len(windows)):
        for team, owner, signed, followed_up in session.exec(_followups(users, i),
                                                             params=params):
            mine = fields[team, owner]
            mine["signed_customers"] = mine.get("signed_customers", 0) + int(signed)
            mine["signed_followed_up"] = mine.get("signed_followed_up", 0) + int(followed_up)

    # Discovery rounds before each proposal reached in the period: the discovery logs of
    # each customer per day to the period's end, counted here up to the local day of its
    # (latest) move to proposal.
    rounds: dict[Key, list[int]] = defaultdict(list)
    before: dict[tuple[int, str, int], int] = {}
    for team, owner, customer, at, day, n in session.exec(
            _proposal_discoveries(users), params=params):
        found = before.setdefault((team, owner, customer), 0)
        if day is not None and _as_date(day) <= _as_utc(at).astimezone(tz).date():
            before[team, owner, customer] = found + int(n)
    for (team, owner, _customer), n in before.items():
        rounds[team, owner].append(n)

    if user_ids is not None:
        people = {(team, user) for team in teams for user in user_ids}
    else:
        people = ({(team, user) for team, reps in _reps_many(session, teams).items()
                   for user in reps} | set(fields) | set(rounds))
    result: dict[int, dict[str, RepFacts]] = {team: {} for team in teams}
    for key in sorted(people):
        days = day_counts.get(key, {})
        kinds: dict[str, int] = {}
        for counts in days.values():
            for kind, n in counts.items():
                kinds[kind] = kinds.get(kind, 0) + n
        result[key[0]][key[1]] = RepFacts(
            user_id=key[1],
            # A day of one kind is its own sorted dict (made here, shared by nobody).
            day_counts={d: k if len(k) == 1 else dict(sorted(k.items()))
                        for d, k in sorted(days.items())},
            totals=dict(sorted(kinds.items())),
            discovery_rounds=tuple(rounds.get(key, ())),
            learning=sum(kinds.get(k, 0) for k in LEARNING_KINDS),
            **fields.get(key, {}),
        )
    return result


def receivables(session: Session, *, team_id: int, period: Period,
                user_ids: Sequence[str] | None = None) -> dict[str, tuple[Decimal, Decimal]]:
    """Per rep, (due, paid on time) of the receivables due in the period (回款及时率 = paid on
    time / due), in the team's currency. A receivable is one customer's amount owed by a day:
    - a `receivable` log (`/log receivable Acme 80k due Nov 30`, 应收账款): its amount, due on
      its due date (the log's day without one); paid or not, it counts once due;
    - a payment's "of 80k due Nov 30" clause names the receivable it pays (customer, due date,
      amount owed): payments naming the same one pay it together, and it is owed once;
    - a payment with a due date and no "of" owes (and pays) its own amount.
    Payments made on or before the due date count as on time, up to what was owed; later ones
    and overpayment do not. Payments without a due date are money collected, not judged here.
    """
    return {user: due for (_, user), due in _receivables(session, dict(
        teams=[team_id], users=list(user_ids or ()), start=period.start, end=period.end),
        user_ids is not None).items()}


def _receivables(session: Session, params: dict, users: bool) -> dict[tuple[int, str],
                                                                      tuple[Decimal, Decimal]]:
    """`receivables` of the teams (`_rep_facts`' parameters teams, start, end; users, with
    `users`), keyed by (team, rep). The logs are taken in the order they were made, as what a
    receivable and a payment naming it add up to depends on it; sorted here: ORDER BY id
    made SQLite read all of the team's logs in id order (`_falling_due`)."""
    owed: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    paid: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for _id, team, user, customer_id, name, kind, amount, amount_due, due, day in sorted(
            session.exec(_falling_due(users), params=params), key=lambda row: row[0]):
        amount, due = money(amount, ZERO), _as_date(due)
        customer = customer_id if customer_id is not None else (name or "").casefold()
        owes = amount if kind == "receivable" else money(amount_due, None) or amount
        key = (team, user, customer, due, owes)
        if kind == "receivable":
            owed[key] += owes  # two invoices of the same amount on one day are two
        else:
            owed[key] = max(owed[key], owes)
            if _as_date(day) <= due:
                paid[key] += amount
    result: dict[tuple[int, str], tuple[Decimal, Decimal]] = {}
    for key, amount in owed.items():
        total, on_time = result.get(key[:2], (ZERO, ZERO))
        result[key[:2]] = (total + amount, on_time + min(paid[key], amount))
    return result


def followup_windows(period: Period) -> list[tuple[date, date]]:
    """The windows the follow-up KBI counts in, both ends inclusive: a month, quarter or
    year, each calendar month; a week, its (last day's) month up to its end (its target is
    pro rata, bot/scoring/kbi.py): a customer is owed one follow-up a month, so one followed
    up in an earlier week of the month is done in this one too (counting the week alone,
    every later week of the month read "0 (target 1) · behind" for a customer followed up)."""
    if period.kind == "week":
        return [(period.end.replace(day=1), period.end)]
    windows, first = [], period.start
    while first <= period.end:
        last = min(_add_months(first.replace(day=1), 1) - timedelta(days=1), period.end)
        windows.append((first, last))
        first = last + timedelta(days=1)
    return windows


def funnel(session: Session, *, team_id: int, period: Period,
           tz: ZoneInfo | None = None) -> list[FunnelLead]:
    """The cohort of leads created in the period (team-local days), each with every stage it
    has reached so far (live stage changes at any time, the stage it was created at
    included). Unowned leads have owner "". `tz`: the team's zone, when known already."""
    return _funnel(session, [team_id], tz or _team_tz(session, team_id), period)[team_id]


def funnel_many(session: Session, *, team_ids: Collection[int],
                period: Period) -> dict[int, list[FunnelLead]]:
    """`funnel` of many teams, by team id: one read per time zone, not one per team."""
    found: dict[int, list[FunnelLead]] = {}
    for tz, ids in _zones(session, team_ids).items():
        found.update(_funnel(session, ids, tz, period))
    return found


def _funnel(session: Session, teams: list[int], tz: ZoneInfo,
            period: Period) -> dict[int, list[FunnelLead]]:
    reached: dict[int, dict[tuple[int, str], set[str]]] = {team: {} for team in teams}
    for team, customer_id, owner, stage in session.exec(_funnel_stages(), params=dict(
            teams=teams, start_at=_local_midnight(period.start, tz),
            end_at=_local_midnight(_next(period.end), tz))):
        reached[team].setdefault((customer_id, owner or ""), set()).add(stage)
    return {team: [FunnelLead(customer_id=cid, owner=owner, reached=frozenset(stages))
                   for (cid, owner), stages in leads.items()]
            for team, leads in reached.items()}


def leaderboard_values(session: Session, *, team_id: int, period: Period,
                       metric: str) -> dict[str, Decimal]:
    """Per person, for the period: `sales` (new + repeat deal amounts), `new` (new customers
    won) or `touches` (call + visit + email counts). Reps with nothing get zero; anyone else
    (a manager who sells) appears with a non-zero value."""
    if metric == "sales":
        value = _sum_money(A.c.kind == "deal", A.c.amount)
    elif metric == "new":
        value = _new_customers()
    elif metric == "touches":
        value = _sum_if(A.c.kind.in_(TOUCH_KINDS), A.c.count)
    else:
        raise ValueError(f"unknown leaderboard metric {metric!r}; one of {LEADERBOARD_METRICS}")
    result = dict.fromkeys(sorted(_reps(session, team_id)), ZERO)
    for user, amount in session.exec(
        select(A.c.user_id, value)
        .where(A.c.team_id == team_id, _live(A), A.c.occurred_on >= period.start,
               A.c.occurred_on <= period.end)
        .group_by(A.c.user_id)
    ):
        value = money(amount, ZERO) if metric == "sales" else Decimal(int(amount or 0))
        if value or user in result:  # someone off the reps' list only with something to show
            result[user] = value
    return result


# --- small helpers -------------------------------------------------------------------------


def _driver_rows(session: Session, statement, params: dict) -> list[tuple]:  # noqa: ANN001
    """`statement`'s rows as the database driver hands them, without SQLAlchemy's rows and
    type processing (SQLite gives days as text, booleans as 0 and 1): for reads of many
    plain rows, where those were a third of the time (`_period_logs`, 75,000 rows for 1,000
    reps' month)."""
    result = session.connection().execute(statement, params)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _team_tz(session: Session, team_id: int) -> ZoneInfo:
    tz = session.exec(select(Team.__table__.c.tz).where(Team.__table__.c.id == team_id)).scalar()
    if tz is None:
        raise LookupError(f"no team with id {team_id}")
    return ZoneInfo(tz)


def _reps(session: Session, team_id: int) -> dict[str, datetime]:
    """The team's reps (members who are not its managers) and when Pacer first saw them."""
    return _reps_many(session, [team_id])[team_id]


def _reps_many(session: Session, teams: Collection[int]) -> dict[int, dict[str, datetime]]:
    """`_reps` of many teams, by team id."""
    M, TM = MemberRow.__table__, TeamMember.__table__
    found: dict[int, dict[str, datetime]] = {team: {} for team in teams}
    for team, user, joined in session.exec(
        select(TM.c.team_id, M.c.user_id, M.c.joined_at).join(TM, TM.c.member_id == M.c.id)
        .where(TM.c.team_id.in_(list(teams)), TM.c.is_manager == false())
        .order_by(TM.c.team_id, M.c.user_id)
    ):
        found[team][user] = joined
    return found


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _next(day: date) -> date:
    return day + timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes: everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
