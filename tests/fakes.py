"""The fake Slack Web API for tests: the emulator plus Slack's own validation of what we send.

Every block list and view the bot sends is checked against ../shared/slack/block-kit.schema.json
(when the shared folder is there) and against slack_sdk's Block Kit models.
"""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path

import jsonschema
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack.emulator import Call, SlackEmulator

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCHEMA_PATHS = [SHARED / "slack" / "block-kit.schema.json",
                Path(__file__).parent / "schemas" / "block-kit.schema.json"]


@cache
def _schema() -> dict | None:
    for path in SCHEMA_PATHS:
        if path.exists():
            return json.loads(path.read_text())
    return None


@cache
def _validator(ref: str) -> jsonschema.Draft202012Validator | None:
    schema = _schema()
    if schema is None:
        return None
    if ref == "blocks":
        return jsonschema.Draft202012Validator(schema)
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{ref}"})


def block_problems(blocks: object) -> list[str]:
    """What Slack would refuse in a list of blocks (empty when it is valid)."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list):
        return [f"blocks is not a list: {type(blocks).__name__}"]
    problems = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks (max 50)")
    validator = _validator("blocks")
    if validator is not None:
        problems += [f"schema: {e.message[:300]}" for e in validator.iter_errors(blocks)]
    for block in blocks:
        try:
            parsed = Block.parse(block)
            if parsed is None:
                problems.append(f"unknown block {block!r:.80}")
            else:
                parsed.validate_json()
        except Exception as exc:  # noqa: BLE001 - any refusal is a finding
            problems.append(f"slack_sdk: {exc}")
    return problems


def view_problems(view: object) -> list[str]:
    if isinstance(view, str):
        view = json.loads(view)
    assert isinstance(view, dict)
    problems = []
    validator = _validator(f"{view.get('type')}_view")
    if validator is not None:
        problems += [f"schema: {e.message[:300]}" for e in validator.iter_errors(view)]
    try:
        View(**view).validate_json()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"slack_sdk: {exc}")
    return problems


def message_problems(payload: dict) -> list[str]:
    """A message body (ack, response_url or chat.*): text fallback and valid blocks."""
    problems = []
    if not payload.get("text"):
        problems.append("no text fallback")
    if payload.get("blocks") is not None:
        problems += block_problems(payload["blocks"])
    return problems


class FakeSlack(SlackEmulator):
    """Records (method, args); `problems` lists every call Slack would have refused."""

    def check(self, method: str, args: dict, token: str) -> list[str]:
        problems = super().check(method, args, token)
        if "blocks" in args:
            problems += block_problems(args["blocks"])
        if "view" in args:
            problems += view_problems(args["view"])
        return problems

    def answer(self, method: str, args: dict, token: str = "") -> dict:
        if method == "users.profile.get":  # a user's status, as `users[uid]["profile"]` says
            uid = args.get("user", "")
            profile = {"real_name": uid, "display_name": uid, "status_text": "",
                       "status_emoji": "", "status_expiration": 0,
                       **self.users.get(uid, {}).get("profile", {})}
            return {"ok": True, "profile": profile}
        return super().answer(method, args, token)

    @property
    def problems(self) -> list[tuple[str, list[str]]]:
        return [(c.method, c.problems) for c in self.calls if c.problems]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"expected {count} {method} call(s), got {len(self.find(method))}")
