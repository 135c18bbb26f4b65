"""Acting on someone else's data, the way every command asks: the one policy decides
(bot/permissions.py), and a refusal is written to the audit log."""

from __future__ import annotations

from typing import NoReturn

from sqlmodel import Session

from bot.deps import Deps, Who
from bot.errors import Refused
from bot.i18n import Raw, format_period, t
from bot.permissions import Actor, Decision, decide
from bot.render.blocks import notice_blocks
from bot.scoring.facts import Period
from store import alerts, audit, teams
from store.models import Team


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


def no_card(session: Session, who: Who, team: Team, subject: str, period: Period, *,
            command: str) -> dict:
    """The private reply when `subject` has no card (`command`: /scorecard or /target) in
    `period`. A manager of the team is not scored: they get a rep's card as an example (this
    said "joined the team after it" to a manager asking for their own, which was false);
    anyone else joined after the period."""
    label = format_period(period.label, who.lang)
    manages = teams.actor(session, workspace_id=who.workspace_id, user_id=subject).manages
    if team.id not in manages:
        return notice_blocks(t(who.lang, "score.not_yet", user=Raw(f"<@{subject}>"),
                               period=label))
    # Every team they manage, and a rep from the first that has one: the first team alone
    # could be an emptied one ("manages Demo Sales" and no rep to show, in a month played).
    managed = [found for found in teams.all_teams(session, workspace_id=who.workspace_id)
               if found.id in manages]
    reps = next((sorted(joined) for found in managed
                 if (joined := alerts.joined(session, team_id=found.id))), [])
    return notice_blocks(t(
        who.lang, "score.manager_no_card", user=Raw(f"<@{subject}>"),
        team=", ".join(found.name for found in managed),
        command=command, rep=Raw(f"<@{reps[0]}>") if reps else None,
        typed="week" if period.kind == "week" else period.label))


def refuse(deps: Deps, who: Who, action: str, target: str, reason: str) -> NoReturn:
    """Refuse, politely and privately (bot/app.py answers the Refused): audited as `action`
    in a session of its own, since the caller's rolls back as the refusal propagates."""
    with deps.sessions() as session:
        audit.record(session, workspace_id=who.workspace_id, actor_user_id=who.user_id,
                     action=action, target=target, outcome="denied", now=deps.clock.now(),
                     detail=reason)
    raise Refused(reason)


def require(session: Session, deps: Deps, who: Who, permission: str, *, owner: str,
            action: str) -> None:
    """The policy's `permission` on `owner`'s data, or an audited refusal (as `action`)."""
    actor = teams.actor(session, workspace_id=who.workspace_id, user_id=who.user_id)
    owner_teams = teams.teams_of(session, workspace_id=who.workspace_id, user_id=owner)
    decision = decide(actor, permission, owner=owner, target_teams=owner_teams)
    if not decision.allowed:
        refuse(deps, who, action, owner, decision.reason)


def require_manager(session: Session, deps: Deps, who: Who, rep: str, action: str) -> None:
    """The rep's managers and the admins, never the rep: a calibration's minutes, skips and
    ad hoc starts."""
    if who.user_id == rep:
        refuse(deps, who, action, rep, "calx.manager_only")
    require(session, deps, who, "member.rate", owner=rep, action=action)


def require_party(session: Session, deps: Deps, who: Who, rep: str, manager: str,
                  action: str) -> None:
    """The rep and their manager in a calibration, and whoever may edit the rep's data."""
    if who.user_id not in (rep, manager):
        require(session, deps, who, "member.edit", owner=rep, action=action)
