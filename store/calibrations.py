"""Calibration 1:1s: the pairs' own cadences and every calibration something happened to.

A calibration is stored the first time it needs to be (answers, a move, a skip, minutes, an ad
hoc start); until then it lives only in the cadence (bot/services/calibration.py merges the
two). Its key is (team, rep, slot): a double click or a second process finds the row the first made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import ActionItem, Calibration, CalibrationPair

SCHEDULED, HELD, SKIPPED, CANCELLED = "scheduled", "held", "skipped", "cancelled"


@dataclass(frozen=True)
class Answers:
    """The rep's answers to the four questions (seed 001 §三2)."""

    progress: str = ""
    blockers: str = ""
    support: str = ""
    next_actions: str = ""

    FIELDS = ("progress", "blockers", "support", "next_actions")

    @classmethod
    def of(cls, row: Calibration) -> Answers:
        return cls(**{f: getattr(row, f) for f in cls.FIELDS})

    def any(self) -> bool:
        return any(getattr(self, f) for f in self.FIELDS)


@dataclass(frozen=True)
class Minutes:
    notes: str = ""
    controllable: str = ""
    uncontrollable: str = ""


def pair(session: Session, *, team_id: int, rep: str) -> CalibrationPair | None:
    return session.exec(select(CalibrationPair).where(
        CalibrationPair.team_id == team_id, CalibrationPair.rep_user_id == rep)).first()


def pairs(session: Session, *, team_id: int) -> dict[str, CalibrationPair]:
    return {p.rep_user_id: p for p in session.exec(
        select(CalibrationPair).where(CalibrationPair.team_id == team_id)).all()}


def teams_with_calibrations(session: Session, *, start: datetime,
                            end: datetime) -> set[int]:
    """The teams with a pair of their own or a calibration stored from start to end (UTC):
    the others' calibrations all follow the team cadence, with nothing to read (one read
    for a whole tick)."""
    paired = set(session.exec(select(CalibrationPair.team_id).distinct()).all())
    return paired | set(session.exec(select(Calibration.team_id).distinct().where(
        Calibration.scheduled_at >= start, Calibration.scheduled_at <= end)).all())


def set_pair_anchor(session: Session, *, team_id: int, rep: str, at: datetime, by: str,
                    now: datetime) -> CalibrationPair:
    """The pair's cadence now runs every two weeks from `at` ("this and following")."""
    row = pair(session, team_id=team_id, rep=rep) or CalibrationPair(
        team_id=team_id, rep_user_id=rep, updated_at=now)
    row.anchor_at, row.updated_by, row.updated_at = at, by, now
    session.add(row)
    session.flush()
    return row


def rows(session: Session, *, team_id: int, start: datetime, end: datetime,
         rep: str | None = None) -> list[Calibration]:
    """The team's stored calibrations happening from start to end (UTC), by time."""
    query = select(Calibration).where(Calibration.team_id == team_id,
                                      Calibration.scheduled_at >= start,
                                      Calibration.scheduled_at <= end)
    if rep is not None:
        query = query.where(Calibration.rep_user_id == rep)
    return list(session.exec(query.order_by(Calibration.scheduled_at, Calibration.id)).all())


def get(session: Session, *, calibration_id: int) -> Calibration | None:
    return session.get(Calibration, calibration_id)


def find(session: Session, *, team_id: int, rep: str, slot: str) -> Calibration | None:
    return session.exec(select(Calibration).where(
        Calibration.team_id == team_id, Calibration.rep_user_id == rep,
        Calibration.slot == slot)).first()


def ensure(session: Session, *, workspace_id: str, team_id: int, rep: str, manager: str,
           slot: str, scheduled_at: datetime, set_at: datetime, now: datetime) -> Calibration:
    """The stored calibration for (team, rep, slot), made now if there is none yet."""
    found = find(session, team_id=team_id, rep=rep, slot=slot)
    if found is not None:
        return found
    row = Calibration(workspace_id=workspace_id, team_id=team_id, rep_user_id=rep,
                      manager_user_id=manager, slot=slot, scheduled_at=scheduled_at,
                      set_at=set_at, created_at=now, updated_at=now)
    try:
        with session.begin_nested():  # a double click may store the same slot meanwhile
            session.add(row)
        return row
    except IntegrityError:
        found = find(session, team_id=team_id, rep=rep, slot=slot)
        if found is None:
            raise
        return found


