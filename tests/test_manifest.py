"""manifest.yaml is valid against Slack's schema and declares exactly what the handlers answer."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

import handlers
from bot.slack.install import BOT_SCOPES, REDIRECT_PATH
from bot.slack.server import EVENTS_PATH
from tests.fakes import SHARED

ROOT = Path(__file__).resolve().parents[1]


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yaml").read_text())


def schema() -> dict:
    for path in (SHARED / "slack" / "manifest.schema.1.0.0.json",
                 ROOT / "tests" / "schemas" / "manifest.schema.1.0.0.json"):
        if path.exists():
            return json.loads(path.read_text())
    raise AssertionError("no manifest schema found")


def test_manifest_is_valid() -> None:
    errors = list(jsonschema.Draft7Validator(schema()).iter_errors(manifest()))
    assert errors == [], [e.message for e in errors]


def test_manifest_commands_match_the_handlers() -> None:
    declared = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert declared == handlers.commands()


def test_every_url_is_the_events_endpoint() -> None:
    data = manifest()
    urls = [c["url"] for c in data["features"]["slash_commands"]]
    urls.append(data["settings"]["interactivity"]["request_url"])
    urls.append(data["settings"]["event_subscriptions"]["request_url"])
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert "commands" in data["oauth_config"]["scopes"]["bot"]


def test_manifest_events_match_the_handlers() -> None:
    assert set(manifest()["settings"]["event_subscriptions"]["bot_events"]) == handlers.events()


def test_the_oauth_install_asks_for_the_manifests_scopes_and_comes_back_to_pacer() -> None:
    oauth = manifest()["oauth_config"]
    assert tuple(oauth["scopes"]["bot"]) == BOT_SCOPES
    assert [url.endswith(REDIRECT_PATH) for url in oauth["redirect_urls"]] == [True]
