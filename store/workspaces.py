"""Whether Pacer is installed in a workspace: scheduled jobs serve only the active ones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from store.models import Workspace
from store.teams import ensure_workspace


def _aware(at: datetime | None) -> datetime | None:
    """SQLite hands stored UTC times back without their offset."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def installed(session: Session, *, workspace_id: str, name: str | None,
              now: datetime) -> Workspace:
    """Installed (again) through OAuth: active from now on, its old data still there."""
    workspace = ensure_workspace(session, workspace_id=workspace_id, now=now)
    workspace.installed_at, workspace.uninstalled_at = now, None
    if name:
        workspace.name = name[:200]
    session.add(workspace)
    return workspace


def installed_after(session: Session, *, workspace_id: str, at: datetime) -> bool:
    """Was the workspace installed after `at`? Then an uninstall event from `at` is old news
    (Slack retried it after the workspace installed Pacer again) and must change nothing."""
    workspace = session.get(Workspace, workspace_id)
    installed_at = _aware(workspace.installed_at) if workspace else None
    return installed_at is not None and installed_at > at


def uninstalled(session: Session, *, workspace_id: str, at: datetime) -> Workspace:
    """Pacer was uninstalled (or its bot token revoked): its data stays, jobs skip it."""
    workspace = ensure_workspace(session, workspace_id=workspace_id, now=at)
    workspace.uninstalled_at = at
    session.add(workspace)
    return workspace


def uninstalled_ids(session: Session) -> set[str]:
    return set(session.exec(select(Workspace.id).where(Workspace.uninstalled_at.is_not(None))))


def ids(session: Session) -> list[str]:
    return list(session.exec(select(Workspace.id).order_by(Workspace.id)))


def get_workspace(session: Session, *, workspace_id: str) -> Workspace | None:
    return session.get(Workspace, workspace_id)
