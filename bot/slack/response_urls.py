"""Posting to Slack's response_urls over kept-alive connections.

Bolt's `respond` opens a new connection (for Slack, a new TLS handshake) for every message:
with /log's confirmations, which all go to the same host from the follow-up pool's few
threads (bot/followups.py), that was a good part of each confirmation's CPU. Here each thread
keeps one connection per host and reuses it. What is sent is what `respond` sends.
Own code: slack_sdk's WebhookClient has no connection reuse, and urllib3 is not a
dependency of ours.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import threading
from urllib.parse import urlsplit

from slack_bolt import Respond

log = logging.getLogger(__name__)
TIMEOUT = 30.0  # seconds, as slack_sdk's WebhookClient
_local = threading.local()
_tls = ssl.create_default_context()


def send(respond: Respond, **message: object) -> None:
    """`respond(**message)`, on this thread's kept-alive connection to the response_url's
    host. Through `respond` itself when it goes by a proxy (not kept here)."""
    url = respond.response_url
    if url is None or respond.proxy or respond.ssl:
        respond(**message)  # type: ignore[arg-type]
        return
    body = json.dumps({k: v for k, v in message.items()  # as Bolt's respond builds it
                       if v is not None and (k != "blocks" or v)}).encode()
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    for attempt in (1, 2):
        connection = _connection(parts.scheme, parts.netloc)
        try:
            connection.request("POST", path or "/", body=body, headers={
                "Content-Type": "application/json;charset=utf-8"})
            response = connection.getresponse()
            answer = response.read()
        except ConnectionError:  # refused, reset, or closed by the other end meanwhile
            _drop(parts.scheme, parts.netloc)
            if attempt == 1:  # once more on a new connection, as WebhookClient retries
                continue
            raise
        except (http.client.HTTPException, OSError):  # a timeout among them: not retried,
            _drop(parts.scheme, parts.netloc)  # Slack may have shown the message
            raise
        if response.will_close:
            _drop(parts.scheme, parts.netloc)
        if response.status >= 400:
            log.warning("response_url answered %s: %s", response.status, answer[:200])
        return


def _connection(scheme: str, netloc: str) -> http.client.HTTPConnection:
    kept: dict = getattr(_local, "connections", None) or {}
    _local.connections = kept
    found = kept.get((scheme, netloc))
    if found is None:
        found = (http.client.HTTPSConnection(netloc, timeout=TIMEOUT, context=_tls)
                 if scheme == "https" else http.client.HTTPConnection(netloc, timeout=TIMEOUT))
        kept[(scheme, netloc)] = found
    return found


def _drop(scheme: str, netloc: str) -> None:
    kept: dict = getattr(_local, "connections", None) or {}
    found = kept.pop((scheme, netloc), None)
    if found is not None:
        found.close()
