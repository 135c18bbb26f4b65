"""Posting to Slack's response_urls over kept-alive connections.

Bolt's `respond` opens a new connection (for Slack, a new TLS handshake) for every message:
with /log's confirmations, which all go to the same host from the follow-up pool's few
threads (bot/followups.py), that was a good part of each confirmation's CPU. Here each thread
keeps one connection per host and reuses it. What is sent is what `respond` sends.
Own code: slack_sdk's WebhookClient has no connection reuse, and urllib3 is not a
dependency of ours. Nor is the answer read by http.client: its header parsing (the email
package's parser) was a fifth of a confirmation's CPU, for an answer of which only the
status, the body's length and whether the connection stays open matter (`_Connection`).
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
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
            status, answer, will_close = connection.post(path or "/", body)
        except ConnectionError:  # refused, reset, or closed by the other end meanwhile
            _drop(parts.scheme, parts.netloc)
            if attempt == 1:  # once more on a new connection, as WebhookClient retries
                continue
            raise
        except (http.client.HTTPException, OSError):  # a timeout among them: not retried,
            _drop(parts.scheme, parts.netloc)  # Slack may have shown the message
            raise
        if will_close:
            _drop(parts.scheme, parts.netloc)
        if status >= 400:
            log.warning("response_url answered %s: %s", status, answer[:200])
        return


MAX_LINE = 65536  # as http.client: a longer status or header line is refused
MAX_HEADERS = 100


class _Connection:
    """One kept-alive HTTP/1.1 connection to a response_url host: a POST and its answer (its
    status, body, and whether the other end closes the connection after it). Raises as
    http.client does: a ConnectionError when the other end closed it before answering
    (http.client.RemoteDisconnected), an OSError (a timeout among them), or an
    http.client.HTTPException for an answer that is not HTTP."""

    def __init__(self, scheme: str, netloc: str) -> None:
        parts = urlsplit(f"{scheme}://{netloc}")
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if scheme == "https" else 80)
        self.tls = scheme == "https"
        # As http.client's Host: the port only when it is not the scheme's own.
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.head = (f"Host: {host}" + (f":{self.port}" if self.port != default else "")
                     + "\r\nAccept-Encoding: identity\r\n"
                     "Content-Type: application/json;charset=utf-8\r\n").encode("latin-1")
        self.sock: socket.socket | None = None
        self.file = None

    def post(self, path: str, body: bytes) -> tuple[int, bytes, bool]:
        if any(c <= " " or c == "\x7f" for c in path):  # as http.client refuses them
            raise http.client.InvalidURL(f"URL can't contain control characters. {path!r}")
        if self.sock is None:
            sock = socket.create_connection((self.host, self.port), TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls:
                sock = _tls.wrap_socket(sock, server_hostname=self.host)
            self.sock, self.file = sock, sock.makefile("rb")
        self.sock.sendall(b"POST " + path.encode("ascii") + b" HTTP/1.1\r\n" + self.head
                          + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                          + body)
        return self._answer()

    def _line(self) -> bytes:
        line = self.file.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        return line

    def _answer(self) -> tuple[int, bytes, bool]:
        while True:
            line = self._line()
            if not line:
                raise http.client.RemoteDisconnected("Remote end closed connection without"
                                                     " response")
            version, _, rest = line.decode("iso-8859-1").strip().partition(" ")
            code = rest.partition(" ")[0]
            if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
                raise http.client.BadStatusLine(line.decode("iso-8859-1"))
            headers = self._headers()
            if int(code) != 100:  # (never asked for: skipped, as http.client does)
                break
        status = int(code)
        connection = headers.get("connection", "").lower()
        will_close = ("close" in connection if version != "HTTP/1.0"
                      else "keep-alive" not in connection)
        if status in (204, 304) or 100 <= status < 200:
            return status, b"", will_close
        if headers.get("transfer-encoding", "").lower().endswith("chunked"):
            return status, self._chunked(), will_close
        if "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                length = -1
            if length >= 0:
                answer = self.file.read(length)
                if len(answer) < length:
                    raise http.client.IncompleteRead(answer, length - len(answer))
                return status, answer, will_close
        return status, self.file.read(), True  # to the end: the connection is done

    def _headers(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                return found
            name, _, value = line.decode("iso-8859-1").partition(":")
            found[name.strip().lower()] = value.strip()
        raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")

    def _chunked(self) -> bytes:
        parts = []
        while True:
            size_line = self._line().split(b";", 1)[0]
            try:
                size = int(size_line, 16)
            except ValueError:
                raise http.client.IncompleteRead(b"".join(parts)) from None
            if size == 0:
                while self._line() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            chunk = self.file.read(size)
            if len(chunk) < size:
                raise http.client.IncompleteRead(b"".join(parts) + chunk, size - len(chunk))
            parts.append(chunk)
            self.file.read(2)  # the chunk's CRLF

    def close(self) -> None:
        for part in (self.file, self.sock):
            if part is not None:
                part.close()
        self.sock = self.file = None


def _connection(scheme: str, netloc: str) -> _Connection:
    kept: dict = getattr(_local, "connections", None) or {}
    _local.connections = kept
    found = kept.get((scheme, netloc))
    if found is None:
        found = kept[(scheme, netloc)] = _Connection(scheme, netloc)
    return found


def _drop(scheme: str, netloc: str) -> None:
    kept: dict = getattr(_local, "connections", None) or {}
    found = kept.pop((scheme, netloc), None)
    if found is not None:
        found.close()
