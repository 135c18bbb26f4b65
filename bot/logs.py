"""Logging: one setup for every command; a request or run id on every line; no secrets.

`configure()` is called once, by bot/cli.py. Each HTTP request (bot/slack/server.py), Socket Mode
envelope and scheduled job run (bot/jobs/scheduler.py) runs inside `request_context(id)`; the
handler's filter copies that id onto every record written meanwhile, and `with_context()` carries
it into Bolt's listener pool, where the work a listener does after its ack runs.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ["levelname", "name", "threadName", "request_id", "message"]
JSON_NAMES = {"levelname": "level", "name": "logger", "threadName": "thread",
              "exc_info": "exception"}
# Slack tokens: xoxb- (bot), xoxp- (user), xoxa-/xoxr- (app, refresh), xoxe.xoxb-/xoxe- (rotating),
# xapp- (app-level). The prefix stays so a reader can tell which kind leaked where.
TOKEN = re.compile(r"\b(x(?:ox[a-z]|app)(?:\.xox[a-z])?)-[A-Za-z0-9-]+")
REDACTED = "[redacted]"
# A literal secret shorter than this is not looked for: it would blank out ordinary words.
MIN_SECRET = 8
# Bolt logs an install's one-time OAuth code when exchanging it fails.
OAUTH_CODE = re.compile(r"(oauth\.v2\.access result with code: )\S+")
SAFE_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


@dataclass
class RequestInfo:
    """What the current request or run is: its id, and (for access lines) what Slack sent."""

    id: str
    kind: str = ""


CURRENT: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "pacer_request", default=None)


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex


def incoming_id(header: str | None) -> str:
    """A load balancer's X-Request-Id when it is a sane token, else a fresh one (a header is
    caller-controlled text; it must not be able to forge log lines)."""
    return header if header and SAFE_ID.fullmatch(header) else new_id()


@contextmanager
def request_context(request_id: str) -> Iterator[RequestInfo]:
    info = RequestInfo(request_id)
    token = CURRENT.set(info)
    try:
        yield info
    finally:
        CURRENT.reset(token)


class ContextExecutor(Executor):
    """Runs each task in a copy of the submitter's context. A ThreadPoolExecutor runs tasks in
    its worker thread's own context, so without this the lines a Bolt listener writes (on the
    listener pool, after its ack) would lose the id of the request that started it."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self.inner.submit(contextvars.copy_context().run, fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def with_context(executor: Executor) -> Executor:
    return executor if isinstance(executor, ContextExecutor) else ContextExecutor(executor)


def slack_kind(body: dict) -> str:
    """What a Slack request is, by name only (never what the user typed)."""
    if body.get("command"):
        return f"command {body['command']}"
    kind = body.get("type") or ""
    if kind == "block_actions" and body.get("actions"):
        return f"action {body['actions'][0].get('action_id', '')}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {(body.get('view') or {}).get('callback_id', '')}"
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type', '')}"
    if kind in ("shortcut", "message_action"):
        return f"{kind} {body.get('callback_id', '')}"
    return kind


def label_request(body: dict) -> None:
    """Names the request for the access line bot/slack/server.py writes (called by Pacer's
    global middleware, bot/app.py)."""
    info = CURRENT.get()
    if info is not None:
        info.kind = slack_kind(body)


class RequestIdFilter(logging.Filter):
    """Puts the current request or run id on every record, and keeps request bodies that
    Bolt logs at INFO out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = CURRENT.get()
        if info is not None:
            record.request_id = info.id
        if record.levelno >= logging.INFO and record.name == "slack_bolt.RequestVerification":
            # Bolt writes the whole body (what the user typed included) on a bad signature.
            record.msg, record.args = "invalid or stale request signature (body not logged)", ()
        return True


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len,
                              reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = OAUTH_CODE.sub(rf"\1{REDACTED}", text)
        return TOKEN.sub(lambda m: f"{m.group(1)}-{REDACTED}", text)


class RedactingFormatter(logging.Formatter):
    """Redacts the finished line, so the message, its arguments, a traceback and any extra
    field are all covered, whichever logger wrote it."""

    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self.inner, self.redact = inner, redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.inner.format(record))


class Throttle(logging.Filter):
    """At most one record a `seconds` passes (the others are dropped). For waitress's "Task
    queue depth is N", which it writes for every request that finds all its threads busy:
    under a burst of /logs a line per request, each formatted, redacted and written
    (about 0.05 ms of CPU a /log, and a log of nothing else). One a second still says the
    server is saturated, and how deep. Own code: logging has no rate limit."""

    def __init__(self, seconds: float = 1.0) -> None:
        super().__init__()
        self.seconds, self.last = seconds, float("-inf")
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        with self.lock:
            if record.created - self.last < self.seconds:
                return False
            self.last = record.created
            return True


QUEUE_LOGGER = "waitress.queue"


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES, timestamp="time",
                             json_ensure_ascii=False)
    return logging.Formatter(TEXT_FORMAT, defaults={"request_id": "-"})


def configure(*, level: str = "INFO", fmt: str = "text", secrets: Iterable[str | None] = (),
              stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger (stderr by default), so every library's lines get the
    request id and the redaction. Returns it, so a caller may remove it again."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(RedactingFormatter(formatter(fmt), Redactor(secrets)))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())
    # APScheduler says "Running job …" and "… executed successfully" for every job every
    # minute at INFO; its warnings (missed runs) and errors still show.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    queue = logging.getLogger(QUEUE_LOGGER)
    if not any(isinstance(f, Throttle) for f in queue.filters):
        queue.addFilter(Throttle())
    return handler
