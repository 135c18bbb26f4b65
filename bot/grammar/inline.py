"""The labelled free text behind `/checkin TEXT` and `/brief TEXT`, bilingual and forgiving:
"plan: 3 visits, 5 calls | yesterday: closed Initech | blockers: none", "计划：拜访3 ；昨天：…".
Pure: no Slack, no SQL."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from bot.grammar.amounts import cn_int

HELP_WORDS = {"help", "?", "帮助", "说明", "怎么用"}


class InlineError(ValueError):
    """Text that cannot be recorded as it is; code + params name the problem for the reply."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


_SEGMENT_SEPARATORS = re.compile(r"[|｜;；\n]+")
_FILLER = re.compile(r"^[\s:：,，、。.\-–—]+|[\s,，、;；。]+$")
_SLACK_LINK = re.compile(r"<(?:https?|mailto|tel):[^|>]*\|([^>]*)>|<((?:https?|mailto|tel):[^>]*)>")
_CJK = re.compile(r"[\u3400-\u9fff]")


def clean(text: str) -> str:
    """Slack's formatting undone: links to their label, &amp; &lt; &gt; back to characters."""
    text = _SLACK_LINK.sub(lambda m: m[1] if m[1] is not None else m[2], text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


@dataclass(frozen=True)
class Labels:
    """Which words label which field. `bare` words also work without a colon."""

    words: Mapping[str, str]  # label (lower case) -> field
    bare: frozenset[str]
    default: str  # the field unlabelled text goes to

    @staticmethod
    def _alternation(words) -> str:
        words = list(words)
        if not words:
            return "(?!)"  # matches nothing
        return "|".join(re.escape(w).replace(r"\ ", r"\s+")
                        for w in sorted(words, key=len, reverse=True))

    @cached_property
    def colon_re(self) -> re.Pattern[str]:
        # A label with a colon may start any part, or sit mid-text after a space or comma.
        return re.compile(rf"(?:^|(?<=[\s,，、。.]))({self._alternation(self.words)})\s*[:：]",
                          re.I)

    @cached_property
    def lead_re(self) -> re.Pattern[str]:
        english = self._alternation(w for w in self.bare if not _CJK.search(w))
        chinese = self._alternation(w for w in self.bare if _CJK.search(w))
        # A bare English label needs a word boundary and is dropped from the text ("yesterday
        # closed Initech"); a bare Chinese one runs into the text and stays ("昨天签了华为").
        return re.compile(rf"^\s*(?:({self._alternation(self.words)})\s*[:：]"
                          rf"|({english})(?=[\s,，]|$)|(?=({chinese})))", re.I)


def split_labelled(text: str, labels: Labels) -> dict[str, str]:
    """`plan: x | yesterday: y` -> {"plan": "x", "yesterday": "y"}; repeats are joined."""
    colon_re, lead_re = labels.colon_re, labels.lead_re
    found: dict[str, list[str]] = {}
    for segment in _SEGMENT_SEPARATORS.split(clean(text)):
        cuts = [0, *(m.start(1) for m in colon_re.finditer(segment) if m.start(1) > 0),
                len(segment)]
        for start, end in zip(cuts, cuts[1:], strict=False):
            piece = segment[start:end]
            field = labels.default
            match = lead_re.match(piece)
            if match:
                word = (match[1] or match[2] or match[3]).lower()
                field = labels.words[re.sub(r"\s+", " ", word)]
                piece = piece[match.end():]
            piece = _FILLER.sub("", piece).strip()
            if piece:
                found.setdefault(field, []).append(piece)
            elif match:
                found.setdefault(field, [])
    return {field: "\n".join(parts) for field, parts in found.items()}


# ---------------------------------------------------------------- planned visits and calls

_NOUNS = {
    "visits": r"(?:customer\s+|client\s+|site\s+|on-?site\s+)?visit(?:s|ing)?\b|拜访|上门|面访",
    "calls": r"(?:phone\s+|sales\s+|cold\s+)?calls?\b|dials?\b|电话|外呼",
}
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10}
_MEASURE = r"(?:\s*[个家次通位场])"
# A number that is a count: not a time (3pm, 10点, 9:30), a date, a phone number or an amount.
_NUMBER = (rf"(?<!\d)(?<!\d[.,:])(\d{{1,4}})(?!\d|[.,:]\d)(?!\s*(?:am|pm|点|时|号|日|月|万|k\b|%))"
           rf"({_MEASURE})?"
           rf"|([一二两三四五六七八九十]+)({_MEASURE}|(?![\u3400-\u9fff]))"
           rf"|\b({'|'.join(_EN_NUMBERS)})\b")
_TOKEN = re.compile(rf"(?P<num>{_NUMBER})|(?P<visits>{_NOUNS['visits']})"
                    rf"|(?P<calls>{_NOUNS['calls']})", re.I)
_ADJACENT = re.compile(r"^[\s:：x×*=]*$", re.I)


def _number(match: re.Match[str]) -> int | None:
    if match[2]:
        return int(match[2])
    if match[4]:
        return cn_int(match[4])
    return _EN_NUMBERS[match[6].lower()] if match[6] else None


def _kind(token: re.Match[str]) -> str:
    return next(name for name in ("num", "visits", "calls") if token[name] is not None)


def planned_counts(text: str) -> tuple[dict[str, int], str]:
    """Planned visits and calls named in a plan, and the plan with those phrases removed.

    Read left to right, pairing a number with the kind word right next to it, whichever
    comes first: "3 visits", "5 calls", "visits: 3", "拜访3", "3个电话", "电话5", "打5个电话".
    """
    tokens = list(_TOKEN.finditer(text))
    counts: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens) - 1:
        first, second = tokens[i], tokens[i + 1]
        kinds = {_kind(first), _kind(second)}
        if "num" in kinds and kinds != {"num"} and _ADJACENT.match(
                text[first.end():second.start()]):
            number, noun = (first, second) if _kind(first) == "num" else (second, first)
            kind = _kind(noun)
            value = _number(number)
            if value is not None:
                if kind in counts and counts[kind] != value:
                    raise InlineError("ambiguous_count", what=kind, first=counts[kind],
                                      second=value)
                counts[kind] = value
                spans.append((first.start(), second.end()))
                i += 2
                continue
        i += 1
    rest = text
    for start, end in reversed(spans):
        rest = rest[:start] + " " + rest[end:]
    return counts, rest


_ITEM_SPLIT = re.compile(r"[,，、]")
_LEFTOVER = re.compile(r"^(?:[\s打做约见和及&+.。]|\band\b)*$", re.I)


def customers_in_plan(plan: str) -> str | None:
    """"3 visits, 5 calls, Acme, Globex": the names listed beside the counts are key customers.

    Only when the plan is a list with at least one pure count in it, and every other item is
    short and looks like a name (capitalised, or a few Chinese characters without a kind word).
    """
    items = [item.strip() for item in _ITEM_SPLIT.split(plan) if item.strip()]
    if len(items) < 2:
        return None
    names, had_count = [], False
    for item in items:
        counts, rest = planned_counts(item)
        if counts and _LEFTOVER.match(rest):
            had_count = True
            continue
        if counts or not _looks_like_name(item):
            return None
        names.append(item)
    return ", ".join(names) if had_count and names else None


def _looks_like_name(item: str) -> bool:
    if _CJK.search(item):
        return len(item) <= 12 and not re.search(r"拜访|电话|跟进|演示|方案|报价|会议", item)
    words = item.split()
    return 0 < len(words) <= 4 and item[0].isupper() and len(item) <= 60


