"""Workspaces (a Slack team each): known once a request or the CLI names one, and whether Pacer
is installed there; scheduled jobs serve only the active ones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import Workspace


def _aware(at: datetime | None) -> datetime | None:
    """SQLite hands stored UTC times back without their offset."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def ensure_workspace(session: Session, *, workspace_id: str, now: datetime) -> Workspace:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        workspace = Workspace(id=workspace_id, created_at=now)
        try:
            with session.begin_nested():  # two first requests of a workspace at once
                session.add(workspace)
        except IntegrityError:
            workspace = session.get(Workspace, workspace_id)
    return workspace


def known(session: Session, *, workspace_id: str) -> bool:
    return session.get(Workspace, workspace_id) is not None


def is_uninstalled(session: Session, *, workspace_id: str) -> bool:
    """Uninstalled (or its token revoked) and not installed again: jobs skip it."""
    workspace = session.get(Workspace, workspace_id)
    return workspace is not None and workspace.uninstalled_at is not None


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
