"""The committed example environment stays complete: every variable Pacer reads, no secret."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "deploy" / "pacer.env.example"


def example() -> dict[str, str]:
    pairs = {}
    for line in EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def test_the_example_lists_every_variable_settings_reads() -> None:
    read = set(re.findall(r'get\("([A-Z_]+)"\)', (ROOT / "bot" / "config.py").read_text()))
    assert read and read == set(example())


def test_the_example_holds_placeholders_not_secrets() -> None:
    pairs = example()
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                 "SLACK_CLIENT_SECRET", "PACER_SECRET_KEY", "PACER_TOKEN_KEY"):
        assert pairs[name] == "" or "REPLACE-ME" in pairs[name], name
    assert urlsplit(pairs["DATABASE_URL"]).password == "REPLACE-ME"
