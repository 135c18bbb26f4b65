"""Each person's delivery preferences: quiet hours, a daily digest, the Friday brief request.

A person without a row has today's defaults (Prefs()): nothing held, nothing collected.
Times are kept as "HH:MM" in the person's own zone (read wherever their zone is known).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel import Session, select

from store.models import MemberPrefs


@dataclass(frozen=True)
class Prefs:
    quiet_start: time | None = None
    quiet_end: time | None = None
    digest_at: time | None = None
    brief_off: bool = False

    @property
    def quiet(self) -> bool:
        return self.quiet_start is not None and self.quiet_end is not None


def _time(text: str | None) -> time | None:
    try:
        return time.fromisoformat(text) if text else None
    except ValueError:  # a value that no longer parses must not stop the jobs
        return None


def _hhmm(at: time | None) -> str | None:
    return at.strftime("%H:%M") if at is not None else None


def _prefs(row: MemberPrefs | None) -> Prefs:
    if row is None:
        return Prefs()
    return Prefs(_time(row.quiet_start), _time(row.quiet_end), _time(row.digest_at),
                 row.brief_off)


def _row(session: Session, workspace_id: str, user_id: str) -> MemberPrefs | None:
    return session.exec(select(MemberPrefs).where(MemberPrefs.workspace_id == workspace_id,
                                                  MemberPrefs.user_id == user_id)).first()


def get(session: Session, *, workspace_id: str, user_id: str) -> Prefs:
    return _prefs(_row(session, workspace_id, user_id))


def _update(session: Session, workspace_id: str, user_id: str, now: datetime,
            **values: object) -> Prefs:
    row = _row(session, workspace_id, user_id) or MemberPrefs(
        workspace_id=workspace_id, user_id=user_id, updated_at=now)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = now
    session.add(row)
    session.flush()
    return _prefs(row)


def set_quiet(session: Session, *, workspace_id: str, user_id: str, start: time | None,
              end: time | None, now: datetime) -> Prefs:
    """Quiet hours from `start` to `end` (local), or none when both are None."""
    return _update(session, workspace_id, user_id, now, quiet_start=_hhmm(start),
                   quiet_end=_hhmm(end))


def set_digest(session: Session, *, workspace_id: str, user_id: str, at: time | None,
               now: datetime) -> Prefs:
    """A daily digest at `at` (local), or each message on its own when None."""
    return _update(session, workspace_id, user_id, now, digest_at=_hhmm(at))


def set_brief(session: Session, *, workspace_id: str, user_id: str, off: bool,
              now: datetime) -> Prefs:
    return _update(session, workspace_id, user_id, now, brief_off=off)


def with_digest(session: Session, *, workspace_id: str) -> dict[str, time]:
    """Everyone in the workspace who chose a digest, and its time (one query)."""
    rows = session.exec(select(MemberPrefs.user_id, MemberPrefs.digest_at).where(
        MemberPrefs.workspace_id == workspace_id, MemberPrefs.digest_at.is_not(None))).all()
    return {user: at for user, text in rows if (at := _time(text)) is not None}


def brief_off(session: Session, *, workspace_id: str) -> set[str]:
    """Who asked for no Friday brief request (one query)."""
    return set(session.exec(select(MemberPrefs.user_id).where(
        MemberPrefs.workspace_id == workspace_id, MemberPrefs.brief_off.is_(True))).all())
