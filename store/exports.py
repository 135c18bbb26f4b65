"""The SQL behind `pacer export logs|checkins|leads|actions|reviews` (bot/services/exports.py
writes the CSV): each export's rows, oldest first, with their team's name, streamed where a
workspace's history can be long. Imports' SQL is in store/imports.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import Column, and_, false, or_
from sqlmodel import Session, select
from sqlmodel.sql.expression import Select

from store.imports import day_start
from store.models import ActionItem, Activity, Calibration, Checkin, Customer, Review, Team


def _within(query: Select, workspace: tuple[Column, str | None], team: tuple[Column, int | None],
            day: Column, start: date | None, end: date | None) -> Select:
    """`query` narrowed to one workspace, one team and a span of days, each only when given."""
    for column, value in (workspace, team):
        if value not in (None, ""):
            query = query.where(column == value)
    if start is not None:
        query = query.where(day >= start)
    if end is not None:
        query = query.where(day <= end)
    return query


def log_rows(session: Session, *, team_id: int | None = None, workspace_id: str | None = None,
             start: date | None = None, end: date | None = None,
             ) -> Iterator[tuple[Activity, str | None, str | None]]:
    """Live logs oldest first, with their team's name and currency, streamed for CSV export."""
    query = _within(select(Activity, Team.name, Team.currency)
                    .outerjoin(Team, Team.id == Activity.team_id)
                    .where(Activity.deleted_at.is_(None)),
                    (Activity.workspace_id, workspace_id), (Activity.team_id, team_id),
                    Activity.occurred_on, start, end)
    query = query.order_by(Activity.occurred_on, Activity.recorded_at, Activity.id)
    yield from session.exec(query.execution_options(yield_per=1000))


def checkin_rows(session: Session, *, team_id: int | None = None, start: date | None = None,
                 end: date | None = None, workspace_id: str | None = None,
                 ) -> Iterator[tuple[Checkin, str | None]]:
    """Check-ins oldest first with their team's name, streamed for CSV export."""
    query = _within(select(Checkin, Team.name).outerjoin(Team, Team.id == Checkin.team_id),
                    (Checkin.workspace_id, workspace_id), (Checkin.team_id, team_id),
                    Checkin.day, start, end)
    query = query.order_by(Checkin.day, Team.name, Checkin.user_id, Checkin.id)
    yield from session.exec(query.execution_options(yield_per=1000))


def lead_rows(session: Session, *, team_id: int | None = None, start: date | None = None,
              end: date | None = None, workspace_id: str | None = None,
              ) -> Iterator[tuple[Customer, str]]:
    """Customers with their team's name, by team then creation. --from/--to select by the
    local creation date in each team's own time zone, bounds computed per team."""
    team_query = select(Team)
    if team_id is not None:
        team_query = team_query.where(Team.id == team_id)
    query = select(Customer, Team.name).join(Team, Team.id == Customer.team_id)
    if workspace_id:
        team_query = team_query.where(Team.workspace_id == workspace_id)
        query = query.where(Customer.workspace_id == workspace_id)
    if start or end:
        bounds = []
        for team in session.exec(team_query).all():
            cond = [Customer.team_id == team.id]
            if start:
                cond.append(Customer.created_at >= day_start(start, team.tz))
            if end:
                cond.append(Customer.created_at < day_start(end + timedelta(days=1), team.tz))
            bounds.append(and_(*cond))
        query = query.where(or_(*bounds) if bounds else false())
    elif team_id is not None:
        query = query.where(Customer.team_id == team_id)
    query = query.order_by(Team.name, Customer.created_at, Customer.id)
    yield from session.exec(query.execution_options(yield_per=1000))


def action_rows(session: Session, *, team_id: int, start: date | None = None,
                end: date | None = None) -> list[tuple[ActionItem, datetime | None]]:
    """The team's action items by due date, each with when its calibration was."""
    query = _within(select(ActionItem, Calibration.scheduled_at)
                    .join(Calibration, Calibration.id == ActionItem.calibration_id, isouter=True),
                    (ActionItem.workspace_id, None), (ActionItem.team_id, team_id),
                    ActionItem.due_on, start, end)
    return list(session.exec(query.order_by(ActionItem.due_on, ActionItem.id)).all())


def review_rows(session: Session, *, team_id: int | None, period: str | None,
                workspace_id: str | None = None) -> list[tuple[Review, str]]:
    """Reviews team by team, oldest period first, with their team's name."""
    query = select(Review, Team.name).join(Team, Team.id == Review.team_id)
    if team_id is not None:
        query = query.where(Review.team_id == team_id)
    if workspace_id is not None:
        query = query.where(Review.workspace_id == workspace_id)
    if period is not None:
        query = query.where(Review.period == period)
    return list(session.exec(query.order_by(Team.name, Review.period_end, Review.user_id)).all())
