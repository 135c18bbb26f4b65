"""Serving the Bolt app: HTTP (waitress, a production WSGI server) or Socket Mode, and stopping
it gracefully: on SIGTERM or Ctrl-C, refuse new connections, answer the requests in flight,
let listeners finish what they do after their ack and the scheduler its deliveries in hand,
all within one grace period."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Protocol

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from waitress import wasyncore
from waitress.server import create_server

from bot import logs
from bot.slack.request import RequestHandler

log = logging.getLogger(__name__)
access_log = logging.getLogger("pacer.http")

EVENTS_PATH = "/slack/events"
PROBES = ("/healthz", "/readyz")
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def wsgi_app(app: App, ready: Callable[[], str | None] | None = None) -> WSGIApp:
    """POST /slack/events goes to Bolt, and with OAuth GET /slack/install and
    /slack/oauth_redirect; GET /healthz answers 200 while the process is up; GET /readyz 200
    when `ready()` finds nothing wrong (else 503 with what is wrong). Every request runs under
    a request id (the load balancer's X-Request-Id, else a new one), returned in X-Request-Id
    and written on every log line the request causes (the path, never the query string)."""
    slack = RequestHandler(app, path=EVENTS_PATH)
    flow = app.oauth_flow
    oauth_paths = {flow.install_path, flow.redirect_uri_path} if flow else set()

    def route(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path == "/readyz":
            problem = ready() if ready else None
            start_response("503 Service Unavailable" if problem else "200 OK",
                           [("Content-Type", "text/plain")])
            return [(problem or "ready").encode()]
        method = environ.get("REQUEST_METHOD")
        if (path == EVENTS_PATH and method == "POST") or (path in oauth_paths and
                                                           method == "GET"):
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.monotonic()
        status = ["-"]
        with logs.request_context(logs.incoming_id(environ.get("HTTP_X_REQUEST_ID"))) as info:
            def respond(line: str, headers: list, exc_info: object = None) -> Callable:
                status[0] = line.split(" ", 1)[0]
                return start_response(line, [*headers, ("X-Request-Id", info.id)], exc_info)

            try:
                return route(environ, respond)
            finally:
                path = environ.get("PATH_INFO", "")
                # Probes come every few seconds: keep them out of an INFO log.
                access_log.log(logging.DEBUG if path in PROBES else logging.INFO,
                               "%s %s %s %d ms%s", environ.get("REQUEST_METHOD"), path,
                               status[0], (time.monotonic() - started) * 1000,
                               f" ({info.kind})" if info.kind else "")

    return application


class Server(Protocol):
    def serve(self, stop: threading.Event) -> None:
        """Serve until `stop` is set, then take no new work."""

    def drain(self, deadline: float) -> bool:
        """Finish the work taken (by `deadline`, a time.monotonic()); False if some is left."""

    def close(self) -> None: ...


class HttpServer:
    """waitress, driven one poll at a time so it can be drained.

    waitress has no graceful stop of its own (on Ctrl-C it stops its loop at once, and the
    replies of requests still being served are never written), so this runs its loop here and
    stops it in steps: close the listening socket, keep polling until every connection has
    written its replies, then close what is left."""

    POLL = 0.2  # seconds; the trigger pipe wakes the loop sooner whenever a reply is ready

    def __init__(self, app: App, *, port: int, host: str = "0.0.0.0", threads: int = 16,
                 ready: Callable[[], str | None] | None = None) -> None:
        self.server = create_server(wsgi_app(app, ready), host=host, port=port,
                                    threads=threads, ident="pacer")
        flow = app.oauth_flow
        self.paths = f"POST {EVENTS_PATH}" + (
            f", GET {flow.install_path}, GET {flow.redirect_uri_path}" if flow else "")
        self._map = self.server._map  # the loop's sockets: waitress has no public handle

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def serve(self, stop: threading.Event) -> None:
        log.info("serving HTTP on %s:%s (%s, GET /healthz, GET /readyz)",
                 self.server.effective_host, self.port, self.paths)
        while not stop.is_set():
            # Turn after turn, as waitress's own loop: a reply goes out as soon as it is
            # ready. (A 2 ms pause after each turn, so that one turn took what a burst
            # brought, saved this thread about 0.15 ms of CPU per /log but held the replies
            # back: at 50 clients it halved /log's throughput, benchmarks/ack_vs_bolt.py.)
            wasyncore.loop(timeout=self.POLL, map=self._map, count=1)
        # New connections are refused from here on; idle keep-alive ones are closed.
        wasyncore.dispatcher.close(self.server)
        for channel in list(self.server.active_channels.values()):
            if not channel.requests and channel.request is None:
                channel.will_close = True

    def _busy(self) -> bool:
        return any(channel.requests or channel.request is not None
                   or channel.total_outbufs_len
                   for channel in list(self.server.active_channels.values()))

    def drain(self, deadline: float) -> bool:
        while self._busy():
            if time.monotonic() >= deadline:
                return False
            wasyncore.loop(timeout=0.05, map=self._map, count=1)
        return True

    def close(self) -> None:
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
        wasyncore.close_all(self._map)


class _SocketModeHandler(SocketModeHandler):
    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        with logs.request_context(req.envelope_id or logs.new_id()):
            super().handle(client, req)


class SocketModeServer:
    """Socket Mode: Slack's envelopes arrive over a WebSocket; each one's envelope id is its
    request id."""

    def __init__(self, app: App, app_token: str) -> None:
        self.handler = _SocketModeHandler(app, app_token, web_client=app.client)

    def serve(self, stop: threading.Event) -> None:
        log.info("connecting over Socket Mode")
        self.handler.connect()
        stop.wait()

    def drain(self, deadline: float) -> bool:
        # close() stops the WebSocket and waits for the envelopes being handled (each is
        # acknowledged in well under 3 s); work after the ack is the listener pool's.
        self.handler.close()
        return True

    def close(self) -> None:
        pass


def serve_until_stopped(server: Server, *, listeners: Executor,
                        stop_scheduler: Callable[[], None], grace: float) -> int:
    """Serve until SIGTERM or Ctrl-C, then stop within `grace` seconds: 0 when everything in
    hand finished, else 1 (whatever was cut short is left to Slack's retries and the
    deliveries ledger). A second signal stops at once."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: stopping now", name)
            logging.shutdown()
            os._exit(1)
        log.info("%s: stopping; finishing the work in hand (up to %g s)", name, grace)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.serve(stop)
    deadline = time.monotonic() + grace
    scheduler = _background(stop_scheduler, "scheduler-stop")  # in parallel with the rest
    left = []
    if not server.drain(deadline):
        left.append("requests in flight")
    # Listeners run on their own pool after the ack; shutdown() waits for all of them but
    # takes no timeout, hence the thread.
    pool = _background(listeners.shutdown, "listeners-stop")
    pool.join(max(0.0, deadline - time.monotonic()))
    if pool.is_alive():
        left.append("listener work after the ack")
    scheduler.join(max(0.0, deadline - time.monotonic()))
    if scheduler.is_alive():
        left.append("scheduled deliveries")
    server.close()
    if left:
        log.error("grace period of %g s over; cut short: %s", grace, ", ".join(left))
        logging.shutdown()
        os._exit(1)  # the pools' threads would otherwise hold the interpreter's exit
    log.info("stopped: everything in hand finished")
    return 0


def _background(target: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
