"""The /log line cut into items before the parser reads them: Slack's markup undone, tokens
split at spaces, separators and quotes (a note marker ends them), unspaced Chinese peeled into
words (拜访阿里巴巴昨天), and multi-word dates, kinds and new-customer flags grouped.

Pure. The lexicon is built once per set of kinds (a team's kinds are data, not code).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.grammar.amounts import CN_NUM, ZH_AMOUNT
from bot.grammar.dates import DATE_RE, NUMERIC_DATE, ZH_DATE
from bot.grammar.kinds import CHINESE, Kind, LogParseError

# A deal's customer, new or existing, said in words (a flag item).
NEW_EN = {"new customer": True, "new client": True, "existing customer": False,
          "existing client": False, "repeat customer": False}
NEW_ZH = {"新客户": True, "新客": True,
          "老客户": False, "老客": False, "续约": False, "复购": False}


@dataclass(frozen=True)
class Lexicon:
    kinds: dict[str, Kind]  # lower-cased alias (incl. plurals) -> kind
    en_aliases: tuple[str, ...]
    zh_aliases: tuple[str, ...]
    zh_prefix: re.Pattern[str]  # kind / date / count / amount / flag at the start of CJK text
    zh_suffix: re.Pattern[str]  # date / count / amount / flag at the end of CJK text


@lru_cache(maxsize=16)
def lexicon(kinds: tuple[Kind, ...]) -> Lexicon:
    table: dict[str, Kind] = {}
    for k in kinds:
        for alias in k.en:
            a = alias.lower()
            forms = {a, a + "s", a + "es", a[:-1] + "ies" if a.endswith("y") else a}
            for form in forms:
                table.setdefault(form, k)
        for alias in k.zh:
            table.setdefault(alias, k)
    en = tuple(a.lower() for k in kinds for a in k.en)
    zh = tuple(sorted((a for k in kinds for a in k.zh), key=len, reverse=True))
    flags = "|".join(sorted(NEW_ZH, key=len, reverse=True))
    inner = rf"{ZH_DATE}|{NUMERIC_DATE}|(?:\d+|{CN_NUM})(?:次|个|通|回|趟)|{ZH_AMOUNT}|{flags}"
    kind_alt = "|".join(map(re.escape, zh)) or "(?!)"
    return Lexicon(
        kinds=table,
        en_aliases=en,
        zh_aliases=zh,
        zh_prefix=re.compile(rf"(?:{inner}|{kind_alt})", re.I),
        zh_suffix=re.compile(rf"(?:{inner})$", re.I),
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
    text = re.sub(r"([¥￥$])\s+(?=\d)", r"\1", text)  # "¥ 50,000" is one amount
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _tokenize(text: str, lang: str) -> tuple[list[_Tok], int]:
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
        marker = (MARKER_RE if buf_start is None else _MID_MARKER_RE).match(text, i)
        if marker:
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


def _peel(tok: _Tok, lex: Lexicon, allow_kind: bool) -> list[_Tok]:
    """Split unspaced Chinese like 拜访阿里巴巴昨天 into 拜访 / 阿里巴巴 / 昨天.

    Only known words are peeled off the front (kind, date, count, amount, flag) and the back
    (date, count, amount, flag); whatever stays in the middle is left whole (the customer).
    """
    front: list[_Tok] = []
    back: list[_Tok] = []
    s, start = tok.text, tok.start
    while s:
        m = lex.zh_prefix.match(s)
        if m and not allow_kind and m[0] in lex.zh_aliases:
            m = None
        if m and 0 < m.end() < len(s):
            front.append(_Tok(m[0], start, start + m.end()))
            allow_kind = allow_kind and m[0] not in lex.zh_aliases
            s, start = s[m.end():], start + m.end()
            continue
        m = lex.zh_suffix.search(s)
        if m and m.start() > 0:
            back.insert(0, _Tok(m[0], start + m.start(), start + len(s)))
            s = s[:m.start()]
            continue
        break
    return [*front, _Tok(s, start, start + len(s)), *back] if front or back else [tok]


@dataclass
class Item:
    type: str  # "date" | "kind" | "flag" | "word" | "quoted"
    text: str  # raw text (quoted: inside of quotes)
    key: str
    start: int
    end: int
    value: object = None


def _items(toks: list[_Tok], text: str, lex: Lexicon) -> list[Item]:
    """Group tokens into items: multi-word dates ("last friday"), kinds, flags, single words."""
    items: list[Item] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.quoted:
            items.append(Item("quoted", t.text, t.key, t.start, t.end))
            i += 1
            continue
        for width in (4, 3, 2, 1):
            window = toks[i:i + width]
            if len(window) < width or any(w.quoted for w in window):
                continue
            key = " ".join(w.key for w in window)
            if DATE_RE.fullmatch(key):
                typ, value = "date", None
            elif key in lex.kinds:
                typ, value = "kind", lex.kinds[key]
            elif key in NEW_EN or key in NEW_ZH:
                typ, value = "flag", NEW_EN.get(key, NEW_ZH.get(key))
            else:
                continue
            start, end = window[0].start, window[-1].end
            items.append(Item(typ, text[start:end], key, start, end, value))
            i += width
            break
        else:
            items.append(Item("word", t.text, t.key, t.start, t.end))
            i += 1
    return items


def read_items(body: str, lang: str, lex: Lexicon) -> tuple[list[Item], int]:
    """The cleaned line's items, and where a note marker starts (len(body) if none)."""
    toks, marker_at = _tokenize(body, lang)
    peeled: list[_Tok] = []
    for t in toks:
        has_kind = any(p.key in lex.kinds for p in peeled)
        if not t.quoted and CHINESE.search(t.text) and t.key not in lex.kinds:
            peeled.extend(_peel(t, lex, allow_kind=not has_kind))
        else:
            peeled.append(t)
    return _items(peeled, body, lex), marker_at


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

