"""The /log line cut up before it is read.

Two views of one line, both in character offsets of what the rep typed:
- *pieces* (fold, pieces, scan, leftover): where a date or an amount phrase is. No library
  finds a phrase's span reliably (dateparser's search_dates takes `May` / `Sun` in customer
  names for dates, splits 上周五 into 上周, and returns text, not offsets), so the span step
  is ours and the libraries only read the candidate windows (bot/grammar/dates.py, amounts.py).
  `known_customer` finds a name the team knows where the customer may start.
- *items* (read_items): the line's kind, count, flags, quoted text and plain words, with the
  fields found first (kind, known customer, date, amount) cut out as items of their own.

Pure. The lexicon is built once per set of kinds (a team's kinds are data, not code).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, TypeVar

from bot.grammar.kinds import CHINESE, Kind, LogParseError

T = TypeVar("T")
Span = tuple[int, int]

# --------------------------------------------------------------------------- pieces

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007]")  # with 〇
_QUOTE_RE = re.compile(r'"[^"]*"?|“[^”]*”?|「[^」]*」?|『[^』]*』?')
_EDGE_PUNCT = ",;:!?.()（）[]、。，；：！？"


def fold(text: str) -> str:
    """Width-fold each character alone (NFKC where it gives exactly one character):
    `，`->`,`, `８`->`8`, `￥`->`¥`. Own code rather than NFKC on the whole line, which can
    change its length (`㎡` -> `m2`) and so every offset after it."""
    if text.isascii():
        return text  # NFKC leaves every ASCII character as it is
    return "".join(map(_fold_char, text))


@lru_cache(maxsize=8192)
def _fold_char(c: str) -> str:
    return n if len(n := unicodedata.normalize("NFKC", c)) == 1 else c


class Piece(NamedTuple):  # a tuple, not a frozen dataclass: made ~25 times a /log, 2.5x cheaper
    start: int
    end: int
    kind: str  # "cjk" | "word" | "punct" | "quote" (a barrier: quoted text or a skipped span)
    text: str = ""


def pieces(folded: str, skip: Sequence[Span] = ()) -> list[Piece]:
    """Each CJK character alone (Chinese has no spaces), each run of other non-space
    characters (edge punctuation split off), quoted text and `skip` spans as barriers."""
    barriers = [m.span() for m in _QUOTE_RE.finditer(folded)] + list(skip)
    starts = {b[0] for b in barriers}
    # Whether each character is CJK, asked once (a line with none: no regex per character).
    cjk = [bool(CJK.match(c)) for c in folded] if CJK.search(folded) else [False] * len(
        folded)
    out: list[Piece] = []
    i, n = 0, len(folded)
    while i < n:
        if barriers and (bar := next((b for b in barriers if b[0] <= i < b[1]), None)):
            out.append(Piece(bar[0], bar[1], "quote", folded[bar[0]:bar[1]]))
            i = bar[1]
        elif folded[i].isspace():
            i += 1
        elif cjk[i] or folded[i] in _EDGE_PUNCT:
            out.append(Piece(i, i + 1, "cjk" if cjk[i] else "punct", folded[i]))
            i += 1
        else:
            j = i
            while (j < n and not folded[j].isspace() and not cjk[j]
                   and j not in starts):
                j += 1
            k = j  # trailing punctuation is a piece of its own: "Monday," -> "Monday" ","
            while k > i + 1 and folded[k - 1] in _EDGE_PUNCT:
                k -= 1
            out.append(Piece(i, k, "word", folded[i:k]))
            out.extend(Piece(x, x + 1, "punct", folded[x]) for x in range(k, j))
            i = j
    return out


class Window(NamedTuple):  # as Piece: one for each window offered
    start: int
    end: int
    glued_left: bool  # a CJK character touches it on the left, with no space between
    glued_right: bool


def scan(ps: list[Piece], max_pieces: int, accept: Callable[[Window], T | None],
         may_hold: Callable[[Piece], bool] | None = None) -> list[tuple[Window, T]]:
    """The leftmost-longest, non-overlapping windows of whole pieces that `accept` reads.

    A window never starts or ends on punctuation (except a `)` it opened: 11月20日(周四)),
    never crosses a barrier, and never cuts a piece (`Feb13`, `12,000` stay whole).
    `may_hold`: False for a word or CJK piece no window `accept` reads can hold, so no window
    with it is offered (most of a line's windows: a customer's name, a note)."""
    found: list[tuple[Window, T]] = []
    held = [may_hold is None or p.kind == "punct" or may_hold(p) for p in ps]
    i = 0
    while i < len(ps):
        if ps[i].kind in ("punct", "quote") or not held[i]:
            i += 1
            continue
        end = min(len(ps), i + max_pieces)
        end = next((k for k in range(i, end) if not held[k]), end)
        for j in range(end, i, -1):
            block = ps[i:j]
            if any(q.kind == "quote" for q in block):
                continue
            if block[-1].kind == "punct" and not (
                    block[-1].text == ")" and any(q.text == "(" for q in block)):
                continue
            w = Window(block[0].start, block[-1].end,
                       i > 0 and ps[i - 1].kind == "cjk" and ps[i - 1].end == block[0].start,
                       j < len(ps) and ps[j].kind == "cjk" and ps[j].start == block[-1].end)
            if (value := accept(w)) is not None:
                found.append((w, value))
                i = j
                break
        else:
            i += 1
    return found


def leftover(line: str, spans: Sequence[Span]) -> str:
    """The line without `spans`, spaces collapsed (a comma that set a cut phrase off goes
    with it: "Acme yesterday, call again" -> "Acme call again")."""
    keep, pos = [], 0
    for s, e in sorted(spans):
        keep.append(line[pos:s])
        pos = max(pos, e)
    keep.append(line[pos:])
    parts = [k.strip().strip(",，;；、").strip() for k in keep]
    return re.sub(r"\s+", " ", " ".join(k for k in parts if k)).strip()


# --------------------------------------------------------------------------- known customers

def known_customer(line: str, names: Sequence[str], starts: Sequence[int]) -> Span | None:
    """The longest of the team's customer names typed at one of `starts` (case, width and
    spaces ignored, as customers are matched), ending where a word ends; None if none."""
    folded = fold(line).casefold()
    best: Span | None = None
    for name in names:
        key, pattern = _name_pattern(name)
        if pattern is None:
            continue
        for start in starts:
            m = pattern.match(folded, start)
            if m is None:
                continue
            after = folded[m.end():m.end() + 1]
            if after.isascii() and after.isalnum() and key[-1].isascii():
                continue  # "Acme" is not the start of "Acmeology"
            if best is None or m.end() - m.start() > best[1] - best[0]:
                best = (m.start(), m.end())
    return best


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> tuple[str, re.Pattern[str] | None]:
    """A customer's name as `known_customer` matches it: folded, its spaces optional. Kept
    per name: the team's names are offered again with every /log."""
    key = re.sub(r"\s+", "", fold(name).casefold())
    return key, re.compile(r"\s*".join(map(re.escape, key))) if key else None


