"""The scoring core stays pure: no Slack, SQL, store, handlers or clock reads."""

from __future__ import annotations

import ast
from pathlib import Path

SCORING = Path(__file__).resolve().parents[1] / "bot" / "scoring"
FORBIDDEN = ("slack_sdk", "slack_bolt", "sqlalchemy", "sqlmodel", "store", "handlers",
             "bot.app", "bot.deps", "bot.slack.users", "bot.clock", "requests", "urllib")


def test_scoring_imports_nothing_impure() -> None:
    files = list(SCORING.glob("*.py"))
    assert files
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"
            if isinstance(node, ast.Attribute) and node.attr in ("now", "today", "utcnow"):
                raise AssertionError(f"{path.name} reads the clock")
