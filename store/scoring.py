"""The scoring core's facts, aggregated in SQL: what each rep did in a period, the life of
each lead, monthly history for the rolling forecast, the funnel and leaderboard values.

Every function reads one team. Periods are local dates in the team's time zone; datetimes
going in and out are aware UTC. Soft-deleted logs are ignored everywhere, and so are the
stage changes such logs caused (their cause is ``log:<id>``). Time zones are applied in
Python, not in SQL (SQLite has none): local midnights are computed here and either bound as
parameters or joined as a small VALUES table of days, so the same SQL runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    and_,
    case,
    cast,
    column,
    distinct,
    exists,
    false,
    func,
    or_,
    select,
    type_coerce,
    values,
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
              user_ids: Sequence[str] | None = None) -> dict[str, RepFacts]:
    """One RepFacts per rep of the team (zeros for those who logged nothing) and per anyone
    else with results in the team in the period; with `user_ids`, exactly those people."""
    return _rep_facts(session, [team_id], _team_tz(session, team_id), period, user_ids)[team_id]


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


def _rep_facts(session: Session, teams: list[int], tz: ZoneInfo, period: Period,
               user_ids: Sequence[str] | None) -> dict[int, dict[str, RepFacts]]:
    """`rep_facts` of `teams`, all in zone `tz`; every fact is keyed by (team, person)."""
    start_at, end_at = _local_midnight(period.start, tz), _local_midnight(_next(period.end), tz)
    who: list[ColumnElement[bool]] = []
    owned = [C.c.team_id.in_(teams), C.c.owner_user_id.is_not(None)]
    if user_ids is not None:
        who.append(A.c.user_id.in_(list(user_ids)))
        owned.append(C.c.owner_user_id.in_(list(user_ids)))
    acts = [A.c.team_id.in_(teams), _live(A), A.c.occurred_on >= period.start,
            A.c.occurred_on <= period.end, *who]

    Key = tuple[int, str]  # (team, person)
    fields: dict[Key, dict] = defaultdict(dict)
    day_counts: dict[Key, dict[date, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    # Logs per user, local day and kind; the period's totals are sums of these few rows.
    for team, user, day, kind, n in session.exec(
        select(A.c.team_id, A.c.user_id, A.c.occurred_on, A.c.kind, func.sum(A.c.count))
        .where(*acts).group_by(A.c.team_id, A.c.user_id, A.c.occurred_on, A.c.kind)
    ):
        day_counts[team, user][day][kind] = int(n)
        totals[team, user][kind] += int(n)

    # Results and KBI facts of the period's logs, one row per user.
    deal, payment = A.c.kind == "deal", A.c.kind == "payment"
    new = A.c.new_customer.is_not(False)  # null counts as new business
    linked = A.c.customer_id.is_not(None)
    conversation = and_(A.c.kind.in_(CONVERSATION_KINDS), linked)
    demo, objection = _DEMO, _OBJECTION
    had_demo = exists().where(demo.c.customer_id == A.c.customer_id, demo.c.kind == "demo",
                              _live(demo), demo.c.occurred_on <= A.c.occurred_on)
    # Handled: an objection log for the customer that day, or logged with "no objections".
    objected = or_(A.c.no_objections.is_(True), exists().where(
        objection.c.customer_id == A.c.customer_id, objection.c.kind == "objection",
        _live(objection), objection.c.occurred_on == A.c.occurred_on))
    for row in session.exec(
        select(
            A.c.team_id, A.c.user_id,
            _sum_money(and_(deal, new), A.c.amount).label("sales_new"),
            _sum_money(and_(deal, A.c.new_customer.is_(False)), A.c.amount).label("sales_repeat"),
            _count_if(deal).label("deals"),
            _new_customers().label("new_customers"),
            _sum_money(payment, A.c.amount).label("collected"),
            _count_if(and_(deal, linked, had_demo)).label("deals_with_demo"),
            _sum_if(conversation, A.c.count).label("conversations"),
            _sum_if(and_(conversation, objected), A.c.count).label("objections"),
        ).where(*acts).group_by(A.c.team_id, A.c.user_id)
    ):
        fields[row.team_id, row.user_id].update(
            sales_new=money(row.sales_new, ZERO), sales_repeat=money(row.sales_repeat, ZERO),
            deals=int(row.deals), new_customers=int(row.new_customers),
            collected=money(row.collected, ZERO), deals_with_demo=int(row.deals_with_demo),
            conversations=int(row.conversations),
            conversations_with_objections=int(row.objections))

    # On-time collection (回款及时率): every receivable that fell due in the period, paid or
    # not, and what of it was paid by its due date (`receivables`).
    for key, (due_total, paid) in _receivables(session, teams, period, who).items():
        fields[key].update(due_total=due_total, paid_on_time=paid)

    # Lead conversion (线索转化率) as a cohort: the leads the rep owns created in the period,
    # and of THOSE, how many had been won (a live move to won) by the period's end, which is the
    # card's date (a card before the end counts what is there by now); lost: of those not won,
    # the ones at lost then.
    won = exists().where(SC.c.customer_id == C.c.id, SC.c.to_stage == "won", SC.c.at < end_at,
                         _live_change(SC))
    lost = and_(~won, func.coalesce(_stage_before(end_at), "") == "lost")
    for team, owner, n, n_won, n_lost in session.exec(
        select(C.c.team_id, C.c.owner_user_id, func.count(), _count_if(won), _count_if(lost))
        .where(*owned, C.c.created_at >= start_at, C.c.created_at < end_at)
        .group_by(C.c.team_id, C.c.owner_user_id)
    ):
        fields[team, owner].update(leads_created=int(n), leads_won=int(n_won),
                                   leads_lost=int(n_lost))

    # Discovery rounds before each proposal reached in the period: the local day of the
    # (latest) move to proposal comes from joining the period's days by their UTC bounds.
    # Outer joins to the VALUES table keep SQLite from driving the join from it.
    days = _days(period.start, period.end, tz)
    proposals = (
        select(SC.c.customer_id, C.c.team_id, C.c.owner_user_id.label("owner"),
               func.max(days.c.day).label("day"))
        .select_from(SC.join(C, C.c.id == SC.c.customer_id)
                     .outerjoin(days, and_(SC.c.at >= days.c.starts, SC.c.at < days.c.ends)))
        .where(*owned, SC.c.to_stage == "proposal", SC.c.at >= start_at, SC.c.at < end_at,
               _moved(SC), _live_change(SC))
        .group_by(SC.c.customer_id, C.c.team_id, C.c.owner_user_id)
        .subquery("proposals")
    )
    rounds: dict[Key, list[int]] = defaultdict(list)
    p = proposals.c
    for team, owner, _customer, n in session.exec(
        select(p.team_id, p.owner, p.customer_id, func.coalesce(func.sum(A.c.count), 0))
        .select_from(proposals.outerjoin(A, and_(
            A.c.customer_id == proposals.c.customer_id, A.c.kind == "discovery", _live(A),
            A.c.occurred_on <= proposals.c.day)))
        .group_by(p.team_id, p.owner, p.customer_id)
        .order_by(p.team_id, p.owner, p.customer_id)
    ):
        rounds[team, owner].append(int(n))

    # Follow-up after signing (定期回访, 签约后每月1次), per customer per calendar month: in each
    # window (see `followup_windows`), the customers won BEFORE it began and not lost by its
    # end, and which of them got a follow-up log in it. The month of signing expects none: a
    # deal signed on the 30th cannot owe a follow-up by the 31st (the signing was the contact).
    # A week is owed by the customers won before its (last day's) month began: a week inside
    # the month of signing owes nothing, as that month does not (the week's report said
    # "behind" on a follow-up the month's scorecard rightly did not ask for).
    followup = _FOLLOWUP
    for first, last in followup_windows(period):
        until = _local_midnight(_next(last), tz)
        won_by = exists().where(SC.c.customer_id == C.c.id, SC.c.to_stage == "won",
                                SC.c.at < _local_midnight(last.replace(day=1), tz),
                                _live_change(SC))
        followed = exists().where(followup.c.customer_id == C.c.id,
                                  followup.c.kind == "followup", _live(followup),
                                  followup.c.occurred_on >= first,
                                  followup.c.occurred_on <= last)
        not_lost = func.coalesce(_stage_before(until), "") != "lost"
        for team, owner, signed, followed_up in session.exec(
            select(C.c.team_id, C.c.owner_user_id, func.count(), _count_if(followed))
            .where(*owned, won_by, not_lost).group_by(C.c.team_id, C.c.owner_user_id)
        ):
            mine = fields[team, owner]
            mine["signed_customers"] = mine.get("signed_customers", 0) + int(signed)
            mine["signed_followed_up"] = mine.get("signed_followed_up", 0) + int(followed_up)

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
            day_counts={d: dict(k) for d, k in sorted(day_counts.get(key, {}).items())},
            totals=dict(sorted(kinds.items())),
            discovery_rounds=tuple(rounds.get(key, ())),
            learning=sum(kinds.get(k, 0) for k in LEARNING_KINDS),
            **fields.get(key, {}),
        )
    return result


def receivables(session: Session, *, team_id: int, period: Period,
                who: Sequence[ColumnElement[bool]] = ()) -> dict[str, tuple[Decimal, Decimal]]:
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
    return {user: due for (_, user), due in _receivables(session, [team_id], period,
                                                         who).items()}


def _receivables(session: Session, teams: list[int], period: Period,
                 who: Sequence[ColumnElement[bool]]) -> dict[tuple[int, str],
                                                             tuple[Decimal, Decimal]]:
    """`receivables` of `teams`, keyed by (team, rep)."""
    kinds = (A.c.kind == "receivable") | ((A.c.kind == "payment") & A.c.due_on.is_not(None))
    due_on = func.coalesce(A.c.due_on, A.c.occurred_on)
    owed: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    paid: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for team, user, customer_id, name, kind, amount, amount_due, due, day in session.exec(
        select(A.c.team_id, A.c.user_id, A.c.customer_id, A.c.customer, A.c.kind, A.c.amount,
               A.c.amount_due, due_on.label("due"), A.c.occurred_on)
        .where(A.c.team_id.in_(teams), _live(A), kinds, A.c.currency.is_(None),
               A.c.amount.is_not(None), due_on >= period.start, due_on <= period.end, *who)
        .order_by(A.c.id)
    ):
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


def funnel(session: Session, *, team_id: int, period: Period) -> list[FunnelLead]:
    """The cohort of leads created in the period (team-local days), each with every stage it
    has reached so far (live stage changes at any time, the stage it was created at
    included). Unowned leads have owner ""."""
    tz = _team_tz(session, team_id)
    start_at, end_at = _local_midnight(period.start, tz), _local_midnight(_next(period.end), tz)
    reached: dict[tuple[int, str], set[str]] = {}
    for customer_id, owner, stage in session.exec(
        select(C.c.id, C.c.owner_user_id, SC.c.to_stage).distinct()
        .select_from(C.join(SC, SC.c.customer_id == C.c.id))
        .where(C.c.team_id == team_id, C.c.created_at >= start_at, C.c.created_at < end_at,
               _live_change(SC))
        .order_by(C.c.id)
    ):
        reached.setdefault((customer_id, owner or ""), set()).add(stage)
    return [FunnelLead(customer_id=cid, owner=owner, reached=frozenset(stages))
            for (cid, owner), stages in reached.items()]


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


def _stage_before(moment: datetime) -> ColumnElement[str]:
    """The customer's stage just before `moment`: its latest live change before it."""
    change = _LATEST
    return (select(change.c.to_stage)
            .where(change.c.customer_id == C.c.id, change.c.at < moment, _live_change(change))
            .order_by(change.c.at.desc(), change.c.id.desc())
            .limit(1).correlate(C).scalar_subquery())


def _days(first: date, last: date, tz: ZoneInfo):  # type: ignore[no-untyped-def]
    """A VALUES table of local days with their UTC bounds (`starts`, `ends`: the next local
    midnight) and last second, so SQL can place instants on local days without time zone
    support of its own (SQLite has none)."""
    rows = []
    day = first
    starts = _local_midnight(first, tz)
    while day <= last:
        ends = _local_midnight(_next(day), tz)
        rows.append((day, starts, ends, ends - timedelta(seconds=1)))
        day, starts = _next(day), ends
    return values(column("day", Date), column("starts", DateTime(timezone=True)),
                  column("ends", DateTime(timezone=True)),
                  column("last_second", DateTime(timezone=True)), name="days").data(rows).cte()


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
