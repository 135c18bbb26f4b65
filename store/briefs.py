"""Friday briefs: one row per rep per week (Monday start); answering again edits the week's row."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlmodel import Session, select

from store import forms
from store.models import Brief


@dataclass(frozen=True)
class BriefAnswers:
    """What a rep answered. None means "not given" (kept when merging, cleared when replacing)."""

    progress: str | None = None
    wins: str | None = None
    blockers: str | None = None
    next_focus: str | None = None

    def given(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Saved:
    brief: Brief
    created: bool  # False when the week already had a brief and this edited it


def get(session: Session, *, workspace_id: str, user_id: str, week_start: date) -> Brief | None:
    return session.exec(
        select(Brief).where(Brief.workspace_id == workspace_id, Brief.user_id == user_id,
                            Brief.week_start == week_start)
    ).first()


_BLANK = {f.name: "" for f in fields(BriefAnswers)}


def upsert(session: Session, *, workspace_id: str, user_id: str, team_id: int | None,
           week_start: date, answers: BriefAnswers, now: datetime,
           replace: bool = True) -> Saved:
    """Save the week's brief; a second one edits the first.

    replace=True (a modal: the whole form was sent) overwrites every field; replace=False (an
    inline `/brief wins: ...`) changes only the fields given.
    """
    if week_start.weekday() != 0:
        raise ValueError(f"a week starts on a Monday, not {week_start:%A}")
    row, created = forms.upsert(
        session, Brief, key={"workspace_id": workspace_id, "user_id": user_id,
                             "week_start": week_start},
        team_id=team_id, values=answers.given(), blank=_BLANK, now=now, replace=replace)
    return Saved(row, created=created)


def between(session: Session, *, workspace_id: str, team_id: int | None = None, start: date,
            end: date) -> list[Brief]:
    """Briefs whose week starts in [start, end], oldest first (for exports and reports)."""
    query = select(Brief).where(Brief.workspace_id == workspace_id, Brief.week_start >= start,
                                Brief.week_start <= end)
    if team_id is not None:
        query = query.where(Brief.team_id == team_id)
    return list(session.exec(
        query.order_by(Brief.week_start, Brief.user_id, Brief.id)).all())


def users_briefed(session: Session, *, workspace_id: str, week_start: date) -> set[str]:
    """Who has answered the brief for a week (the Friday job skips them)."""
    return set(session.exec(
        select(Brief.user_id).where(Brief.workspace_id == workspace_id,
                                    Brief.week_start == week_start)
    ).all())
