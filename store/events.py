"""Events API deliveries seen, so each is handled once across retries, processes, restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store.models import SeenEvent

KEEP = timedelta(days=1)  # Slack retries a delivery three times within minutes, then stops


def first_delivery(session: Session, *, event_id: str, workspace_id: str, kind: str,
                   now: datetime) -> bool:
    """True the first time `event_id` is seen, False for every later delivery of it.

    Call it in the session that does the event's work: the mark commits with that work, so
    a listener that fails leaves the event unseen and Slack's retry is handled. Two
    deliveries at once in two processes meet at the primary key: the second waits for the
    first to commit, then finds it seen.
    """
    session.execute(delete(SeenEvent).where(SeenEvent.seen_at < now - KEEP))
    try:
        with session.begin_nested():  # a duplicate must not spoil the outer session
            session.add(SeenEvent(event_id=event_id[:64], workspace_id=workspace_id,
                                  type=kind[:64], seen_at=now))
    except IntegrityError:
        return False
    return True
