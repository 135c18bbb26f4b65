"""Each person's time zone and language, from Slack's users.info, cached in memory and the DB."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from sqlmodel import Session

from bot.clock import Clock
from bot.i18n import lang_for
from store import admins, rosters, teams
from store.privacy import is_pseudonym

log = logging.getLogger(__name__)
PROFILE_TTL = timedelta(hours=24)
RETRY_AFTER_FAILURE = timedelta(minutes=5)
# Before an ack, per socket operation (connecting, then each read of the answer): at worst
# about twice this, well within Slack's 3 seconds with the rest of the request.
QUICK_TIMEOUT = 1.0  # seconds


class _RetryRefusedOnly(ConnectionErrorRetryHandler):
    """Before the ack: one retry when the connection failed at once (refused, reset), none
    after a timeout. slack_sdk's handler retried a connect timeout (a URLError): with the
    rest of the request that passed Slack's 3 seconds under load, and Bolt answered 404."""

    def _can_retry(self, *, error: Exception | None = None, **kwargs: object) -> bool:
        reason = getattr(error, "reason", None)  # urllib wraps a connect timeout in URLError
        if isinstance(error, TimeoutError) or isinstance(reason, TimeoutError):
            return False
        return super()._can_retry(error=error, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Profile:
    tz: ZoneInfo
    locale: str | None

    @property
    def lang(self) -> str:
        return lang_for(self.locale)


@dataclass(frozen=True)
class SlackUser:
    """What users.info says of a person that Pacer keeps."""

    tz: str | None
    locale: str | None
    slack_admin: bool  # a workspace owner or admin: a Pacer admin (store/admins.py)


SLACK_ADMIN_FLAGS = ("is_admin", "is_owner", "is_primary_owner")


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


class UserDirectory:
    def __init__(self, sessions: Callable[[], AbstractContextManager[Session]],
                 clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[Profile, datetime]] = {}
        self._lock = threading.Lock()
        self._stand_ins: set[tuple[str, str]] = set()  # users.info timed out before an ack

    def forget(self, workspace_id: str, user_id: str) -> None:
        """Drop the cached profile (after a time zone or language is set in Pacer)."""
        with self._lock:
            self._cache.pop((workspace_id, user_id), None)

    def cached(self, workspace_id: str, user_id: str) -> Profile | None:
        with self._lock:
            hit = self._cache.get((workspace_id, user_id))
        return hit[0] if hit else None

    def preload(self, workspace_id: str, user_ids: Iterable[str]) -> int:
        """Remember the stored profiles of many people at once (a few reads, see
        store/rosters.py), as `profile` would after reading each from the database: a
        scheduler tick after a restart asks for every rep's profile, and one read per person
        took minutes at 2,000 teams. Only profiles Slack was asked about within PROFILE_TTL
        are taken; the unknown and the stale are left to `profile`, which asks Slack.
        Returns how many were remembered."""
        now = self._clock.now()
        with self._lock:
            wanted = [u for u in dict.fromkeys(user_ids) if not is_pseudonym(u) and not (
                (hit := self._cache.get((workspace_id, u))) and hit[1] > now)]
        if not wanted:
            return 0
        with self._sessions() as session:
            stored = rosters.stored_profiles(session, workspace_id=workspace_id,
                                             user_ids=wanted)
        fresh = {}
        for user_id, found in stored.items():
            checked = found.checked_at
            if checked is not None and checked.tzinfo is None:
                checked = checked.replace(tzinfo=now.tzinfo)  # SQLite drops the offset
            if checked is None or now - checked > PROFILE_TTL:
                continue
            fresh[(workspace_id, user_id)] = (
                Profile(tz=zone(found.tz_override or found.tz, found.team_tz),
                        locale=found.locale_override or found.locale), now + PROFILE_TTL)
        with self._lock:
            self._cache.update(fresh)
        return len(fresh)

    def settle(self, client: WebClient, workspace_id: str, user_id: str) -> None:
        """After the ack: if users.info timed out before it (and what was known stood in),
        ask Slack again with a usual timeout, so the person's next request has their real
        zone and language. (Rate-limited, Slack is asked again after RETRY_AFTER_FAILURE.)"""
        with self._lock:
            if (workspace_id, user_id) not in self._stand_ins:
                return
            self._stand_ins.discard((workspace_id, user_id))
            self._cache.pop((workspace_id, user_id), None)
        self.profile(client, workspace_id, user_id, quick=False)

    def profile(self, client: WebClient, workspace_id: str, user_id: str, *,
                quick: bool = True) -> Profile:
        """Fresh from memory, else the DB, else users.info (then remembered for a day).
        `quick` (before an ack): one short try at users.info (see _fetch)."""
        if is_pseudonym(user_id):
            return Profile(tz=zone(None), locale=None)  # forgotten: nobody to ask Slack about
        now = self._clock.now()
        with self._lock:
            hit = self._cache.get((workspace_id, user_id))
        if hit and hit[1] > now:
            return hit[0]
        with self._sessions() as session:
            member = teams.ensure_member(session, workspace_id=workspace_id, user_id=user_id,
                                         now=now)
            stored_tz, stored_locale = member.tz, member.locale
            override_tz, override_locale = member.tz_override, member.locale_override
            checked = member.profile_checked_at
            team = teams.team_for_user(session, workspace_id=workspace_id, user_id=user_id)
            team_tz = team.tz if team else "UTC"
        if checked is not None and checked.tzinfo is None:
            checked = checked.replace(tzinfo=now.tzinfo)  # SQLite drops the offset
        ttl = PROFILE_TTL
        if checked is None or now - checked > PROFILE_TTL:
            fetched = self._fetch(client, user_id, quick=quick)
            if isinstance(fetched, TimeoutError):
                with self._lock:  # the follow-up after the ack may ask again (`settle`)
                    self._stand_ins.add((workspace_id, user_id))
                fetched = None
            if fetched is None:
                ttl = RETRY_AFTER_FAILURE  # stand in with what we know, ask Slack again soon
            else:
                stored_tz, stored_locale = fetched.tz, fetched.locale
                with self._sessions() as session:
                    teams.remember_slack_profile(session, workspace_id=workspace_id,
                                                 user_id=user_id, tz=stored_tz,
                                                 locale=stored_locale, now=now)
                    # Slack's owners and admins are Pacer's (SPEC §5b), in step with Slack.
                    admins.follow_slack(session, workspace_id=workspace_id, user_id=user_id,
                                        slack_admin=fetched.slack_admin, now=now)
        profile = Profile(tz=zone(override_tz or stored_tz, team_tz),
                          locale=override_locale or stored_locale)
        with self._lock:
            self._cache[(workspace_id, user_id)] = (profile, now + ttl)
        return profile

    @staticmethod
    def _fetch(client: WebClient, user_id: str, *, quick: bool = True
               ) -> SlackUser | TimeoutError | None:
        """None when Slack refused or failed; the TimeoutError when it did not answer in time.
        Never waits out a Retry-After: `quick` runs before an ack, and the other (`settle`)
        on a follow-up thread that other people's confirmations wait for."""
        # Before the ack: a slow users.info must not hold the reply past Slack's 3 seconds,
        # so one short try and no retry after a timeout (a refused connection is tried once
        # more: that fails at once).
        retry = _RetryRefusedOnly(max_retry_count=1) if quick else ConnectionErrorRetryHandler()
        quick_client = WebClient(token=client.token, base_url=client.base_url,
                                 timeout=QUICK_TIMEOUT if quick else client.timeout,
                                 retry_handlers=[retry])
        try:
            user = quick_client.users_info(user=user_id, include_locale=True)["user"]
        except (SlackApiError, SlackClientError, KeyError, OSError) as exc:
            # Not fatal: the team's time zone stands in until Slack answers again.
            log.warning("users.info failed for %s: %s", user_id, exc)
            reason = getattr(exc, "reason", exc)  # urllib wraps a connect timeout
            return reason if isinstance(reason, TimeoutError) else None
        return SlackUser(tz=user.get("tz"), locale=user.get("locale"), slack_admin=bool(
            not user.get("deleted") and not user.get("is_bot") and any(
                user.get(flag) is True for flag in SLACK_ADMIN_FLAGS)))
