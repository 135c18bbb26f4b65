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
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    exists,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from bot.scoring.facts import ZERO, FunnelLead, Period, RepFacts
from store.db import MONEY, money
from store.models import Activity, Customer, StageChange, Team, TeamMember
from store.models import Member as MemberRow

A = Activity.__table__
C = Customer.__table__
SC = StageChange.__table__
# Aliases built once: building one copies every column of the table, which cost more than
# running the queries when each call made its own (benchmarks/scoring.py's month, profiled).
_DEMO, _OBJECTION, _FOLLOWUP, _UNDONE = (A.alias(n) for n in ("demo", "objection", "followup",
                                                              "undone"))
_LATEST = SC.alias("latest")

TOUCH_KINDS = ("call", "visit", "email")
CONVERSATION_KINDS = ("visit", "call", "demo", "discovery")
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
    T = Team.__table__
    zones: dict[str, list[int]] = defaultdict(list)
    for team_id, tz in session.exec(select(T.c.id, T.c.tz).where(T.c.id.in_(list(team_ids)))):
        zones[tz].append(team_id)
    missing = set(team_ids) - {t for ids in zones.values() for t in ids}
    if missing:
        raise LookupError(f"no team with id {min(missing)}")
    found: dict[int, dict[str, RepFacts]] = {}
    for tz, ids in sorted(zones.items()):
        found.update(_rep_facts(session, sorted(ids), ZoneInfo(tz), period, None))
    return found


