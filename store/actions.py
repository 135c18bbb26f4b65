"""Action items agreed in calibrations and review conversations: who does what by when, and
how it is measured."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, or_, select

from store.models import ActionItem, Calibration, Review

OPEN, DONE, DROPPED = "open", "done", "dropped"


@dataclass(frozen=True)
class Agreed:
    """One action item as the minutes form gave it."""

    position: int
    text: str
    owner: str
    due_on: date
    measure: str


def get(session: Session, *, item_id: int) -> ActionItem | None:
    return session.get(ActionItem, item_id)


def of_calibration(session: Session, *, calibration_id: int) -> list[ActionItem]:
    return list(session.exec(select(ActionItem).where(
        ActionItem.calibration_id == calibration_id).order_by(ActionItem.position)).all())


def of_review(session: Session, *, review_id: int) -> list[ActionItem]:
    return list(session.exec(select(ActionItem).where(
        ActionItem.review_id == review_id).order_by(ActionItem.position)).all())


def save_agreed(session: Session, *, calibration: Calibration, agreed: Sequence[Agreed],
                by: str, now: datetime) -> list[ActionItem]:
    """The minutes' action items, one per form row: new rows are created, edited rows
    changed, rows emptied in an edit dropped (done ones are kept as they are)."""
    _save(session, of_calibration(session, calibration_id=calibration.id), agreed, by, now,
          workspace_id=calibration.workspace_id, team_id=calibration.team_id,
          rep_user_id=calibration.rep_user_id, calibration_id=calibration.id)
    return of_calibration(session, calibration_id=calibration.id)


def save_for_review(session: Session, *, review: Review, agreed: Sequence[Agreed], by: str,
                    now: datetime) -> list[ActionItem]:
    """A review record's SMART actions (seed 000), kept like the minutes' items."""
    _save(session, of_review(session, review_id=review.id), agreed, by, now,
          workspace_id=review.workspace_id, team_id=review.team_id,
          rep_user_id=review.user_id, review_id=review.id)
    return of_review(session, review_id=review.id)


def _save(session: Session, existing_items: Sequence[ActionItem], agreed: Sequence[Agreed],
          by: str, now: datetime, **source: object) -> None:
    existing = {i.position: i for i in existing_items}
    given = {a.position for a in agreed}
    for a in agreed:
        item = existing.get(a.position) or ActionItem(
            **source, position=a.position, created_by=by, created_at=now,
            owner_user_id=a.owner, text=a.text, due_on=a.due_on, updated_at=now)
        item.text, item.owner_user_id, item.due_on, item.measure = (
            a.text, a.owner, a.due_on, a.measure)
        if item.status == DROPPED:
            item.status = OPEN
        item.updated_at = now
        session.add(item)
    for position, item in existing.items():
        if position not in given and item.status == OPEN:
            item.status, item.updated_at = DROPPED, now
            session.add(item)
    session.flush()


def set_status(session: Session, *, item: ActionItem, status: str, by: str,
               now: datetime) -> ActionItem:
    item.status, item.updated_at = status, now
    item.done_at, item.done_by = (now, by) if status == DONE else (None, None)
    session.add(item)
    session.flush()
    return item


def listed(session: Session, *, workspace_id: str, owner: str | None = None,
           team_ids: Sequence[int] = (), reps: Sequence[str] = (),
           statuses: Sequence[str] = (OPEN,), done_since: datetime | None = None
           ) -> list[ActionItem]:
    """Items owned by `owner`, or on `team_ids` (optionally only about `reps`), by due date.
    With done_since, items finished since then are included too."""
    query = select(ActionItem).where(ActionItem.workspace_id == workspace_id)
    whose = []
    if owner is not None:
        whose.append(ActionItem.owner_user_id == owner)
    if team_ids:
        on_team = col(ActionItem.team_id).in_(team_ids)
        if reps:
            on_team = on_team & (col(ActionItem.rep_user_id).in_(reps)
                                 | col(ActionItem.owner_user_id).in_(reps))
        whose.append(on_team)
    if not whose:
        return []
    status = col(ActionItem.status).in_(statuses)
    if done_since is not None:
        status = or_(status, (ActionItem.status == DONE) & (ActionItem.done_at >= done_since))
    return list(session.exec(query.where(or_(*whose), status)
                             .order_by(ActionItem.due_on, ActionItem.id)).all())


def open_due_by(session: Session, *, team_id: int, by: date) -> list[ActionItem]:
    """The team's open items due on or before `by` (reminders, overdue lists)."""
    return list(session.exec(select(ActionItem).where(
        ActionItem.team_id == team_id, ActionItem.status == OPEN, ActionItem.due_on <= by)
        .order_by(ActionItem.due_on, ActionItem.id)).all())


def teams_with_open_due(session: Session, *, by: date) -> set[int]:
    """The teams with an open item due on or before `by` (one read for a whole tick)."""
    return set(session.exec(select(ActionItem.team_id).distinct().where(
        ActionItem.status == OPEN, ActionItem.due_on <= by)).all())


def of_rep(session: Session, *, team_id: int, rep: str,
           statuses: Sequence[str] = (OPEN,)) -> list[ActionItem]:
    """Items about a rep's work: agreed in their calibrations or owned by them."""
    return list(session.exec(select(ActionItem).where(
        ActionItem.team_id == team_id,
        or_(ActionItem.rep_user_id == rep, ActionItem.owner_user_id == rep),
        col(ActionItem.status).in_(statuses)).order_by(ActionItem.due_on, ActionItem.id)).all())