def save_answers(session: Session, *, row: Calibration, answers: Answers,
                 now: datetime) -> bool:
    """Store the rep's answers; True the first time they answer for this calibration."""
    first = row.answered_at is None
    for name in Answers.FIELDS:
        setattr(row, name, getattr(answers, name))
    row.answered_at = now
    row.updated_at = now
    session.add(row)
    session.flush()
    return first


def record_minutes(session: Session, *, row: Calibration, minutes: Minutes, by: str,
                   now: datetime) -> bool:
    """The manager's minutes: the calibration is held. True the first time (not an edit)."""
    first = row.recorded_at is None
    row.notes, row.controllable, row.uncontrollable = (
        minutes.notes, minutes.controllable, minutes.uncontrollable)
    row.status, row.recorded_by, row.recorded_at, row.updated_at = HELD, by, now, now
    row.skip_reason = ""
    session.add(row)
    session.flush()
    return first


def move(session: Session, *, row: Calibration, at: datetime, by: str, now: datetime) -> None:
    row.scheduled_at, row.moved_by, row.set_at, row.updated_at = at, by, now, now
    if row.status == SKIPPED:
        row.status, row.skip_reason = SCHEDULED, ""
    session.add(row)
    session.flush()


def skip(session: Session, *, row: Calibration, reason: str, by: str, now: datetime) -> None:
    row.status, row.skip_reason, row.moved_by, row.updated_at = SKIPPED, reason, by, now
    session.add(row)
    session.flush()


def cancel_after(session: Session, *, team_id: int, rep: str, after: datetime,
                 keep: int, now: datetime) -> None:
    """A new cadence for the pair: its other stored, not yet held calibrations from `after`
    on belong to the old one and are cancelled (their history stays)."""
    for row in session.exec(select(Calibration).where(
            Calibration.team_id == team_id, Calibration.rep_user_id == rep,
            Calibration.scheduled_at >= after, Calibration.id != keep,
            col(Calibration.status).in_((SCHEDULED, SKIPPED)),
            col(Calibration.slot).not_like("adhoc:%"))).all():
        row.status, row.updated_at = CANCELLED, now
        session.add(row)
    session.flush()


def last_held(session: Session, *, team_id: int, rep: str,
              before: datetime) -> Calibration | None:
    return session.exec(
        select(Calibration).where(Calibration.team_id == team_id,
                                  Calibration.rep_user_id == rep,
                                  Calibration.status == HELD,
                                  Calibration.scheduled_at < before)
        .order_by(col(Calibration.scheduled_at).desc())).first()


def between(session: Session, *, team_ids: list[int], start: datetime,
            end: datetime) -> list[tuple[Calibration, list[ActionItem]]]:
    """Every stored calibration of these teams from start to end, with its action items
    (for the CSV export)."""
    found = list(session.exec(
        select(Calibration).where(col(Calibration.team_id).in_(team_ids),
                                  Calibration.scheduled_at >= start,
                                  Calibration.scheduled_at <= end,
                                  Calibration.status != CANCELLED)
        .order_by(Calibration.scheduled_at, Calibration.id)).all())
    items: dict[int, list[ActionItem]] = {}
    if found:
        for item in session.exec(select(ActionItem).where(
                col(ActionItem.calibration_id).in_([c.id for c in found]))
                .order_by(ActionItem.position)).all():
            items.setdefault(item.calibration_id, []).append(item)
    return [(c, items.get(c.id, [])) for c in found]


def attach(session: Session, *, row: Calibration) -> Calibration:
    """A row read in an earlier session, attached to this one (its changes are saved here)."""
    return session.merge(row)
