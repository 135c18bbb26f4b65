"""What handlers and jobs need, passed in so tests build the real app with fakes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date

from slack_sdk import WebClient
from slack_sdk.oauth.state_store import OAuthStateStore
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.slack.users import Profile, UserDirectory
from store import db, workspaces
from store.installations import SealedInstallationStore, state_store

FINAL_KEYS_MAX = 2_000_000  # a large install's recent keys (2,000 teams: see README); then re-read


class NotInstalled(LookupError):
    """No bot token is stored for a workspace (OAuth mode): Pacer is not installed there."""


class NotServed(LookupError):
    """A request from a workspace this Pacer does not serve (one bot token: not its own)."""


@dataclass(frozen=True)
class Home:
    """Where one bot token belongs (auth.test): a workspace, or with an org-wide install
    every workspace of an Enterprise Grid org."""

    team_id: str | None
    enterprise_id: str | None = None
    org_wide: bool = False

    def serves(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from `team_id` (in `enterprise_id`) is this token's to serve."""
        if not team_id or (enterprise_id or None) != (self.enterprise_id or None):
            return False
        return self.org_wide or team_id == self.team_id


@dataclass(frozen=True)
class Who:
    """The person behind a request: their workspace, id, zone and language."""

    workspace_id: str
    user_id: str
    profile: Profile

    @property
    def lang(self) -> str:
        return self.profile.lang

    def today(self, clock: Clock) -> date:
        return clock.now().astimezone(self.profile.tz).date()


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: Callable[[], AbstractContextManager[Session]]
    users: UserDirectory
    # With OAuth (SLACK_CLIENT_ID): every workspace's bot token, and the install states.
    installations: SealedInstallationStore | None = None
    oauth_states: OAuthStateStore | None = None
    # A CLI run for one workspace (--workspace): jobs and their team names look only there.
    only_workspace: str | None = None
    _workspaces: dict[str, str] = field(default_factory=dict)
    _home: Home | None = None
    _clients: dict[str, WebClient] = field(default_factory=dict)
    _final_keys: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None,
              engine: Engine | None = None) -> Deps:
        clock = clock or SystemClock()
        engine = engine or db.make_engine(settings.database_url)
        sessions = db.session_factory(engine)
        installations = oauth_states = None
        if settings.oauth:
            installations = SealedInstallationStore(client_id=settings.client_id,
                                                    engine=engine, keys=settings.token_keys())
            oauth_states = state_store(engine)
        return cls(settings=settings, clock=clock, engine=engine, sessions=sessions,
                   users=UserDirectory(sessions, clock), installations=installations,
                   oauth_states=oauth_states)

    def final_keys(self) -> set[str]:
        """Delivery keys this process saw sent or given up: final for good, so the jobs'
        every-minute ticks skip them without a database read. Emptied when it grows large
        (forgetting only costs a read)."""
        with self._lock:
            if len(self._final_keys) > FINAL_KEYS_MAX:
                self._final_keys.clear()
            return self._final_keys

    def client_for(self, workspace_id: str) -> WebClient:
        """The Web API client for one workspace's bot (jobs post to many workspaces' teams):
        with OAuth, the bot token installed there (looked up each time: a re-install or a
        revocation changes it); with one bot token, that one for every workspace."""
        from bot.slack.client import web_client

        if self.installations is not None:
            bot = self.installations.bot_for(workspace_id)
            if bot is None:
                raise NotInstalled(f"Pacer is not installed in workspace {workspace_id}")
            return web_client(self.settings, token=bot.bot_token)
        with self._lock:
            client = self._clients.get(workspace_id)
            if client is None:
                client = self._clients[workspace_id] = web_client(self.settings)
        return client

    def serves(self, workspace_id: str) -> bool:
        """Whether scheduled jobs post to a workspace: not uninstalled, and (with OAuth) a bot
        token is stored for it."""
        with self.sessions() as session:
            if workspaces.is_uninstalled(session, workspace_id=workspace_id):
                return False
        return self.installations is None or self.installations.bot_for(workspace_id) is not None

    def home(self) -> Home:
        """The bot token's own workspace (one SLACK_BOT_TOKEN), asked of Slack once."""
        if self._home is None:
            from bot.slack.client import web_client

            found = web_client(self.settings).auth_test()
            home = Home(team_id=found.get("team_id") or None,
                        enterprise_id=found.get("enterprise_id") or None,
                        org_wide=bool(found.get("is_enterprise_install")))
            with self._lock:
                self._home = home
        return self._home

    def serves_request(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from this workspace may be served. With OAuth, Bolt's
        authorization has already found the workspace's own installation (or refused)."""
        return self.installations is not None or self.home().serves(team_id, enterprise_id)

    def who(self, client: WebClient, body: dict) -> Who:
        """Who sent a command, action or view submission (payload shapes differ)."""
        team_id = body.get("team_id") or (body.get("team") or {}).get("id") or (
            body.get("user") or {}).get("team_id")
        user_id = body.get("user_id") or (body.get("user") or {}).get("id")
        workspace_id = self.workspace_id(team_id)
        return Who(workspace_id, user_id, self.users.profile(client, workspace_id, user_id))

    def workspace_id(self, request_team_id: str | None) -> str:
        """The workspace a request belongs to: its own team. With one bot token that is the
        token's workspace (or, org-wide, one of its org's), and any other is NotServed: the
        middleware in bot/app.py answers those before a listener runs."""
        key = request_team_id or ""
        with self._lock:
            if key in self._workspaces:
                return self._workspaces[key]
        resolved = request_team_id
        if self.installations is None:
            home = self.home()
            if request_team_id and not home.org_wide and request_team_id != home.team_id:
                raise NotServed(f"workspace {request_team_id} is not this bot token's")
            resolved = request_team_id if home.org_wide else home.team_id
        if not resolved:
            raise NotServed("a request that names no workspace")
        with self.sessions() as session:
            workspaces.ensure_workspace(session, workspace_id=resolved, now=self.clock.now())
        with self._lock:
            self._workspaces[key] = resolved
        return resolved
