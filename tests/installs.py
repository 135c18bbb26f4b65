"""Pacer installed through OAuth, as a workspace admin would: the install page, Slack's
consent (the fake grants a code), the redirect back; and signed Events API deliveries."""

from __future__ import annotations

import html
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

from cryptography.fernet import Fernet

from bot.clock import FixedClock
from bot.config import Settings
from bot.deps import Deps
from bot.slack.signing import event_body, event_headers
from store import db
from tests.conftest import SECRET, Bot, Reply
from tests.fakes import FakeSlack

CLIENT_ID, CLIENT_SECRET = "1111.2222", "oauth-client-secret"
TOKEN_KEY = Fernet.generate_key().decode()


def oauth_settings(database_url: str, fake: FakeSlack, **extra: object) -> Settings:
    fake.client = (CLIENT_ID, CLIENT_SECRET)
    values = {"database_url": database_url, "signing_secret": SECRET, "client_id": CLIENT_ID,
              "client_secret": CLIENT_SECRET, "slack_api_url": fake.api_url,
              "token_key": TOKEN_KEY, **extra}
    return Settings(**values)  # type: ignore[arg-type]


def oauth_bot(database_url: str, fake: FakeSlack, clock: FixedClock) -> Bot:
    settings = oauth_settings(database_url, fake)
    deps = Deps.build(settings, clock=clock)
    db.upgrade(deps.engine)
    return Bot(settings, deps, fake)


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


def start_install(bot: Bot) -> tuple[dict[str, str], str]:
    """GET /slack/install: the authorize URL's parameters, and the state cookie it set."""
    status, headers, page = http_get(bot.url + "/slack/install")
    assert status == 200, page
    link = html.unescape(re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"',
                                   page).group(1))
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query,
                                        keep_blank_values=True))
    cookie = headers["Set-Cookie"].split(";")[0]
    return query, cookie


def finish_install(bot: Bot, code: str, state: str, cookie: str | None) -> tuple[int, str]:
    """Slack sends the admin's browser back: GET /slack/oauth_redirect?code&state."""
    query = urllib.parse.urlencode({"code": code, "state": state})
    status, _, page = http_get(f"{bot.url}/slack/oauth_redirect?{query}",
                               {"Cookie": cookie} if cookie else None)
    return status, page


def install(bot: Bot, team_id: str, team_name: str, installer: str = "U0MEI") -> str:
    """The whole install into `team_id`; returns the bot token Slack issued."""
    query, cookie = start_install(bot)
    code = f"code-{team_id}-{len(bot.fake.grants)}-{time.monotonic_ns()}"
    bot.fake.grant(code, team_id, team_name, installer)
    status, page = finish_install(bot, code, query["state"], cookie)
    assert status == 200 and "Thank you" in page, page
    return bot.fake.tokens_of(team_id)[-1]


def deliver_event(bot: Bot, event: dict, *, team_id: str, event_id: str, event_time: int,
                  retry: int = 0) -> Reply:
    body = event_body(event, team_id=team_id, event_id=event_id, event_time=event_time)
    return bot.post(body, event_headers(SECRET, body, retry))


def replies(bot: Bot, reply: Reply, counter: int, wait: bool = False) -> str:
    """What the person who sent request `counter` read: the ack, and what came after by
    its response_url (waited for when `wait`)."""
    path = f"/response/{counter}"
    deadline = time.monotonic() + 10
    while True:
        later = [c.args for c in bot.fake.find("response_url") if c.path == path]
        if later or not wait or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not wait or later, f"no reply came by response_url for request {counter}"
    return reply.text + "".join(json.dumps(a, ensure_ascii=False) for a in later)
