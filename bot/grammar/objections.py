"""A conversation logged with no objections (`/log visit Acme no objections`, `/log 拜访 阿里巴巴
无异议`): seed 001's objection KBI (异议处理: 问题清单归档, 每次沟通后更新) must be possible to
meet honestly when a customer raised none. The phrase is a flag on the log (LogEntry.
no_objections), never part of the customer's name or the note.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.grammar.kinds import CONVERSATION_KINDS, LogParseError
from bot.grammar.lexer import MARKER_RE, clean, tokenize

# Anywhere before the note marker: "no objections", "no objection", "no-objections", 无异议,
# 没有异议, 没异议.
NO_OBJECTIONS_RE = re.compile(r"(?<![\w-])no[\s-]+objections?(?![\w-])|(?:没有|没|无)异议",
                              re.I)
_EXAMPLE = {"en": "/log visit Acme", "zh": "/log 拜访 阿里巴巴"}

Found = tuple  # what lexer.locate_kind returns: (start, end, Kind)


def without_objections(body: str, lang: str, locate: Callable[[list], Found | None],
                       ) -> tuple[str, list, int, Found] | None:
    """The line without its "no objections", tokenized (tokens, marker index) with its kind
    (`locate` finds it), when what is left is a conversation: a visit, call, demo or
    discovery. None when the line has no such phrase, or what is left is another kind of log
    (the phrase is then read as it always was). With no kind left ("/log no objections") it
    asks for the conversation's kind rather than reading "objections" as an objection log."""
    marker = MARKER_RE.search(body)
    match = NO_OBJECTIONS_RE.search(body[:marker.start()] if marker else body)
    if match is None:
        return None
    before = body[:match.start()].rstrip(" ,;，；、")
    after = body[match.end():].lstrip(" ,;，；、。.")
    stripped = clean(f"{before} {after}" if before and after else before or after)
    toks, marker_at = tokenize(stripped, lang) if stripped else ([], -1)
    found = locate(toks) if stripped else None
    if found is None:
        raise LogParseError("no_kind", f"{_EXAMPLE[lang]} {match.group(0)}", lang=lang)
    if found[2].id not in CONVERSATION_KINDS:
        return None
    return stripped, toks, marker_at, found