# --------------------------------------------------------------------------- the lexicon

# A deal's customer, new or existing, said in words (a flag item).
NEW_EN = {"new customer": True, "new client": True, "existing customer": False,
          "existing client": False, "repeat customer": False}
NEW_ZH = {"新客户": True, "新客": True,
          "老客户": False, "老客": False, "续约": False, "复购": False}
_CN_COUNT = r"(?:\d+|[一二两三四五六七八九十]+)(?:次|个|通|回|趟)"


@dataclass(frozen=True)
class Lexicon:
    kinds: dict[str, Kind]  # lower-cased alias (incl. plurals) -> kind
    en_aliases: tuple[str, ...]
    zh_aliases: tuple[str, ...]  # longest first
    zh_prefix: re.Pattern[str]  # a count or flag at the start of unspaced Chinese
    zh_suffix: re.Pattern[str]  # ... or at its end


_LEXICONS: dict[int, tuple[tuple[Kind, ...], Lexicon]] = {}  # by id(kinds), see `lexicon`


def lexicon(kinds: tuple[Kind, ...]) -> Lexicon:
    """The lexicon of `kinds`, built once per tuple of them. Looked up by the tuple's
    identity first: an lru_cache hashes every kind (their aliases) on every /log."""
    kept = _LEXICONS.get(id(kinds))
    if kept is not None and kept[0] is kinds:
        return kept[1]
    built = _lexicon(kinds)
    if len(_LEXICONS) >= 16:  # callers making a tuple each time (tests): start over
        _LEXICONS.clear()
    _LEXICONS[id(kinds)] = (kinds, built)  # the tuple is kept: its id stays its own
    return built


