"""Bolt requests read the way Slack sends them, working around a gap in slack_bolt.

slack_bolt 1.30's parse_body takes any form body with the text "payload" anywhere in it for an
interactivity payload; without a `payload` field it parses to {}, Bolt finds no listener and
answers 404, so '/lead add Payload Inc' or '/log visit payload' failed in Slack. The parse has
to be right when the request is built: authorization (OAuth) reads the team from it before any
middleware runs.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context


class SlackRequest(BoltRequest):
    """A Bolt request that reads every form body as the form it is."""

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


class RequestHandler(SlackRequestHandler):
    """Bolt's WSGI handler, building SlackRequests for events, commands and interactions."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        return self.app.dispatch(SlackRequest(body=request.get_body(),
                                              query=request.query_string,
                                              headers=request.get_headers()))
