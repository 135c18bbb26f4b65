"""Slack Web API clients: every call goes to SLACK_API_URL when set, with retries on."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import Settings


def retry_handlers() -> list:
    return [ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3)]


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A client Bolt copies per request (it keeps base_url and retry handlers)."""
    kwargs: dict = {"token": token or settings.bot_token, "retry_handlers": retry_handlers(),
                    "timeout": 10}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url
    return WebClient(**kwargs)
