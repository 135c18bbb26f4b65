"""Facts for the manager alerts (bot/jobs/alerts.py), aggregated in SQL (idle leads: store/idle.py).

One team per call; datetimes in and out are aware UTC, days are the team's local dates (as
Activity.occurred_on already is). Soft-deleted logs are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import case, distinct, false, func, select, true, type_coerce
from sqlmodel import Session

from bot.scoring.facts import ZERO, Period
from store.db import MONEY, money
from store.models import Activity, Customer, Member, Team, TeamMember

A, C = Activity.__table__, Customer.__table__
M, TM = Member.__table__, TeamMember.__table__


@dataclass(frozen=True)
class DealSplit:
    """One rep's deals in a period: all of them, and those in its last days (the tail)."""

    user_id: str
    total: Decimal
    tail: Decimal
    deals: int
    tail_deals: int


def managers(session: Session, *, team_id: int) -> list[str]:
    """The team's managers (TeamMember.is_manager), by user id."""
    return list(session.exec(
        select(M.c.user_id).join(TM, TM.c.member_id == M.c.id)
        .where(TM.c.team_id == team_id, TM.c.is_manager == true()).order_by(M.c.user_id)
    ).scalars())


def joined(session: Session, *, team_id: int) -> dict[str, datetime]:
    """When Pacer first saw each of the team's reps (not its managers)."""
    return {user: _utc(at) for user, at in session.exec(
        select(M.c.user_id, M.c.joined_at).join(TM, TM.c.member_id == M.c.id)
        .where(TM.c.team_id == team_id, TM.c.is_manager == false())
    ).all()}


def currency(session: Session, *, team_id: int) -> str:
    T = Team.__table__
    return session.exec(select(T.c.currency).where(T.c.id == team_id)).scalar() or ""


def new_customers_by_week(session: Session, *, team_id: int,
                          weeks: Sequence[Period]) -> list[int]:
    """Distinct customers won as new business (deals not marked existing) in each of
    `weeks` (consecutive, oldest first), team-wide. A deal not linked to a customer record
    counts by its typed name, as the scorecard's new-customer count does."""
    if not weeks:
        return []
    index = case(*[(A.c.occurred_on <= w.end, i) for i, w in enumerate(weeks[:-1])],
                 else_=len(weeks) - 1)
    counts = [0] * len(weeks)
    for week, linked, unlinked in session.exec(
        select(index.label("week"), func.count(distinct(A.c.customer_id)),
               func.count(distinct(case((A.c.customer_id.is_(None), func.lower(A.c.customer))))))
        .where(A.c.team_id == team_id, A.c.deleted_at.is_(None), A.c.kind == "deal",
               A.c.new_customer.is_not(False), A.c.occurred_on >= weeks[0].start,
               A.c.occurred_on <= weeks[-1].end)
        .group_by(index)
    ):
        counts[int(week)] = int(linked) + int(unlinked)
    return counts


def deal_split(session: Session, *, team_id: int, start: date, end: date,
               tail_start: date) -> list[DealSplit]:
    """Per rep, the value and number of deals in [start, end], and of those on or after
    `tail_start` (deals without an amount are left out)."""
    tail = A.c.occurred_on >= tail_start
    rows = session.exec(
        select(A.c.user_id,
               func.sum(type_coerce(A.c.amount, MONEY)).label("total"),
               func.sum(type_coerce(case((tail, A.c.amount), else_=0), MONEY)).label("tail"),
               func.count().label("deals"),
               func.coalesce(func.sum(case((tail, 1), else_=0)), 0).label("tail_deals"))
        .where(A.c.team_id == team_id, A.c.deleted_at.is_(None), A.c.kind == "deal",
               A.c.amount.is_not(None), A.c.currency.is_(None),  # the team's money only
               A.c.occurred_on >= start, A.c.occurred_on <= end)
        .group_by(A.c.user_id).order_by(A.c.user_id)
    ).all()
    return [DealSplit(user_id=r.user_id, total=money(r.total, ZERO), tail=money(r.tail, ZERO),
                      deals=int(r.deals), tail_deals=int(r.tail_deals)) for r in rows]


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes: everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

