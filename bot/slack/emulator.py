"""A Slack Web API on loopback: answers like Slack and records every call.

`pacer console` points the bot's WebClient at it (the same code path as production, just a
different base URL); tests/fakes.py builds on it to validate what the bot sends.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import socket
import sys
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str  # Web API method, or "response_url"
    args: dict
    token: str = ""
    path: str = ""
    problems: list[str] = field(default_factory=list)
    status: int = 200  # what the emulator answered (scripted errors answer otherwise)


DEFAULT_USER = {"tz": "UTC", "locale": "en-US"}


class _Server(ThreadingHTTPServer):
    """Closes its kept-alive connections when stopped. ThreadingHTTPServer leaves each to its
    handler thread, which went on answering a client that kept it (response_urls.py keeps
    one per host): after a stop, and another emulator started on the same port, what was
    sent to the new one was recorded by the old."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:  # noqa: ANN001
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # noqa: ANN001
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        """A client that hangs up on a kept-alive connection (reset, broken pipe) is not the
        emulator's error: nothing is printed, as a production server prints nothing for it
        (socketserver printed a traceback into the console and the test output)."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def hang_up(self) -> None:
        with self._open_lock:
            still_open, self._open = list(self._open), set()
        for connection in still_open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SlackEmulator:
    def __init__(self, users: dict[str, dict] | None = None,
                 on_call: Callable[[Call], None] | None = None,
                 team_id: str = "T0DEMO") -> None:
        self.users: dict[str, dict] = dict(users or {})
        self.calls: list[Call] = []
        self.team_id = team_id
        self._on_call = on_call
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        # method -> list of (status, body, headers) to answer before the normal reply
        self.scripted: dict[str, list[tuple[int, dict, dict]]] = {}
        # The OAuth install (see grant): codes to exchange, the bot tokens issued, per team.
        self.client: tuple[str, str] | None = None  # the app's client id and secret
        self.grants: dict[str, tuple[str, str, str]] = {}  # code -> team id, name, installer
        self.token_teams: dict[str, str] = {}  # bot token -> the team it was issued for
        self.team_users: dict[str, dict[str, dict]] = {}  # team -> users as that team has them
        self.history: dict[str, list[dict]] = {}  # channel -> the bot's posts, oldest first

    # lifecycle -------------------------------------------------------------
    def start(self) -> SlackEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # The headers and the body go out in two writes: with Nagle's algorithm the
                # body waited for the client's delayed ACK, 40 ms per answer on a kept-alive
                # connection (Slack answers at once).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                raw = data.decode("utf-8", "replace")
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if self.path.startswith("/upload/"):
                    args = {"bytes": len(data), "png": data.startswith(b"\x89PNG")}
                elif "json" in self.headers.get("Content-Type", ""):
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                status, body, headers = emulator.handle(self.path, args,
                                                        token or args.get("token", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                # The caller may have given up waiting (a short timeout): as with Slack.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server.hang_up()

    @property
    def base(self) -> str:
        assert self._server is not None, "start() the emulator first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base}/response/{key}"

    # answering -------------------------------------------------------------
    def handle(self, path: str, args: dict, token: str) -> tuple[int, dict, dict]:
        path = urllib.parse.urlparse(path).path
        if path.startswith("/api/"):
            method = path.removeprefix("/api/")
        else:
            method = "file_upload" if path.startswith("/upload/") else "response_url"
        with self._lock:
            script = self.scripted.get(method)
            if script:
                status, body, headers = script.pop(0)
                self.calls.append(Call(method, args, token, path, status=status))
                return status, body, headers
        body = self.answer(method, args, token) if path.startswith("/api/") else {"ok": True}
        call = Call(method, args, token, path, self.check(method, args, token))
        with self._lock:
            self.calls.append(call)
        if self._on_call:
            self._on_call(call)
        return 200, body, {}

    def check(self, method: str, args: dict, token: str) -> list[str]:
        """What Slack would refuse; tests/fakes.py adds Block Kit schema checks."""
        problems = []
        if method not in ("response_url", "file_upload") and not token:
            problems.append("no token")
        if method.startswith("chat.") and not args.get("channel"):
            problems.append("no channel")
        if method.startswith("chat.") and not (args.get("text") or args.get("blocks")):
            problems.append("no text or blocks")
        return problems

    def next_ts(self) -> str:
        return f"1764000000.{next(self._ts):06d}"

    def grant(self, code: str, team_id: str, team_name: str = "",
              installer: str = "U0INSTALLER") -> None:
        """Slack's side of an install: `installer` approved the app in `team_id`, and Slack
        sent their browser to the redirect URL with `code`, which oauth.v2.access exchanges
        once for a bot token of that team."""
        self.grants[code] = (team_id, team_name or team_id, installer)

    def tokens_of(self, team_id: str) -> list[str]:
        return [token for token, team in self.token_teams.items() if team == team_id]

    def _oauth_v2_access(self, args: dict, credentials: str) -> dict:
        if self.client is not None:
            given = base64.b64decode(credentials.removeprefix("Basic ") or "Og==").decode()
            if given != ":".join(self.client):
                return {"ok": False, "error": "invalid_client_id"}
        grant = self.grants.pop(args.get("code", ""), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        team_id, team_name, installer = grant
        token = f"xoxb-{team_id}-{next(self._ts)}-sealed-in-the-database"
        self.token_teams[token] = team_id
        return {"ok": True, "app_id": "A0PACER", "authed_user": {"id": installer},
                "scope": "commands,chat:write,users:read,im:write,files:write",
                "token_type": "bot", "access_token": token, "bot_user_id": "U0BOT",
                "team": {"id": team_id, "name": team_name}, "enterprise": None,
                "is_enterprise_install": False}

    def answer(self, method: str, args: dict, token: str = "") -> dict:
        team = self.token_teams.get(token, self.team_id)
        if method == "oauth.v2.access":
            return self._oauth_v2_access(args, token)
        if method == "auth.test":
            return {"ok": True, "team_id": team, "team": "Demo", "user_id": "U0BOT",
                    "bot_id": "B0BOT", "url": "https://demo.slack.com/"}
        if method == "users.info":
            uid = args.get("user", "")
            known = self.team_users.get(team, {}).get(uid) or self.users.get(uid, {})
            user = {"id": uid, "name": uid.lower(), "real_name": uid, "is_bot": False,
                    "team_id": team, **DEFAULT_USER, **known}
            return {"ok": True, "user": user}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", ""))[:10]}}
        if method == "chat.postMessage":
            return self._post(args)
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "conversations.history":
            return self._history(args)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method.startswith("views."):
            return {"ok": True, "view": {"id": "V" + self.next_ts().replace(".", "")}}
        if method == "files.getUploadURLExternal":
            file_id = "F" + self.next_ts().replace(".", "")
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(args.get("files") or "[]")
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")}
                                          for f in files]}
        return {"ok": True}

    def _post(self, args: dict) -> dict:
        """A post goes into its conversation's history, with its metadata as Slack keeps it."""
        ts, metadata = self.next_ts(), args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata or "null")
        message = {"type": "message", "ts": ts, "text": args.get("text", ""), "user": "U0BOT",
                   "bot_id": "B0BOT", **({"metadata": metadata} if metadata else {})}
        with self._lock:
            self.history.setdefault(str(args.get("channel")), []).append(message)
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}

    def _history(self, args: dict) -> dict:
        """conversations.history: newest first, after `oldest`, `limit` at a time; metadata
        only with include_all_metadata, as Slack answers."""
        oldest, limit = float(args.get("oldest") or 0), int(args.get("limit") or 100)
        with self._lock:
            messages = [m for m in reversed(self.history.get(str(args.get("channel")), []))
                        if float(m["ts"]) > oldest]
        offset = int(args.get("cursor") or 0)
        page = messages[offset:offset + limit]
        if str(args.get("include_all_metadata")).lower() not in ("true", "1"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = offset + limit < len(messages)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(offset + limit) if more else ""}}

    # reading ---------------------------------------------------------------
    def find(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