_FACT_KINDS = frozenset(("deal", "payment", *CONVERSATION_KINDS))  # the logs with more than counts


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
    fields: dict[Key, dict] = {}
    day_counts: dict[Key, dict[date, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    new_ids: dict[Key, set] = defaultdict(set)  # new business: customers, typed names

    # The period's logs in one read, each with what the results and KBI facts take of it,
    # summed here: per user, local day and kind for the points, per user for the rest. Not
    # grouped in SQL: its sort cost more than these 1,500 rows a team-month take here.
    counted: dict[tuple[int, str, date, str], int] = {}  # (team, person, day, kind): count
    for team, user, day, kind, n, new_id, new_name, new, repeat, demo, linked, \
            objected in session.exec(_period_logs(users), params=params):
        at = (team, user, day, kind)
        counted[at] = counted.get(at, 0) + n
        if kind not in _FACT_KINDS:
            continue
        mine = fields.get(at[:2]) or fields.setdefault(at[:2], _no_facts())
        if kind == "deal":
            mine["sales_new"] += money(new, ZERO)
            mine["sales_repeat"] += money(repeat, ZERO)
            mine["deals"] += 1
            mine["deals_with_demo"] += demo
            if new_id is not None:
                new_ids[at[:2]].add(("id", new_id))
            if new_name is not None:
                new_ids[at[:2]].add(("name", new_name))
        elif kind == "payment":
            mine["collected"] += money(new, ZERO) + money(repeat, ZERO)
        else:  # a conversation's kind
            mine["conversations"] += linked
            mine["conversations_with_objections"] += objected
    for (team, user, day, kind), n in counted.items():
        key = (team, user)
        day_counts[key][day][kind] = n
        totals[key][kind] += n
        if key not in fields:
            fields[key] = _no_facts()
    for key, customers in new_ids.items():
        fields[key]["new_customers"] = len(customers)
    fields = defaultdict(dict, fields)

    # On-time collection (回款及时率): every receivable that fell due in the period, paid or
    # not, and what of it was paid by its due date (`receivables`).
    for key, (due_total, paid) in _receivables(session, params, users).items():
        fields[key].update(due_total=due_total, paid_on_time=paid)

    # The owners' customers in one read (`_customer_counts`): lead conversion and follow-up
    # after signing.
    for team, owner, n, n_won, n_lost, *per_window in session.exec(
            _customer_counts(users, len(windows)), params=params):
        if n:
            fields[team, owner].update(leads_created=int(n), leads_won=int(n_won),
                                       leads_lost=int(n_lost))
        signed = sum(int(s) for s in per_window[0::2])
        if signed:
            fields[team, owner].update(signed_customers=signed,
                                       signed_followed_up=sum(int(f) for f in per_window[1::2]))

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
                   for user in reps} | set(fields) | set(day_counts) | set(rounds))
    result: dict[int, dict[str, RepFacts]] = {team: {} for team in teams}
    for key in sorted(people):
        kinds = totals.get(key, {})
        result[key[0]][key[1]] = RepFacts(
            user_id=key[1],
            day_counts={d: dict(sorted(k.items()))
                        for d, k in sorted(day_counts.get(key, {}).items())},
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
    """The windows the follow-up KBI counts in, both ends inclusive: a week is one window (its
    target is pro rata, bot/scoring/kbi.py); a month, quarter or year, each calendar month."""
    if period.kind == "week":
        return [(period.start, period.end)]
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
    tz = tz or _team_tz(session, team_id)
    reached: dict[tuple[int, str], set[str]] = {}
    for customer_id, owner, stage in session.exec(_funnel_stages(), params=dict(
            team=team_id, start_at=_local_midnight(period.start, tz),
            end_at=_local_midnight(_next(period.end), tz))):
        reached.setdefault((customer_id, owner or ""), set()).add(stage)
    return [FunnelLead(customer_id=cid, owner=owner, reached=frozenset(stages))
            for (cid, owner), stages in reached.items()]


@cache
def _funnel_stages():  # type: ignore[no-untyped-def]
    """`funnel`'s read: (customer, owner, stage reached), built once."""
    return (select(C.c.id, C.c.owner_user_id, SC.c.to_stage).distinct()
            .select_from(C.join(SC, SC.c.customer_id == C.c.id))
            .where(C.c.team_id == bindparam("team"), C.c.created_at >= _at("start_at"),
                   C.c.created_at < _at("end_at"), _live_change(SC))
            .order_by(C.c.id))


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


# --- SQL building blocks -----------------------------------------------------------------


# The reads of `_rep_facts`, built once each (for each shape): building them anew cost
# more than SQLite's work in some (benchmarks/scoring.py, profiled). Their parameters: teams
# (ids), users (ids, with `users`), start and end (the period's days), start_at and end_at
# (its UTC bounds), and per follow-up window i first_i and last_i (its days), won_by_i (the
# UTC start of its last day's month) and until_i (its UTC end).
_TEAMS = bindparam("teams", expanding=True)
_USERS = bindparam("users", expanding=True)
_START, _END = bindparam("start", type_=Date), bindparam("end", type_=Date)


def _owned(users: bool) -> list[ColumnElement[bool]]:
    """The teams' customers with an owner (one of `users`, with `users`)."""
    return [C.c.team_id.in_(_TEAMS), C.c.owner_user_id.is_not(None),
            *([C.c.owner_user_id.in_(_USERS)] if users else [])]


def _at(name: str):  # type: ignore[no-untyped-def]
    """An instant parameter, typed as the instants it is compared with."""
    return bindparam(name, type_=SC.c.at.type)


@cache
def _period_logs(users: bool):  # type: ignore[no-untyped-def]
    """The period's logs: (team, user, day, kind, count, the customer of a new-business deal
    (its id; its typed name, lowercased, when not linked: both null for any other log), the
    amount of new business, of repeat business (the team's currency only; a payment is one or
    the other), 1 for a deal whose customer had a demo by then, the count of a log naming a
    customer, and of a conversation whose objections were handled)."""
    deal = A.c.kind == "deal"
    new = A.c.new_customer.is_not(False)  # null counts as new business
    linked = A.c.customer_id.is_not(None)
    team_money = A.c.currency.is_(None)
    demo, objection = _DEMO, _OBJECTION
    had_demo = exists().where(demo.c.customer_id == A.c.customer_id, demo.c.kind == "demo",
                              _live(demo), demo.c.occurred_on <= A.c.occurred_on)
    # Handled: an objection log for the customer that day, or logged with "no objections".
    objected = or_(A.c.no_objections.is_(True), exists().where(
        objection.c.customer_id == A.c.customer_id, objection.c.kind == "objection",
        _live(objection), objection.c.occurred_on == A.c.occurred_on))
    conversation = and_(A.c.kind.in_(CONVERSATION_KINDS), linked)
    logs = select(
        A.c.team_id, A.c.user_id, A.c.occurred_on.label("day"), A.c.kind, A.c.count,
        case((and_(deal, new), A.c.customer_id)).label("new_id"),
        case((and_(deal, new, A.c.customer_id.is_(None)), func.lower(A.c.customer)))
        .label("new_name"),
        type_coerce(case((and_(new, team_money), A.c.amount)), MONEY).label("new"),
        type_coerce(case((and_(A.c.new_customer.is_(False), team_money), A.c.amount)), MONEY)
        .label("repeat"),
        case((and_(deal, linked, had_demo), 1), else_=0).label("with_demo"),
        case((linked, A.c.count), else_=0).label("linked"),
        case((and_(conversation, objected), A.c.count), else_=0).label("objected"),
    ).where(A.c.team_id.in_(_TEAMS), _live(A), A.c.occurred_on >= _START,
            A.c.occurred_on <= _END, *([A.c.user_id.in_(_USERS)] if users else []))
    return logs


@cache
def _customer_counts(users: bool, windows: int):  # type: ignore[no-untyped-def]
    """Per team and owner of the customers: (..., leads created in the period, of those won
    by its end, lost then; and per follow-up window signed customers, of those followed up).

    Lead conversion (线索转化率) as a cohort: the leads the rep owns created in the period, and
    of THOSE, how many had been won (a live move to won) by the period's end, which is the
    card's date (a card before the end counts what is there by now); lost: of those not won,
    the ones at lost then.

    Follow-up after signing (定期回访, 签约后每月1次), per customer per calendar month: in each
    window (see `followup_windows`), the customers won BEFORE it began and not lost by its
    end, and which of them got a follow-up log in it. The month of signing expects none: a
    deal signed on the 30th cannot owe a follow-up by the 31st (the signing was the contact).
    A week is owed by the customers won before its (last day's) month began: a week inside
    the month of signing owes nothing, as that month does not (the week's report said
    "behind" on a follow-up the month's scorecard rightly did not ask for)."""
    start_at, end_at = _at("start_at"), _at("end_at")
    created = and_(C.c.created_at >= start_at, C.c.created_at < end_at)
    won = _won_before(end_at)
    lost = and_(~won, func.coalesce(_stage_before(end_at), "") == "lost")
    counts = [_count_if(created), _count_if(and_(created, won)), _count_if(and_(created, lost))]
    followup = _FOLLOWUP
    for i in range(windows):
        signed = and_(_won_before(_at(f"won_by_{i}")),
                      func.coalesce(_stage_before(_at(f"until_{i}")), "") != "lost")
        followed = exists().where(followup.c.customer_id == C.c.id,
                                  followup.c.kind == "followup", _live(followup),
                                  followup.c.occurred_on >= bindparam(f"first_{i}", type_=Date),
                                  followup.c.occurred_on <= bindparam(f"last_{i}", type_=Date))
        counts += [_count_if(signed), _count_if(and_(followed, signed))]
    # Only the customers created in the period or won by its end count for anything (a
    # window's are won before it ends): the others, most, are passed over at one lookup.
    return (select(C.c.team_id, C.c.owner_user_id, *counts)
            .where(*_owned(users), or_(created, won))
            .group_by(C.c.team_id, C.c.owner_user_id))


@cache
def _proposal_discoveries(users: bool):  # type: ignore[no-untyped-def]
    """Each customer that moved to proposal in the period (the instant of its latest move
    there) with its discovery log counts per day to the period's end: (team, owner, customer,
    moved at, day, count), the day None without any."""
    proposals = (
        select(SC.c.customer_id, C.c.team_id, C.c.owner_user_id.label("owner"),
               func.max(SC.c.at).label("at"))
        .select_from(SC.join(C, C.c.id == SC.c.customer_id))
        .where(*_owned(users), SC.c.to_stage == "proposal", SC.c.at >= _at("start_at"),
               SC.c.at < _at("end_at"), _moved(SC), _live_change(SC))
        .group_by(SC.c.customer_id, C.c.team_id, C.c.owner_user_id)
        .subquery("proposals")
    )
    p = proposals.c
    return (select(p.team_id, p.owner, p.customer_id, p.at, A.c.occurred_on,
                   func.sum(A.c.count))
            .select_from(proposals.outerjoin(A, and_(
                A.c.customer_id == p.customer_id, A.c.kind == "discovery", _live(A),
                A.c.occurred_on <= _END)))
            .group_by(p.team_id, p.owner, p.customer_id, p.at, A.c.occurred_on)
            .order_by(p.team_id, p.owner, p.customer_id))


@cache
def _falling_due(users: bool):  # type: ignore[no-untyped-def]
    """The logs that fall due in the period, for `_receivables`: a log with a due date in it
    (a receivable, or a payment), or a receivable without one logged in it; so each branch
    reads an index of the team's logs by day (ix_activity_team_due, ix_activity_team_day)."""
    falls_due = or_(
        and_(A.c.due_on >= _START, A.c.due_on <= _END, A.c.kind.in_(("receivable", "payment"))),
        and_(A.c.due_on.is_(None), A.c.kind == "receivable", A.c.occurred_on >= _START,
             A.c.occurred_on <= _END))
    return (select(A.c.id, A.c.team_id, A.c.user_id, A.c.customer_id, A.c.customer, A.c.kind,
                   A.c.amount, A.c.amount_due,
                   func.coalesce(A.c.due_on, A.c.occurred_on).label("due"), A.c.occurred_on)
            .where(A.c.team_id.in_(_TEAMS), _live(A), falls_due, A.c.currency.is_(None),
                   A.c.amount.is_not(None), *([A.c.user_id.in_(_USERS)] if users else [])))


def _won_before(moment) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """The customer had a live move to won before `moment` (an instant parameter)."""
    return exists().where(SC.c.customer_id == C.c.id, SC.c.to_stage == "won", SC.c.at < moment,
                          _live_change(SC))


def _live(table) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    return table.c.deleted_at.is_(None)


def _live_change(change) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """A stage change not caused by a log that was since undone (soft-deleted)."""
    log_id = case((change.c.cause.like("log:%"), cast(func.substr(change.c.cause, 5), Integer)))
    undone = _UNDONE
    return ~exists().where(undone.c.id == log_id, undone.c.deleted_at.is_not(None))


def _moved(change) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """A real move (lost -> lost only edits the lost reason)."""
    return or_(change.c.from_stage.is_(None), change.c.from_stage != change.c.to_stage)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], value: ColumnElement) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _sum_money(condition: ColumnElement[bool], value: ColumnElement) -> ColumnElement:
    """A sum of the team's money: an amount in another currency is not added in."""
    return func.sum(type_coerce(case((and_(condition, A.c.currency.is_(None)), value)), MONEY))


def _new_customers() -> ColumnElement[int]:
    """Distinct customers of new-business deals; a deal not linked to a customer record
    counts by its typed name."""
    new_deal = and_(A.c.kind == "deal", A.c.new_customer.is_not(False))
    return (func.count(distinct(case((new_deal, A.c.customer_id))))
            + func.count(distinct(case((and_(new_deal, A.c.customer_id.is_(None)),
                                        func.lower(A.c.customer))))))


def _stage_before(moment: datetime | ColumnElement) -> ColumnElement[str]:
    """The customer's stage just before `moment` (an instant, or a parameter of one): its
    latest live change before it."""
    change = _LATEST
    return (select(change.c.to_stage)
            .where(change.c.customer_id == C.c.id, change.c.at < moment, _live_change(change))
            .order_by(change.c.at.desc(), change.c.id.desc())
            .limit(1).correlate(C).scalar_subquery())


# --- small helpers -------------------------------------------------------------------------


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
