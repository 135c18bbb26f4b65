"""Settings read once from the environment; the only place that knows the variable names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///pacer.db"
DEFAULT_PORT = 3000


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    slack_api_url: str | None = None
    port: int = DEFAULT_PORT
    secret_key: str | None = None  # keys the anonymous peer-rating hashes

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        port_text = get("PORT") or str(DEFAULT_PORT)
        if not port_text.isdecimal() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a TCP port number, got {port_text!r}")
        api_url = get("SLACK_API_URL")
        if api_url and not api_url.endswith("/"):
            api_url += "/"  # slack_sdk joins base_url + method name
        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            bot_token=get("SLACK_BOT_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            app_token=get("SLACK_APP_TOKEN"),
            client_id=get("SLACK_CLIENT_ID"),
            client_secret=get("SLACK_CLIENT_SECRET"),
            slack_api_url=api_url,
            port=int(port_text),
            secret_key=get("PACER_SECRET_KEY"),
        )

    @property
    def rating_key(self) -> bytes:
        """The key for anonymous rater hashes: PACER_SECRET_KEY, else the signing secret.
        Changing it only means a rater could rate a teammate twice in the current period."""
        return (self.secret_key or self.signing_secret or "pacer-local-console").encode()

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.bot_token or self.client_id)

    def require_slack(self) -> None:
        """Fail fast, naming every missing variable, before serving Slack."""
        missing = []
        if not self.bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.signing_secret and not self.app_token:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        if missing:
            raise ConfigError("missing environment: " + ", ".join(missing))
