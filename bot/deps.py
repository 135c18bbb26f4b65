"""What handlers and jobs need, passed in so tests build the real app with fakes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.users import Profile, UserDirectory
from store import db, teams
from store.models import Workspace


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
    _workspaces: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, WebClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None,
              engine: Engine | None = None) -> Deps:
        clock = clock or SystemClock()
        engine = engine or db.make_engine(settings.database_url)
        sessions = db.session_factory(engine)
        return cls(settings=settings, clock=clock, engine=engine, sessions=sessions,
                   users=UserDirectory(sessions, clock))

    def client_for(self, workspace_id: str) -> WebClient:
        """The Web API client for one workspace's bot (jobs post to many workspaces' teams).
        With one bot token every workspace shares it."""
        from bot.slackapi import web_client

        with self._lock:
            client = self._clients.get(workspace_id)
            if client is None:
                client = self._clients[workspace_id] = web_client(self.settings)
        return client

    def who(self, client: WebClient, body: dict) -> Who:
        """Who sent a command, action or view submission (payload shapes differ)."""
        team_id = body.get("team_id") or (body.get("team") or {}).get("id") or (
            body.get("user") or {}).get("team_id")
        user_id = body.get("user_id") or (body.get("user") or {}).get("id")
        workspace_id = self.workspace_id(team_id)
        return Who(workspace_id, user_id, self.users.profile(client, workspace_id, user_id))

    def workspace_id(self, request_team_id: str | None) -> str:
        """The workspace a request belongs to.

        With one bot token (no OAuth) Pacer serves exactly one workspace, so a request is
        filed under the one already known even if Slack reports another team id (Enterprise
        Grid, shared channels, or a team created from the CLI before the first request).
        """
        key = request_team_id or ""
        with self._lock:
            if key in self._workspaces:
                return self._workspaces[key]
        with self.sessions() as session:
            if request_team_id and session.get(Workspace, request_team_id) is not None:
                resolved = request_team_id
            else:
                only = None if self.settings.client_id else teams.only_workspace_id(session)
                resolved = only or request_team_id or "T0LOCAL"
                teams.ensure_workspace(session, workspace_id=resolved, now=self.clock.now())
        with self._lock:
            self._workspaces[key] = resolved
        return resolved
