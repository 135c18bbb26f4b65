"""Slack's own status as an away day (`/pacer team away-status East on`): when a reminder
falls due for a rep of such a team, users.profile.get says whether their status is
:palm_tree: or :airplane:, or its text says they are on leave ("on leave", 休假, 请假). If so
that day's reminder is not sent, and the ledger records why (given up, so it is read once per
reminder, not every minute of the catch-up window).

Asked only when the reminder would otherwise go out (not answered, not final, within the
catch-up window): one Tier 4 call per rep and reminder. A status Slack will not give (no
`users.profile:read` scope, an error) counts as not away: the reminder goes out.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.jobs.outbox import CATCH_UP, OWNER, Due, RunResult
from store import deliveries

log = logging.getLogger(__name__)

AWAY_EMOJI = frozenset({":palm_tree:", ":airplane:"})
AWAY_WORDS = ("on leave", "休假", "请假")


def says_away(emoji: str, text: str) -> bool:
    """Whether a Slack status (emoji, text) says its person is away."""
    return emoji.strip() in AWAY_EMOJI or any(word in text.casefold() for word in AWAY_WORDS)


def status_away(deps: Deps, client: WebClient, due: Due, *, now: datetime, answered: bool,
                result: RunResult) -> bool:
    """True when `due` is not to be sent because the rep's Slack status says they are away
    (recorded in the ledger, counted as skipped)."""
    if answered or due.key in deps.final_keys() or now - due.due_at > CATCH_UP:
        return False  # the outbox decides these as usual; no need to ask Slack
    try:
        profile = client.users_profile_get(user=due.user_id)["profile"]
    except SlackApiError as exc:
        log.warning("users.profile.get for %s failed (%s): reminding as usual", due.user_id,
                    exc.response.get("error", "error"))
        return False
    emoji, text = profile.get("status_emoji") or "", profile.get("status_text") or ""
    if not says_away(emoji, text):
        return False
    with deps.sessions() as session:
        deliveries.give_up(session, **due.ledger(), now=now, owner=OWNER,
                           final_seen=deps.final_keys(),
                           reason=f"away: Slack status {emoji} {text}".strip())
    result.skipped += 1
    result.lines.append(f"skipped {due.user_id} ({due.team.name}, {due.period}): away by "
                        f"Slack status")
    return True
