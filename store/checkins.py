"""Daily check-ins: one row per rep per local day; answering again edits the day's row."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlmodel import Session, select

from store import forms
from store.models import Checkin


@dataclass(frozen=True)
class CheckinAnswers:
    """What a rep answered. None means "not given" (kept when merging, cleared when replacing)."""

    plan: str | None = None
    planned_visits: int | None = None
    planned_calls: int | None = None
    key_customers: str | None = None
    yesterday: str | None = None
    blockers: str | None = None

    def given(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}


_EMPTY = {"plan": "", "planned_visits": None, "planned_calls": None, "key_customers": "",
          "yesterday": "", "blockers": ""}


@dataclass(frozen=True)
class Saved:
    checkin: Checkin
    created: bool  # False when the day already had a check-in and this edited it


def get(session: Session, *, workspace_id: str, user_id: str, day: date) -> Checkin | None:
    return session.exec(
        select(Checkin).where(Checkin.workspace_id == workspace_id, Checkin.user_id == user_id,
                              Checkin.day == day)
    ).first()


def upsert(session: Session, *, workspace_id: str, user_id: str, team_id: int | None, day: date,
           answers: CheckinAnswers, now: datetime, replace: bool = True) -> Saved:
    """Save the day's check-in; a second one edits the first.

    replace=True (a modal: the whole form was sent) overwrites every field; replace=False (an
    inline `/checkin blockers: ...`) changes only the fields given.
    """
    row, created = forms.upsert(
        session, Checkin, key={"workspace_id": workspace_id, "user_id": user_id, "day": day},
        team_id=team_id, values=answers.given(), blank=_EMPTY, now=now, replace=replace)
    return Saved(row, created=created)


def between(session: Session, *, workspace_id: str, team_id: int | None = None, start: date,
            end: date) -> list[Checkin]:
    """Check-ins whose local day is in [start, end], oldest first (for exports and reports)."""
    query = select(Checkin).where(Checkin.workspace_id == workspace_id, Checkin.day >= start,
                                  Checkin.day <= end)
    if team_id is not None:
        query = query.where(Checkin.team_id == team_id)
    return list(session.exec(query.order_by(Checkin.day, Checkin.user_id, Checkin.id)).all())


def users_checked_in(session: Session, *, workspace_id: str, day: date) -> set[str]:
    """Who has checked in for a local day (the reminder job skips them)."""
    return set(session.exec(
        select(Checkin.user_id).where(Checkin.workspace_id == workspace_id, Checkin.day == day)
    ).all())
