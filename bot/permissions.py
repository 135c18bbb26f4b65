"""Who may do what: the one place that decides. Pure: plain data in, a decision out.

The actor (role, teams managed, teams on) is plain data that store/teams.py reads and owns,
so the store needs nothing from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.teams import Actor


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # catalogue key of the polite refusal, e.g. "perm.need_manager"


ALLOW = Decision(True)


def decide(actor: Actor, action: str, *, team_id: int | None = None,
           target_teams: frozenset[int] = frozenset(), owner: str | None = None) -> Decision:
    """Whether `actor` may do `action`.

    team.create            admins and managers
    team.edit              admins, and managers of that team (team_id)
    team.list              everyone
    member.edit            oneself; admins; managers of a team the member is on (target_teams)
    member.view            the same as member.edit (someone else's check-ins, briefs, logs)
    member.rate            admins; managers of a team the member is on (never oneself):
                           targets, satisfaction and compliance ratings
    lead.edit              the lead's owner, managers of its team, admins
    action.edit            an action item's owner (owner; call again with the rep it is
                           about), managers of its team (team_id), admins
    review.manage          admins, and managers of the review's team (team_id): rate a
                           review, set and check an improvement plan
    admin.only             admins (roles, workspace settings)
    """
    if actor.is_admin or action == "team.list":
        return ALLOW
    if action == "team.create":
        return ALLOW if actor.role == "manager" or actor.manages else Decision(
            False, "perm.need_manager")
    if action == "team.edit":
        if team_id is not None and team_id in actor.manages:
            return ALLOW
        return Decision(False, "perm.not_your_team" if actor.manages else "perm.need_manager")
    if action in ("member.edit", "member.view"):
        if owner == actor.user_id or actor.manages & target_teams:
            return ALLOW
        return Decision(False, "perm.not_your_rep" if actor.manages else "perm.need_manager")
    if action == "member.rate":
        if owner != actor.user_id and actor.manages & target_teams:
            return ALLOW
        return Decision(False, "perm.not_your_rep" if actor.manages else "perm.need_manager")
    if action == "lead.edit":
        if owner in (None, actor.user_id) or (team_id is not None and team_id in actor.manages):
            return ALLOW
        return Decision(False, "perm.not_owner")
    if action == "action.edit":
        if owner == actor.user_id or (team_id is not None and team_id in actor.manages):
            return ALLOW
        return Decision(False, "perm.not_your_action")
    if action == "review.manage":
        if team_id is not None and team_id in actor.manages:
            return ALLOW
        return Decision(False, "perm.not_your_rep" if actor.manages else "perm.need_manager")
    if action == "admin.only":
        return Decision(False, "perm.need_admin")
    raise ValueError(f"unknown action {action!r}")
