"""Who is a Pacer admin, how they became one, and every grant and revocation in the audit log.

SPEC §5b: the workspace's Slack owners and admins (users.info says so; kept in step each time
a person's Slack profile is read), the person who installed Pacer through OAuth, and whoever
an admin names (`/pacer role @x admin`) or the command line does (`pacer role U… admin`, for
a first admin without Slack admin rights). Nobody becomes admin by typing a command first;
admins made that way before this rule stay, marked `legacy` by migration 0014.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from store import audit
from store.models import Member, TeamMember
from store.teams import TeamError, ensure_member

SLACK, INSTALLER, NAMED, CLI, LEGACY = "slack", "installer", "named", "cli", "legacy"
SOURCES = (SLACK, INSTALLER, NAMED, CLI, LEGACY)
# The audit log's actor when no person acted: Slack's own roles, or the command line.
SLACK_ACTOR, CLI_ACTOR = "slack", "cli"


@dataclass(frozen=True)
class RoleLine:
    """One person with more than the rep role, for `pacer role list`."""

    user_id: str
    role: str
    source: str | None  # how an admin became one (SOURCES)
    by: str | None  # who made them one: a user id, "slack" or "cli"


def _member(session: Session, workspace_id: str, user_id: str) -> Member | None:
    return session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                             Member.user_id == user_id)).first()


def _role_without_admin(session: Session, member: Member) -> str:
    """What an admin goes back to: manager if they manage a team, else rep."""
    manages = session.exec(select(TeamMember.team_id).where(
        TeamMember.member_id == member.id, TeamMember.is_manager == True)).first()  # noqa: E712
    return "manager" if manages is not None else "rep"


def grant(session: Session, *, workspace_id: str, user_id: str, source: str, by: str,
          now: datetime) -> bool:
    """Make `user_id` an admin (`source` says how, `by` who did it) and audit it. False if
    they were one already (a Slack admin's source stays the strongest reason they have)."""
    member = ensure_member(session, workspace_id=workspace_id, user_id=user_id, now=now)
    if member.role == "admin":
        if source == SLACK and member.admin_source != SLACK:
            member.admin_source, member.admin_by = SLACK, SLACK_ACTOR  # now for Slack's reason
            session.add(member)
        return False
    member.role, member.admin_source, member.admin_by = "admin", source, by[:32]
    session.add(member)
    audit.record(session, workspace_id=workspace_id, actor_user_id=by, action="admin.grant",
                 outcome="done", now=now, target=user_id, detail=source)
    return True


def revoke(session: Session, *, workspace_id: str, user_id: str, by: str, now: datetime,
           role: str | None = None) -> bool:
    """Take the admin role from `user_id` (to `role`, else manager or rep as they manage a
    team or not) and audit it. A Slack owner or admin stays one: that is Slack's to change.
    False if they were no admin."""
    member = _member(session, workspace_id, user_id)
    if member is None or member.role != "admin":
        return False
    if member.admin_source == SLACK and by != SLACK_ACTOR:
        raise TeamError("slack_admin", user=user_id)
    member.role = role or _role_without_admin(session, member)
    source, member.admin_source, member.admin_by = member.admin_source, None, None
    session.add(member)
    audit.record(session, workspace_id=workspace_id, actor_user_id=by, action="admin.revoke",
                 outcome="done", now=now, target=user_id,
                 detail=f"was {source or 'admin'}; now {member.role}")
    return True


def follow_slack(session: Session, *, workspace_id: str, user_id: str, slack_admin: bool,
                 now: datetime) -> None:
    """What users.info just said of a person's Slack role: an owner or admin is a Pacer
    admin; one who no longer is loses the admin role Slack gave (not one given otherwise)."""
    if slack_admin:
        grant(session, workspace_id=workspace_id, user_id=user_id, source=SLACK,
              by=SLACK_ACTOR, now=now)
        return
    member = _member(session, workspace_id, user_id)
    if member is not None and member.role == "admin" and member.admin_source == SLACK:
        revoke(session, workspace_id=workspace_id, user_id=user_id, by=SLACK_ACTOR, now=now)


def has_admin(session: Session, *, workspace_id: str) -> bool:
    return session.exec(select(Member.id).where(Member.workspace_id == workspace_id,
                                                Member.role == "admin")).first() is not None


def roles(session: Session, *, workspace_id: str) -> list[RoleLine]:
    """Admins, then managers, each with how an admin became one."""
    rows = session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                             Member.role != "rep")
                        .order_by(Member.role, Member.user_id)).all()
    return [RoleLine(m.user_id, m.role, m.admin_source, m.admin_by) for m in rows]
