"""Settings read once from the environment; the only place that knows the variable names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

DEFAULT_DATABASE_URL = "sqlite:///pacer.db"
DEFAULT_PORT = 3000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
DEFAULT_SHUTDOWN_GRACE = 25.0  # under Kubernetes' default 30 s before SIGKILL


# Where a lead came from, in the words reps type after `/lead add NAME` without `from`
# (PACER_LEAD_SOURCES overrides: a comma-separated list; phrases of several words work too).
DEFAULT_LEAD_SOURCES = (
    "referral", "website", "web", "inbound", "outbound", "partner", "trade show", "tradeshow",
    "exhibition", "expo", "event", "webinar", "cold call", "linkedin", "ads", "conference",
    "展会", "转介绍", "推荐", "官网", "网站", "渠道", "合作伙伴", "电话营销", "陌拜", "广告",
    "活动", "会议", "老客户介绍",
)


def _words(text: str | None) -> tuple[str, ...]:
    """A comma-separated list (Chinese commas too), case-folded; () when not set."""
    return tuple(w.strip().casefold() for w in re.split(r"[,，、]", text or "") if w.strip())


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
    # Staging and demos only: the bot's clock starts here and runs on (PACER_NOW).
    clock_start: datetime | None = None
    token_key: str | None = None  # Fernet key(s) sealing the workspaces' bot tokens (OAuth)
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE  # seconds to finish work in hand on SIGTERM
    lead_sources: tuple[str, ...] = DEFAULT_LEAD_SOURCES

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        port_text = get("PORT") or str(DEFAULT_PORT)
        if not port_text.isdecimal() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a TCP port number, got {port_text!r}")
        grace_text = get("SHUTDOWN_GRACE_SECONDS") or str(DEFAULT_SHUTDOWN_GRACE)
        try:
            grace = float(grace_text)
        except ValueError:
            grace = -1.0
        if not 0 <= grace <= 3600:
            raise ConfigError("SHUTDOWN_GRACE_SECONDS must be a number of seconds (0-3600), "
                              f"got {grace_text!r}")
        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
                              f"got {get('LOG_LEVEL')!r}")
        log_format = (get("LOG_FORMAT") or "text").lower()
        if log_format not in LOG_FORMATS:
            raise ConfigError(f"LOG_FORMAT must be text or json, got {get('LOG_FORMAT')!r}")
        clock_start = None
        if (now_text := get("PACER_NOW")) is not None:
            try:
                clock_start = datetime.fromisoformat(now_text)
            except ValueError:
                raise ConfigError(f"PACER_NOW must be an ISO date and time, e.g. "
                                  f"2026-12-01T09:00:00+08:00, got {now_text!r}") from None
            if clock_start.tzinfo is None:
                clock_start = clock_start.replace(tzinfo=UTC)
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
            clock_start=clock_start,
            token_key=get("PACER_TOKEN_KEY"),
            log_level=log_level,
            log_format=log_format,
            shutdown_grace=grace,
            lead_sources=_words(get("PACER_LEAD_SOURCES")) or DEFAULT_LEAD_SOURCES,
        )

    @property
    def rating_key(self) -> bytes:
        """The key for anonymous rater hashes: PACER_SECRET_KEY, else the signing secret.
        Changing it only means a rater could rate a teammate twice in the current period."""
        return (self.secret_key or self.signing_secret or "pacer-local-console").encode()

    @property
    def secrets(self) -> tuple[str | None, ...]:
        """Values no log line may show (bot/logs.py redacts them)."""
        return (self.bot_token, self.signing_secret, self.app_token, self.client_secret,
                self.secret_key, self.token_key, urlsplit(self.database_url).password)

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.bot_token or self.client_id)

    @property
    def oauth(self) -> bool:
        """Installed into any workspace through Slack's OAuth flow (SLACK_CLIENT_ID set),
        rather than serving the one workspace whose SLACK_BOT_TOKEN is given."""
        return bool(self.client_id)

    def require_slack(self) -> None:
        """Fail fast, naming every missing variable, before serving Slack."""
        if self.oauth:
            return self._require_oauth()
        missing = []
        if not self.bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.signing_secret and not self.app_token:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        if missing:
            raise ConfigError("missing environment: " + ", ".join(missing))

    def _require_oauth(self) -> None:
        missing = [name for name, value in (
            ("SLACK_CLIENT_SECRET", self.client_secret),
            ("SLACK_SIGNING_SECRET", self.signing_secret),
            (f"PACER_TOKEN_KEY (it encrypts the workspaces' bot tokens; make one with {KEYGEN})",
             self.token_key)) if not value]
        if missing:
            raise ConfigError("missing environment for the OAuth install (SLACK_CLIENT_ID is "
                              "set): " + ", ".join(missing))
        if self.app_token:
            raise ConfigError("SLACK_APP_TOKEN (Socket Mode) with SLACK_CLIENT_ID: the install "
                              "pages need HTTP; unset SLACK_APP_TOKEN")
        self.token_keys()

    def token_keys(self) -> MultiFernet:
        """PACER_TOKEN_KEY: one Fernet key, or several comma-separated while rotating (the
        first encrypts, every one decrypts)."""
        # Imported here: only an OAuth install has tokens to seal, and cryptography's
        # OpenSSL would otherwise sit in every process's memory (8 MiB, issue 15).
        from cryptography.fernet import Fernet, MultiFernet

        if not self.token_key:
            raise ConfigError(f"missing environment: PACER_TOKEN_KEY (make one with {KEYGEN})")
        keys = []
        for part in self.token_key.split(","):
            try:
                keys.append(Fernet(part.strip()))
            except ValueError as exc:
                raise ConfigError("PACER_TOKEN_KEY must be Fernet keys (32 url-safe base64 "
                                  f"bytes each), comma separated; make one with {KEYGEN}") from exc
        return MultiFernet(keys)


KEYGEN = ("python -c 'from cryptography.fernet import Fernet; "
          "print(Fernet.generate_key().decode())'")