@lru_cache(maxsize=16)
def _lexicon(kinds: tuple[Kind, ...]) -> Lexicon:
    table: dict[str, Kind] = {}
    for k in kinds:
        for alias in k.en:
            a = alias.lower()
            for form in {a, a + "s", a + "es", a[:-1] + "ies" if a.endswith("y") else a}:
                table.setdefault(form, k)
        for alias in k.zh:
            table.setdefault(alias, k)
    flags = "|".join(sorted(NEW_ZH, key=len, reverse=True))
    return Lexicon(
        kinds=table,
        en_aliases=tuple(a.lower() for k in kinds for a in k.en),
        zh_aliases=tuple(sorted((a for k in kinds for a in k.zh), key=len, reverse=True)),
        zh_prefix=re.compile(rf"{_CN_COUNT}|{flags}"),
        zh_suffix=re.compile(rf"(?:{_CN_COUNT}|{flags})$"),
    )


# --------------------------------------------------------------------------- tokens

@dataclass
class _Tok:
    text: str  # raw text (quoted: the inside of the quotes)
    start: int  # span in the cleaned command text (quoted: including the quotes)
    end: int
    quoted: bool = False

    @property
    def key(self) -> str:
        return self.text.lower().rstrip(".,;:!?")


_OPEN_QUOTES = {'"': '"”', "“": '”"', "”": "”", "「": "」", "『": "』"}
_SEPARATORS = "，、；。！？"
MARKER_RE = re.compile(r"notes?\s*[:：]|备注\s*[:：]?|--+|—+", re.I)
_MID_MARKER_RE = re.compile(r"备注\s*[:：]")
_SLACK_LINK_RE = re.compile(
    r"<(?:https?|mailto|tel):[^|>]*\|([^>]*)>|<((?:https?|mailto|tel):[^>]*)>")


