"""Serving the Bolt app: HTTP (waitress, a production WSGI server) or Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from slack_bolt import App

from bot.bolt_request import RequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def wsgi_app(app: App, ready: Callable[[], str | None] | None = None) -> WSGIApp:
    """POST /slack/events goes to Bolt; GET /healthz answers 200 while the process is up;
    GET /readyz 200 when `ready()` finds nothing wrong (else 503 with what is wrong)."""
    slack = RequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path == "/readyz":
            problem = ready() if ready else None
            start_response("503 Service Unavailable" if problem else "200 OK",
                           [("Content-Type", "text/plain")])
            return [(problem or "ready").encode()]
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


def serve_http(app: App, *, port: int, host: str = "0.0.0.0", threads: int = 16,
               ready: Callable[[], str | None] | None = None) -> None:
    from waitress import serve

    log.info("serving HTTP on %s:%d (POST %s, GET /healthz, GET /readyz)", host, port,
             EVENTS_PATH)
    serve(wsgi_app(app, ready), host=host, port=port, threads=threads, ident="pacer")


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("connecting over Socket Mode")
    SocketModeHandler(app, app_token, web_client=app.client).start()
