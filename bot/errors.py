"""The one usage error: a person's request was not understood, or is not theirs to make.

A listener raises it and returns; the app's one error handler (bot/app.py) answers
privately, in the person's language, and nothing was changed. Any other exception there is a
fault of Pacer's own: the person gets an apology and the log the traceback.
"""

from __future__ import annotations

from bot.i18n import t


class Usage(Exception):
    """Not understood: a catalogue key for what to type instead, its variables and, where the
    catalogue text shows one, a corrected `example` built from what the person typed."""

    def __init__(self, key: str, /, *, example: str | None = None,
                 **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params if example is None else {**params, "example": example}

    def text(self, lang: str) -> str:
        return t(lang, self.key, **self.params)


class Refused(Usage):
    """Understood, but the policy says no (bot/permissions.py): a polite refusal, not an
    error. The key is a refusal's catalogue text (`perm.*`); whoever raises it has audited it."""
