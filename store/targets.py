"""Managers' targets: adjustments to the rolling forecast, each with who, when and why."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

from bot.scoring.facts import Target
from store.models import TargetRow

METRICS = ("sales", "sales_new", "sales_repeat", "new_customers", "collection_rate",
           "lead_conversion", "touches")
TEAM = ""  # the user_id of an older team-wide target, shared between the reps
TEAM_DEFAULT = "*"  # the user_id of a team default: each rep's target unless they have their own
EVERY_MONTH = "month"  # the period of a team default for every month (from when it was set)


def set_target(session: Session, *, team_id: int, user_id: str, metric: str, period: str,
               value: Decimal, reason: str, by_user_id: str, now: datetime) -> Decimal | None:
    """Set a target; returns the value it replaced (None if there was none)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    row = session.exec(select(TargetRow).where(
        TargetRow.team_id == team_id, TargetRow.user_id == user_id,
        TargetRow.metric == metric, TargetRow.period == period)).first()
    before = row.value if row else None
    if row is None:
        row = TargetRow(team_id=team_id, user_id=user_id, metric=metric, period=period,
                        value=value, reason=reason, set_by=by_user_id, set_at=now)
    row.value, row.reason, row.set_by, row.set_at = value, reason, by_user_id, now
    session.add(row)
    session.flush()
    return before


def clear_target(session: Session, *, team_id: int, user_id: str, metric: str,
                 period: str) -> bool:
    row = session.exec(select(TargetRow).where(
        TargetRow.team_id == team_id, TargetRow.user_id == user_id,
        TargetRow.metric == metric, TargetRow.period == period)).first()
    if row is None:
        return False
    session.delete(row)
    return True


def manual_targets(session: Session, *, team_id: int,
                   period: str) -> dict[str, dict[str, Target]]:
    """{user_id (TEAM, TEAM_DEFAULT for the team): {metric: Target}} set by managers for the
    period (a label, or EVERY_MONTH)."""
    found: dict[str, dict[str, Target]] = {}
    for row in session.exec(select(TargetRow).where(TargetRow.team_id == team_id,
                                                     TargetRow.period == period)).all():
        found.setdefault(row.user_id, {})[row.metric] = Target(
            metric=row.metric, value=Decimal(row.value),
            source="team" if row.user_id == TEAM_DEFAULT else "manual", reason=row.reason)
    return found


Stored = tuple[dict[str, dict[str, dict[str, Target]]], dict[str, tuple[Target, datetime]]]


def of_periods(session: Session, *, team_id: int, periods: Iterable[str]) -> Stored:
    """`manual_targets` of each of `periods` (labels: {label: ...}, every one present) and
    `every_month`, in one read (a report reads them for a period and those around it)."""
    return of_periods_many(session, team_ids=[team_id], periods=periods)[team_id]


def of_periods_many(session: Session, *, team_ids: Iterable[int],
                    periods: Iterable[str]) -> dict[int, Stored]:
    """`of_periods` of many teams, by team id, in one read (the reports of every team)."""
    labels = list(dict.fromkeys(periods))
    found: dict[int, Stored] = {team: ({label: {} for label in labels}, {})
                                for team in team_ids}
    T = TargetRow.__table__
    for team, user, metric, period, value, reason, set_at in session.exec(
        select(T.c.team_id, T.c.user_id, T.c.metric, T.c.period, T.c.value, T.c.reason,
               T.c.set_at)
        .where(T.c.team_id.in_(list(found)), T.c.period.in_([*labels, EVERY_MONTH]))
        .order_by(T.c.id)
    ):
        by_label, every = found[team]
        target = Target(metric=metric, value=Decimal(value),
                        source="team" if user == TEAM_DEFAULT else "manual", reason=reason)
        if period in by_label:
            by_label[period].setdefault(user, {})[metric] = target
        if period == EVERY_MONTH and user == TEAM_DEFAULT:
            every[metric] = (target, set_at)
    return found


def every_month(session: Session, *, team_id: int) -> dict[str, tuple[Target, datetime]]:
    """The team's defaults for every month: {metric: (Target, when it was set)}."""
    return {row.metric: (Target(metric=row.metric, value=Decimal(row.value), source="team",
                                reason=row.reason), row.set_at)
            for row in session.exec(select(TargetRow).where(
                TargetRow.team_id == team_id, TargetRow.user_id == TEAM_DEFAULT,
                TargetRow.period == EVERY_MONTH)).all()}
