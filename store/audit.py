"""The audit log: every refusal and every change to someone else's data."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from store.models import AuditEntry


def record(session: Session, *, workspace_id: str, actor_user_id: str, action: str,
           outcome: str, now: datetime, target: str = "", detail: str = "") -> AuditEntry:
    entry = AuditEntry(workspace_id=workspace_id, actor_user_id=actor_user_id, action=action,
                       target=target[:200], outcome=outcome, detail=detail[:2000], at=now)
    session.add(entry)
    session.flush()
    return entry


def recent(session: Session, *, workspace_id: str, limit: int = 50) -> list[AuditEntry]:
    return list(session.exec(
        select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all())