def clean(text: str) -> str:
    """Slack links -> their label; Slack's &amp; escapes -> plain text. Mentions stay as-is."""
    text = _SLACK_LINK_RE.sub(lambda m: m[1] if m[1] is not None else m[2], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def tokenize(text: str, lang: str) -> tuple[list[_Tok], int]:
    """Split into tokens; returns tokens and where a note marker starts (len(text) if none)."""
    toks: list[_Tok] = []
    buf_start: int | None = None
    i, n = 0, len(text)

    def flush(end: int) -> None:
        nonlocal buf_start
        if buf_start is not None and end > buf_start:
            toks.append(_Tok(text[buf_start:end], buf_start, end))
        buf_start = None

    while i < n:
        ch = text[i]
        if (MARKER_RE if buf_start is None else _MID_MARKER_RE).match(text, i):
            flush(i)
            return toks, i
        if ch in _OPEN_QUOTES:
            flush(i)
            closers = _OPEN_QUOTES[ch]
            j = next((j for j in range(i + 1, n) if text[j] in closers), -1)
            if j < 0:
                raise LogParseError("unbalanced_quote", f"/log {text}{closers[0]}",
                                    quote=ch, lang=lang)
            if inner := text[i + 1:j].strip():
                toks.append(_Tok(inner, i, j + 1, quoted=True))
            i = j + 1
            continue
        if ch.isspace() or ch in _SEPARATORS:
            flush(i)
        elif buf_start is None:
            buf_start = i
        i += 1
    flush(n)
    return toks, n


def locate_kind(toks: list[_Tok], lex: Lexicon,
                is_field: Callable[[str], bool]) -> tuple[int, int, Kind] | None:
    """Where the kind is: (start, end, kind), or None.

    A whole word (or two or three: "follow up") that is an alias wins; else a Chinese word
    that starts with one (签约腾讯12万), or has one right after a date or count typed
    without a space (昨天拜访阿里巴巴, 3次电话), where `is_field` says what the prefix is.
    """
    plain = [t for t in toks if not t.quoted]
    for i in range(len(plain)):
        for width in (3, 2, 1):
            window = plain[i:i + width]
            key = " ".join(w.key for w in window)
            if len(window) == width and key in lex.kinds:
                return window[0].start, window[-1].end, lex.kinds[key]
    for t in plain:
        if not CHINESE.search(t.text):
            continue
        for pos in range(len(t.text)):
            if pos and not is_field(t.text[:pos]):
                continue
            alias = next((a for a in lex.zh_aliases if t.text.startswith(a, pos)), None)
            if alias:
                return t.start + pos, t.start + pos + len(alias), lex.kinds[alias]
    return None


def _peel(tok: _Tok, lex: Lexicon) -> list[_Tok]:
    """Counts and flags typed without a space (三个电话 after the kind is cut: 三个; 新客户)."""
    front: list[_Tok] = []
    back: list[_Tok] = []
    s, start = tok.text, tok.start
    while s:
        if (m := lex.zh_prefix.match(s)) and 0 < m.end() < len(s):
            front.append(_Tok(m[0], start, start + m.end()))
            s, start = s[m.end():], start + m.end()
        elif (m := lex.zh_suffix.search(s)) and m.start() > 0:
            back.insert(0, _Tok(m[0], start + m.start(), start + len(s)))
            s = s[:m.start()]
        else:
            break
    return [*front, _Tok(s, start, start + len(s)), *back] if front or back else [tok]


@dataclass
class Item:
    type: str  # "kind" | "customer" | "date" | "amount" | "flag" | "word" | "quoted"
    text: str  # raw text (quoted: inside of quotes)
    key: str
    start: int
    end: int
    value: object = None


@dataclass(frozen=True)
class Field:
    """A span found before the items are cut: the kind, a known customer, a date, an amount."""
    type: str
    start: int
    end: int
    value: object = None


def read_items(body: str, toks: list[_Tok], fields: Sequence[Field], lex: Lexicon,
               ) -> list[Item]:
    """The tokens as items: each field whole, the text around fields as words (peeled of
    unspaced counts and flags), multi-word flags ("new customer") grouped."""
    cut: list[_Tok | Field] = []
    for t in toks:
        inside = sorted((f for f in fields if f.start < t.end and t.start < f.end),
                        key=lambda f: f.start)
        if t.quoted or not inside:
            cut.append(t)
            continue
        pos = t.start
        for f in inside:
            if body[pos:f.start].strip(_EDGE_PUNCT):  # "yesterday." leaves no word "."
                cut.append(_Tok(body[pos:f.start], pos, f.start))
            if f not in cut:
                cut.append(f)
            pos = max(pos, f.end)
        if body[pos:t.end].strip(_EDGE_PUNCT):
            cut.append(_Tok(body[pos:t.end], pos, t.end))
    items: list[Item] = []
    for c in cut:
        if isinstance(c, Field):
            text = body[c.start:c.end]
            items.append(Item(c.type, text, text.lower(), c.start, c.end, c.value))
        elif c.quoted:
            items.append(Item("quoted", c.text, c.key, c.start, c.end))
        else:
            for p in (_peel(c, lex) if CHINESE.search(c.text) else [c]):
                items.append(Item("word", p.text, p.key, p.start, p.end))
    return _group_flags(items, body)


def _group_flags(items: list[Item], body: str) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        for width in (2, 1):
            window = items[i:i + width]
            key = " ".join(w.key for w in window)
            if (len(window) == width and all(w.type == "word" for w in window)
                    and (key in NEW_EN or key in NEW_ZH)):
                start, end = window[0].start, window[-1].end
                out.append(Item("flag", body[start:end], key, start, end,
                                NEW_EN.get(key, NEW_ZH.get(key))))
                i += width
                break
        else:
            out.append(items[i])
            i += 1
    return out


def suggest_kind(word: str, lex: Lexicon) -> tuple[str, str] | None:
    """(suggested alias, rest of word) for a misspelled kind, via difflib."""
    if CHINESE.search(word):
        # Chinese aliases are 2-6 chars, so one wrong char is a low ratio; only judge a whole
        # word, or a 3+ char prefix, so a customer such as 上海电气 is not taken for 上门.
        best: tuple[float, str, int] | None = None
        for alias in lex.zh_aliases:
            n = len(alias)
            if len(word) < n or (n < 3 and len(word) != n):
                continue
            ratio = difflib.SequenceMatcher(None, word[:n], alias).ratio()
            if ratio >= 0.5 and (best is None or (ratio, n) > (best[0], best[2])):
                best = (ratio, alias, n)
        return (best[1], word[best[2]:]) if best else None
    match = difflib.get_close_matches(word.lower(), lex.en_aliases, n=1, cutoff=0.7)
    return (match[0], "") if match else None
