"""Reading command text as Slack sends it: quotes, escaped mentions and channels."""

from __future__ import annotations

import re

# Slack ids are a letter and up to 31 more (the id columns hold 32).
# A bare id needs 7+ characters ("UK" is a word), unless typed as a mention: @U0BO.
USER_RE = re.compile(
    r"<@([UW][A-Z0-9]{1,31})(?:\|[^>]*)?>|^(?:@([UW][A-Z0-9]{1,31})|([UW][A-Z0-9]{6,31}))$")
CHANNEL_RE = re.compile(r"<#([CG][A-Z0-9]{1,31})(?:\|[^>]*)?>|^([CG][A-Z0-9]{6,31})$")
_TOKEN_RE = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|\'([^\']*)\'|(<[^>]*>)|(\S+)')


MAX_ROW_ID = 2**31 - 1  # the largest id a PostgreSQL integer column holds


def row_id(value: object) -> int | None:
    """A row id from a button's value or a form's metadata, which a stale or forged request
    may fill with anything: a positive integer a database key can hold, else None."""
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ROW_ID else None


def too_long(text: str, limit: int) -> dict | None:
    """The params of the errors.text_too_long reply when `text` is longer than `limit`."""
    if len(text) <= limit:
        return None
    return {"start": text[:30], "length": len(text), "max": limit}


def unescape(text: str) -> str:
    """Slack escapes &, < and > in command text; names are stored as people typed them."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def tokens(text: str) -> list[str]:
    """Words, keeping "quoted names" (straight or Chinese quotes) and <@mentions> whole."""
    found = []
    for match in _TOKEN_RE.finditer(text.strip()):
        group = next(g for g in match.groups() if g is not None)
        found.append(group if group.startswith("<") else unescape(group))
    return found


def user_id(token: str) -> str | None:
    match = USER_RE.search(token)
    return next((g for g in match.groups() if g), None) if match else None


def channel_id(token: str) -> str | None:
    match = CHANNEL_RE.search(token)
    return (match.group(1) or match.group(2)) if match else None
