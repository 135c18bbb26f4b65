"""Installing Pacer into any workspace: Bolt's OAuth flow (GET /slack/install, GET
/slack/oauth_redirect) over slack_sdk's SQLAlchemy stores in Pacer's database."""

from __future__ import annotations

import logging

from slack_bolt import BoltResponse
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.deps import Deps
from store import admins, audit, workspaces

log = logging.getLogger(__name__)

# What the bot asks for at install: manifest.yaml's oauth_config.scopes.bot (a test compares).
BOT_SCOPES = ("commands", "chat:write", "users:read", "im:write", "files:write",
              "im:history", "channels:history", "groups:history", "users.profile:read")
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def oauth_settings(deps: Deps) -> OAuthSettings:
    settings = deps.settings
    assert deps.installations is not None and deps.oauth_states is not None

    def installed(args: SuccessArgs) -> BoltResponse:
        """The tokens are saved: the workspace is active (again) and its install audited."""
        done = args.installation
        if done.team_id:
            with deps.sessions() as session:
                now = deps.clock.now()
                workspaces.installed(session, workspace_id=done.team_id, name=done.team_name,
                                     now=now)
                audit.record(session, workspace_id=done.team_id, actor_user_id=done.user_id,
                             action="workspace.install", outcome="done", now=now,
                             target=done.team_name or done.team_id,
                             detail=",".join(done.bot_scopes or ()))
                if done.user_id:  # whoever installed Pacer is one of its admins (SPEC §5b)
                    admins.grant(session, workspace_id=done.team_id, user_id=done.user_id,
                                 source=admins.INSTALLER, by=done.user_id, now=now)
            log.info("installed in workspace %s (%s)", done.team_id, done.team_name)
        return args.default.success(args)

    def failed(args: FailureArgs) -> BoltResponse:
        log.warning("an install failed: %s", args.reason)
        return args.default.failure(args)

    return OAuthSettings(
        client_id=settings.client_id, client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES), user_scopes=[],
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH,
        installation_store=deps.installations, installation_store_bot_only=True,
        state_store=deps.oauth_states,
        callback_options=CallbackOptions(success=installed, failure=failed),
    )
