"""Serving the Bolt app: HTTP (waitress, a production WSGI server) or Socket Mode."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class SlackRequest(BoltRequest):
    """A Bolt request that reads every form body as the form it is.

    Works around slack_bolt 1.30's parse_body: a form body with the text "payload" anywhere
    in it is taken for an interactivity payload, and without a `payload` field it parses to
    {}, so '/lead add Payload Inc' or '/log visit payload' went unanswered with a 404.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if not self.body and self.raw_body and not self.raw_body.startswith("{"):
            form = dict(parse_qsl(self.raw_body, keep_blank_values=True))
            if "payload" not in form:
                self.body = form
                self.context = build_context(self.context, form)

    def to_copyable(self) -> BoltRequest:
        return SlackRequest(body=self.raw_body if self.mode == "http" else self.body,
                            query=self.query, headers=self.headers,
                            context=self.context.to_copyable(), mode=self.mode)


class _Handler(SlackRequestHandler):
    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        return self.app.dispatch(SlackRequest(body=request.get_body(),
                                              query=request.query_string,
                                              headers=request.get_headers()))


def wsgi_app(app: App, ready: Callable[[], str | None] | None = None) -> WSGIApp:
    """POST /slack/events goes to Bolt; GET /healthz answers 200 while the process is up;
    GET /readyz 200 when `ready()` finds nothing wrong (else 503 with what is wrong)."""
    slack = _Handler(app, path=EVENTS_PATH)

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
