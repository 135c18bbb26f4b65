"""Away days (`/pacer away`): a person's leave, first to last day inclusive, and the teams
that also read Slack's status as away. Whether a day is a working day for the person is
bot/calendar/workdays.py's question; this only keeps the spells."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, select

from store.models import AwaySpell, AwayStatusTeam, Team

Span = tuple[date, date]  # first and last day, both included


def add(session: Session, *, workspace_id: str, user_id: str, first: date, last: date,
        reason: str, set_by: str, now: datetime) -> AwaySpell:
    """A new spell. Overlapping spells may coexist: a day is away when any spell covers it,
    so nothing is counted twice."""
    row = AwaySpell(workspace_id=workspace_id, user_id=user_id, first_day=first, last_day=last,
                    reason=reason[:200], set_by=set_by, created_at=now)
    session.add(row)
    session.flush()
    return row


def current(session: Session, *, workspace_id: str, user_id: str,
            today: date) -> list[AwaySpell]:
    """The person's spells not over by `today` (current and upcoming), soonest first."""
    return list(session.exec(
        select(AwaySpell).where(AwaySpell.workspace_id == workspace_id,
                                AwaySpell.user_id == user_id, AwaySpell.last_day >= today)
        .order_by(AwaySpell.first_day, AwaySpell.id)).all())


def end(session: Session, *, workspace_id: str, user_id: str, today: date) -> list[AwaySpell]:
    """Back from `today` on: a current spell ends yesterday, an upcoming one is dropped.
    Returns the spells changed (as they were)."""
    changed = []
    for row in current(session, workspace_id=workspace_id, user_id=user_id, today=today):
        changed.append(AwaySpell.model_validate(row.model_dump()))
        if row.first_day >= today:
            session.delete(row)
        else:
            row.last_day = today - timedelta(days=1)
            session.add(row)
    session.flush()
    return changed


def spans(session: Session, *, workspace_id: str, user_ids: list[str], start: date,
          end_day: date) -> dict[str, tuple[Span, ...]]:
    """Each person's spells meeting [start, end_day], by user id: one read."""
    if not user_ids:
        return {}
    out: dict[str, list[Span]] = {}
    # One person (each /log confirmation): a plain `=`; an expanding IN is rendered afresh
    # at every execution.
    one = len(user_ids) == 1
    for user, first, last in session.execute(_SPANS_OF_ONE if one else _SPANS, {
            "workspace_id": workspace_id, "start": start, "end_day": end_day,
            **({"user_id": user_ids[0]} if one else {"user_ids": list(user_ids)})}).all():
        out.setdefault(user, []).append((first, last))
    return {user: tuple(found) for user, found in out.items()}


# Built once: each /log confirmation reads its rep's spells, and building the statement
# cost more than running it.
_A = AwaySpell.__table__.c  # type: ignore[attr-defined]
_SPANS = (select(_A.user_id, _A.first_day, _A.last_day)  # the table's: Core, no ORM step
          .where(_A.workspace_id == bindparam("workspace_id"),
                 _A.user_id.in_(bindparam("user_ids", expanding=True)),
                 _A.last_day >= bindparam("start"), _A.first_day <= bindparam("end_day"))
          .order_by(_A.user_id, _A.first_day))
_SPANS_OF_ONE = (select(_A.user_id, _A.first_day, _A.last_day)
                 .where(_A.workspace_id == bindparam("workspace_id"),
                        _A.user_id == bindparam("user_id"),
                        _A.last_day >= bindparam("start"), _A.first_day <= bindparam("end_day"))
                 .order_by(_A.first_day))


def set_status_reading(session: Session, *, team: Team, on: bool, by: str,
                       now: datetime) -> None:
    """Whether the team counts Slack's status as away (`/pacer team away-status`)."""
    row = session.get(AwayStatusTeam, team.id)
    if on and row is None:
        session.add(AwayStatusTeam(team_id=team.id, set_by=by, set_at=now))
    elif not on and row is not None:
        session.delete(row)
    session.flush()
