"""Block Kit building blocks shared by every feature's builders."""

from __future__ import annotations

from bot.errors import Refused, Usage
from bot.i18n import Raw, t

SECTION_LIMIT = 2900  # Slack caps a section's text at 3000 characters
# The block_id of an error reply's first section. An error reply means the command was not
# understood and nothing was changed; tests (tests/test_fuzz_slack.py) rely on it.
ERROR_BLOCK = "pacer_error"


def mention(user: str) -> Raw:
    """A Slack mention of a user id, inserted as it is (not escaped)."""
    return Raw(f"<@{user}>")


def unstarred(text: str) -> str:
    """Text with mrkdwn's bold marks dropped: for notification fallbacks and headers."""
    return text.replace("*", "")


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": unstarred(text)[:150]}}


def message(text: str, blocks: list[dict]) -> dict:
    """An ephemeral reply: blocks plus the plain-text fallback Slack shows in notifications."""
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": x[:SECTION_LIMIT]}
                                            for x in texts if x]}


def notice_blocks(text: str) -> dict:
    return message(text, [section(text)])


def error_section(text: str) -> dict:
    """The first section of an error reply (see ERROR_BLOCK)."""
    return {**section(text), "block_id": ERROR_BLOCK}


def error_blocks(text: str) -> dict:
    """A usage error in one section: the command was not understood, nothing changed."""
    text = "⚠️ " + text
    return message(text, [error_section(text)])


def usage_text(error: Usage, lang: str) -> str:
    """A usage error in words: a refusal as it is, anything else marked as an error."""
    text = error.text(lang)
    return text if isinstance(error, Refused) else "⚠️ " + text


def usage_blocks(error: Usage, lang: str) -> dict:
    """The private reply to a usage error (bot/errors.py): a refusal as a notice, anything
    else as an error reply (nothing changed)."""
    if isinstance(error, Refused):
        return notice_blocks(error.text(lang))
    return error_blocks(error.text(lang))


def apology_view(lang: str, key: str = "errors.internal") -> dict:
    """A modal saying sorry: a form that failed (or one no handler knows any more)."""
    return {"type": "modal", "title": {"type": "plain_text", "text": t(lang, "apology.title")},
            "close": {"type": "plain_text", "text": t(lang, "apology.close")},
            "blocks": [section(t(lang, key))]}
