"""The SQL store/scoring.py's reads are made of: the tables, the building blocks (live logs
and stage changes, conditional sums, a customer's stage at an instant) and the statements of
`rep_facts` and `funnel`, built once each with bind parameters (see `_period_logs`). Kept
apart from store/scoring.py only for its length; store/scoring.py re-exports the blocks the
other store modules import from it."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.expression import ColumnElement

from store.db import MONEY
from store.models import Activity, Customer, StageChange

A = Activity.__table__
C = Customer.__table__
SC = StageChange.__table__
# Aliases built once: building one copies every column of the table, which cost more than
# running the queries when each call made its own (benchmarks/scoring.py's month, profiled).
_DEMO, _FOLLOWUP, _UNDONE = (A.alias(n) for n in ("demo", "followup", "undone"))
_LATEST = SC.alias("latest")


CONVERSATION_KINDS = ("visit", "call", "demo", "discovery")


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
    """The period's logs, plain: (team, user, day, kind, count, customer id, True when logged
    with "no objections" (无异议)). Whether a conversation's objections were handled (an
    objection log for its customer that day) is found in Python from the objection logs
    among these rows: a customer is the team's (store/customers.py links a log to its own
    team's customers only), so its objection logs of the period are here; a correlated
    EXISTS per conversation was a third of SQLite's time on this read. What deals and
    payments add is read apart (`_period_deals`): carried on every row of this read (75,000
    for 1,000 reps' month), their columns made it cost half as much again."""
    return select(
        A.c.team_id, A.c.user_id, A.c.occurred_on.label("day"), A.c.kind, A.c.count,
        A.c.customer_id, A.c.no_objections,
    ).where(*_in_period(users))


@cache
def _period_deals(users: bool):  # type: ignore[no-untyped-def]
    """The period's deals and payments (`_period_logs`' rows of those kinds): (team, user,
    kind, the customer of a new-business deal (its id; its typed name, lowercased, when not
    linked: both null for any other log), the amount of new business, of repeat business (the
    team's currency only; a payment is one or the other), 1 for a deal whose customer had a
    demo by then)."""
    deal = A.c.kind == "deal"
    new = A.c.new_customer.is_not(False)  # null counts as new business
    linked = A.c.customer_id.is_not(None)
    team_money = A.c.currency.is_(None)
    demo = _DEMO
    had_demo = exists().where(demo.c.customer_id == A.c.customer_id, demo.c.kind == "demo",
                              _live(demo), demo.c.occurred_on <= A.c.occurred_on)
    return select(
        A.c.team_id, A.c.user_id, A.c.kind,
        case((and_(deal, new), A.c.customer_id)).label("new_id"),
        case((and_(deal, new, A.c.customer_id.is_(None)), func.lower(A.c.customer)))
        .label("new_name"),
        type_coerce(case((and_(new, team_money), A.c.amount)), MONEY).label("new"),
        type_coerce(case((and_(A.c.new_customer.is_(False), team_money), A.c.amount)), MONEY)
        .label("repeat"),
        case((and_(deal, linked, had_demo), 1), else_=0).label("with_demo"),
    ).where(*_in_period(users), A.c.kind.in_(("deal", "payment")))


def _in_period(users: bool) -> list[ColumnElement[bool]]:
    """The teams' live logs of the period (of `users`, with `users`)."""
    return [A.c.team_id.in_(_TEAMS), _live(A), A.c.occurred_on >= _START,
            A.c.occurred_on <= _END, *([A.c.user_id.in_(_USERS)] if users else [])]


@cache
def _objection_days():  # type: ignore[no-untyped-def]
    """(customer, day) of the teams' objection logs in the period, whoever logged them: for
    `_period_logs(users=True)`, whose rows are only some people's."""
    return (select(A.c.customer_id, A.c.occurred_on)
            .where(A.c.team_id.in_(_TEAMS), _live(A), A.c.kind == "objection",
                   A.c.customer_id.is_not(None), A.c.occurred_on >= _START,
                   A.c.occurred_on <= _END))


@cache
def _lead_cohort(users: bool):  # type: ignore[no-untyped-def]
    """Lead conversion (线索转化率) as a cohort, per team and owner: the leads the rep owns
    created in the period, and of THOSE, how many had been won (a live move to won) by the
    period's end, which is the card's date (a card before the end counts what is there by
    now); lost: of those not won, the ones at lost then. (Not one read with the follow-ups:
    merged, PostgreSQL checked every customer's stage changes, 2x the time of the two, 20x
    once its plan for the prepared statement was the generic one.)"""
    start_at, end_at = _at("start_at"), _at("end_at")
    won = _won_before(end_at)
    lost = and_(~won, func.coalesce(_stage_before(end_at), "") == "lost")
    return (select(C.c.team_id, C.c.owner_user_id, func.count(), _count_if(won),
                   _count_if(lost))
            .where(*_owned(users), C.c.created_at >= start_at, C.c.created_at < end_at)
            .group_by(C.c.team_id, C.c.owner_user_id))


@cache
def _followups(users: bool, window: int):  # type: ignore[no-untyped-def]
    """Follow-up after signing (定期回访, 签约后每月1次), per customer per calendar month, per
    team and owner: in follow-up window `window` (see `followup_windows`), the customers won
    BEFORE it began and not lost by its end, and which of them got a follow-up log in it. The
    month of signing expects none: a deal signed on the 30th cannot owe a follow-up by the
    31st (the signing was the contact). A week is owed by the customers won before its (last
    day's) month began: a week inside the month of signing owes nothing, as that month does
    not (the week's report said "behind" on a follow-up the month's scorecard rightly did not
    ask for)."""
    followup, i = _FOLLOWUP, window
    followed = exists().where(followup.c.customer_id == C.c.id, followup.c.kind == "followup",
                              _live(followup),
                              followup.c.occurred_on >= bindparam(f"first_{i}", type_=Date),
                              followup.c.occurred_on <= bindparam(f"last_{i}", type_=Date))
    not_lost = func.coalesce(_stage_before(_at(f"until_{i}")), "") != "lost"
    return (select(C.c.team_id, C.c.owner_user_id, func.count(), _count_if(followed))
            .where(*_owned(users), _won_before(_at(f"won_by_{i}")), not_lost)
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


@cache
def _funnel_stages():  # type: ignore[no-untyped-def]
    """`funnel`'s read: (team, customer, owner, stage reached), built once."""
    return (select(C.c.team_id, C.c.id, C.c.owner_user_id, SC.c.to_stage).distinct()
            .select_from(C.join(SC, SC.c.customer_id == C.c.id))
            .where(C.c.team_id.in_(_TEAMS), C.c.created_at >= _at("start_at"),
                   C.c.created_at < _at("end_at"), _live_change(SC))
            .order_by(C.c.id))
