"""Confirmations posted to response_urls over kept-alive connections (bot/slack/response_urls.py):
the body is what Bolt's respond sends, a connection is reused, and one the other end closed
meanwhile is replaced without losing or repeating the message."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
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


def test_a_client_hanging_up_is_no_error_of_the_emulator(
        capfd: pytest.CaptureFixture[str]) -> None:
    """A client that resets its kept-alive connection (as a process exiting does) left a
    traceback from socketserver in the test output and the console. Nothing is printed now,
    and the emulator goes on serving."""
    emulator = SlackEmulator().start()
    host, port = emulator.base.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port))) as client:
            # Closed with unread data pending or SO_LINGER 0: the peer sees a reset.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.sendall(b"POST /response/1 HTTP/1.1\r\n")  # a request line, then gone
        response_urls.send(Respond(response_url=emulator.base + "/response/2"), text="ok")
        assert [call.method for call in emulator.calls] == ["response_url"]
    finally:
        emulator.stop()
    time.sleep(0.2)  # the handler thread of the reset connection has finished
    assert "Exception occurred" not in capfd.readouterr().err
