"""One row per rep and day (or week) of a form's answers: check-ins and Friday briefs."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

Row = TypeVar("Row", bound=SQLModel)


def upsert(session: Session, model: type[Row], *, key: dict[str, object],
           team_id: int | None, values: dict[str, object], blank: dict[str, object],
           now: datetime, replace: bool) -> tuple[Row, bool]:
    """Save the answers under `key`; a second save edits the first. Returns (row, created).

    replace=True (a whole form was sent) overwrites every field, `blank` for those not given;
    replace=False (inline text naming some fields) changes only the fields given.
    """
    def find() -> Row | None:
        return session.exec(select(model).filter_by(**key)).first()

    row = find()
    if row is None:
        row = model(**key, team_id=team_id, created_at=now, updated_at=now,
                    **{**blank, **values})
        try:
            with session.begin_nested():  # a double submit may win the unique key meanwhile
                session.add(row)
            return row, True
        except IntegrityError:
            row = find()
            if row is None:
                raise
    for name, value in ({**blank, **values} if replace else values).items():
        setattr(row, name, value)
    if team_id is not None:
        row.team_id = team_id  # type: ignore[attr-defined]
    row.updated_at = now  # type: ignore[attr-defined]
    session.add(row)
    session.flush()
    return row, False
