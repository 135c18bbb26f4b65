"""Confirmations posted to response_urls over kept-alive connections (bot/slack/response_urls.py):
the body is what Bolt's respond sends, a connection is reused, and one the other end closed
meanwhile is replaced without losing or repeating the message."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_bolt import Respond

from bot.slack import response_urls
from bot.slack.emulator import SlackEmulator


class Slack:
    """A response_url host that records each message and the connection (client port) it
    came on; with
    `hang_up`, it closes each connection after answering (without saying so)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict, int]] = []
        self.hang_up = False
        self.status = 200
        slack = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                slack.messages.append((self.path, json.loads(body), self.client_address[1]))
                self.send_response(slack.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                if slack.hang_up:
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def slack() -> Iterator[Slack]:
    found = Slack()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_messages_go_as_respond_sends_them_on_one_connection(slack: Slack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    response_urls.send(Respond(response_url=slack.url + "/r/1"), response_type="ephemeral",
                       text="hi", blocks=blocks)
    response_urls.send(Respond(response_url=slack.url + "/r/2?x=1"), text="no blocks",
                       blocks=[])
    (first, one, c1), (second, two, c2) = slack.messages
    assert (first, one) == ("/r/1", {"response_type": "ephemeral", "text": "hi",
                                     "blocks": blocks})
    assert (second, two) == ("/r/2?x=1", {"text": "no blocks"})  # as Bolt: no empty blocks
    assert c1 == c2  # kept alive


def test_a_connection_closed_meanwhile_is_replaced_and_nothing_is_sent_twice(
        slack: Slack) -> None:
    slack.hang_up = True
    for i in range(3):
        response_urls.send(Respond(response_url=f"{slack.url}/r/{i}"), text=str(i))
    assert [path for path, _, _ in slack.messages] == ["/r/0", "/r/1", "/r/2"]
    assert len({port for _, _, port in slack.messages}) == 3  # a new connection each time


def test_a_refused_message_is_logged_not_raised_and_the_connection_still_serves(
        slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    """An expired response_url (Slack answers 404 after 30 minutes or five uses): the worker
    logs it and goes on; the next message goes out on the same connection."""
    slack.status = 404
    response_urls.send(Respond(response_url=f"{slack.url}/r/old"), text="late")
    slack.status = 200
    response_urls.send(Respond(response_url=f"{slack.url}/r/new"), text="next")
    assert "response_url answered 404" in caplog.text
    (_, _, c1), (path, _, c2) = slack.messages
    assert path == "/r/new" and c1 == c2


def test_a_stopped_emulator_answers_no_more_on_kept_connections() -> None:
    """The Slack emulator (the console's, and the tests' fake) hangs up its kept-alive
    connections when stopped: one kept here went on being answered by the stopped emulator,
    so a message for a new one on the same port was recorded by the old."""
    emulator = SlackEmulator().start()
    url = emulator.base + "/response/1"
    response_urls.send(Respond(response_url=url), text="first")
    assert len(emulator.calls) == 1
    emulator.stop()
    with pytest.raises(ConnectionError):  # the kept one is gone, and nothing listens now
        response_urls.send(Respond(response_url=url), text="second")
    assert len(emulator.calls) == 1


class RawSlack:
    """A response_url host answering each request with the next of `answers`, byte for
    byte (the framings http.client read for us: chunked, closing, HTTP/1.0), recording the
    requests and the connection each came on."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[bytes, int]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.answers:
            conn, (_, port) = self.listener.accept()
            with conn, conn.makefile("rb") as reader:
                while self.answers:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = reader.readline()
                        if not line:
                            break
                        head += line
                    if not head:
                        break
                    length = int(head.lower().split(b"content-length: ")[1].split(b"\r")[0])
                    self.requests.append((head + reader.read(length), port))
                    answer = self.answers.pop(0)
                    conn.sendall(answer)
                    if b"onnection: close" in answer or b"HTTP/1.0" in answer or (
                            b"ength" not in answer and b"chunked" not in answer
                            and b" 204 " not in answer):
                        break


def test_answers_framed_every_way_are_read_whole_and_the_connection_kept_when_it_may_be(
        caplog: pytest.LogCaptureFixture) -> None:
    slack = RawSlack([
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;x=y\r\no\r\n1\r\nk\r\n0\r\n"
        b"Trailer: 1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n"
        b"Connection: close\r\n\r\nexpired_url!",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\n\r\nto the end",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ])
    for i in range(7):
        response_urls.send(Respond(response_url=f"{slack.url}/r/{i}"), text=str(i))
    ports = [port for _, port in slack.requests]
    # Kept after the first two and after the 204; a new connection after each that closes.
    assert ports[0] == ports[1] == ports[2] != ports[3] != ports[4] != ports[5] == ports[6]
    assert "response_url answered 404: b'expired_url!'" in caplog.text
    first = slack.requests[0][0]
    assert first.startswith(b"POST /r/0 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"Content-Type: application/json;charset=utf-8\r\n" in first
    assert first.endswith(b'\r\n\r\n{"text": "0"}')


def test_an_answer_that_is_not_http_raises_and_is_not_sent_again() -> None:
    slack = RawSlack([b"SMTP ready\r\n\r\n"])
    with pytest.raises(http.client.BadStatusLine):
        response_urls.send(Respond(response_url=f"{slack.url}/r/1"), text="x")
    assert len(slack.requests) == 1


def test_a_timeout_is_raised_and_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    slack = RawSlack([b""])  # never answers
    monkeypatch.setattr(response_urls, "TIMEOUT", 0.2)
    with pytest.raises(TimeoutError):
        response_urls.send(Respond(response_url=f"{slack.url}/r/1"), text="x")
    assert len(slack.requests) == 1
