"""Seeing someone else's data, the way every command asks: the one policy decides
(bot/permissions.py, `member.view`), and a refusal is written to the audit log."""

from __future__ import annotations

from sqlmodel import Session

from bot.deps import Deps, Who
from bot.permissions import Actor, Decision, decide
from store import audit, teams


def may_view(session: Session, deps: Deps, who: Who, subject: str,
             action: str) -> tuple[Actor, frozenset[int], Decision]:
    """The viewer, the subject's teams, and whether the viewer may see the subject's data;
    a refusal is audited as `action`."""
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    subject_teams = teams.teams_of(session, workspace_id=who.workspace_id, user_id=subject)
    decision = decide(actor, "member.view", owner=subject, target_teams=subject_teams)
    if not decision.allowed:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action=action, target=subject, outcome="denied", now=deps.clock.now(),
                     detail=decision.reason)
    return actor, subject_teams, decision
