"""The /log grammar: the text of the ``/log`` slash command (English / Simplified Chinese)
read into a LogCommand, or refused with a LogParseError that carries a corrected example.

Pure module: no I/O, no clock reads (the caller passes ``now``), no Slack, no SQL.
Grammar, in any reasonable order: ``<kind> [count] [customer] [when] [amount] [note]``.
Its parts: kinds.py (the kinds, and the plain data it returns), lexer.py (the line cut into
items), dates.py and amounts.py (reading one item); this module puts them together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.grammar.amounts import (
    CN_NUM,
    LOOKS_LIKE_AMOUNT,
    cn_int,
    is_strong_amount,
    parse_amount,
    storable_amount,
)
from bot.grammar.dates import DATE_RE, one_year_before, resolve_date, resolve_due
from bot.grammar.kinds import (
    CHINESE,
    DEFAULT_KINDS,
    Kind,
    LogCommand,
    LogEntry,
    LogParseError,
    kind_label,
)
from bot.grammar.lexer import MARKER_RE, Item, Lexicon, clean, lexicon, read_items, suggest_kind

MAX_LEN = 500
MAX_COUNT = 100
MAX_CUSTOMER = 200  # the customer column's length

_NEW_EN_SINGLE = {"new": True, "existing": False, "repeat": False, "renewal": False}
_COUNT_RE = re.compile(
    rf"[x×*](\d+)|(\d+)[x×]|(\d+|{CN_NUM})(?:次|个|通|回|趟)|(\d+)\s*times", re.I)
_PERIODS = {
    "today": "today", "day": "today", "今天": "today", "今日": "today",
    "week": "week", "this week": "week", "本周": "week", "这周": "week", "本星期": "week",
    "这星期": "week", "month": "month", "this month": "month", "本月": "month",
    "这个月": "month", "这月": "month",
}
_ACTION_RE = re.compile(
    r"(?P<help>help|帮助|\?|？)|(?P<undo>undo|撤销|撤回)|(?P<list>list|列表)", re.I)
_FILLER_RE = re.compile(r"^(?:(?:with|at)\s+|[了和跟与]\s*)", re.I)
_PLACEHOLDER = {"en": {"customer": "Acme", "amount": "120k", "today": "today", "kind": "visit",
                       "note": "note:"},
                "zh": {"customer": "阿里巴巴", "amount": "12万", "today": "今天", "kind": "拜访",
                       "note": "备注："}}


def _has_content(item: Item) -> bool:
    return any(c.isalnum() for c in item.text) and not item.text.startswith("<!")


def parse_log(
    text: str, *, now: datetime, tz: ZoneInfo, kinds: Sequence[Kind] = DEFAULT_KINDS
) -> LogCommand:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    raw = text or ""
    lang = "zh" if CHINESE.search(raw) else "en"
    ph = _PLACEHOLDER[lang]
    if len(raw) > MAX_LEN:
        raise LogParseError("too_long", f"/log {ph['kind']} {ph['customer']}",
                            length=str(len(raw)), max=str(MAX_LEN), lang=lang)
    body = clean(raw)
    if not body:
        return LogCommand("help")
    if action := _parse_action(body, lang):
        return action

    lex = lexicon(tuple(kinds))
    items, marker_at = read_items(body, lang, lex)
    parser = _Parser(body, items, marker_at, lex, now.astimezone(tz), lang)
    entry = parser.parse()
    if entry.kind == "payment" and (due := _payment_due(body, now.astimezone(tz))):
        rest, amount_due, due_on = due
        entry = parse_log(rest, now=now, tz=tz, kinds=kinds).entry or entry
        entry = replace(entry, amount_due=amount_due, due_on=due_on)
    return LogCommand("log", entry=entry)


_DUE_AMOUNT_RE = re.compile(r"(?:\bout\s+of|\bof|应收款?|应收金额)\s*(\S+)", re.I)
_DUE_DATE_RE = re.compile(
    rf"(?:\bdue(?:\s+(?:on|by))?|到期日?|应收日期?)\s*({DATE_RE.pattern})"
    rf"|({DATE_RE.pattern})\s*到期", re.I)


def _payment_due(body: str, now_local: datetime) -> tuple[str, Decimal | None, date | None]:
    """A payment's optional 'of 80k due Nov 30' / '应收 8万 11月30日到期' clause.

    Own code: this is our grammar, not a date library's; the due date may be in the future.
    Returns the text without the clause, the amount due and the due date, or None if absent.
    """
    amount_due = due_on = None
    rest = body
    if (m := _DUE_AMOUNT_RE.search(rest)) and (value := parse_amount(m[1])) is not None \
            and storable_amount(value):
        amount_due = value
        rest = rest[:m.start()] + rest[m.end():]
    if m := _DUE_DATE_RE.search(rest):
        phrase = m[1] or m[2]
        due_on = resolve_due(phrase, now_local)
        if due_on is None:
            raise LogParseError("bad_date", "/log payment Acme 50k of 80k due Nov 30",
                                word=phrase, lang="zh" if CHINESE.search(body) else "en")
        rest = rest[:m.start()] + rest[m.end():]
    if amount_due is None and due_on is None:
        return None  # type: ignore[return-value]
    return re.sub(r"\s+", " ", rest).strip(), amount_due, due_on


def _parse_action(body: str, lang: str) -> LogCommand | None:
    m = _ACTION_RE.match(body)
    if not m:
        return None
    rest = body[m.end():].strip()
    if rest and m[0].isascii() and m[0][-1].isalpha() and body[m.end()].isalnum():
        return None  # "listing", "undone": not an action word
    if m["help"]:
        return LogCommand("help")
    if m["undo"]:
        if rest and rest.lower() not in ("last", "上一条", "上条", "最后一条"):
            raise LogParseError("ambiguous", f"/log {m[0]}", word=rest, field="undo", lang=lang)
        return LogCommand("undo")
    period = _PERIODS.get(re.sub(r"\s+", " ", rest.lower())) if rest else "week"
    if period is None:
        raise LogParseError("ambiguous", f"/log {m[0]} {'本周' if lang == 'zh' else 'week'}",
                            word=rest, field="period", lang=lang)
    return LogCommand("list", period=period)


class _Parser:
    """Walks the items left to right, filling the entry's fields."""

    def __init__(self, body: str, items: list[Item], marker_at: int, lex: Lexicon,
                 now_local: datetime, lang: str) -> None:
        self.body, self.items, self.lex, self.lang = body, items, lex, lang
        self.tail = body[marker_at:].strip()
        self.now_local = now_local
        self.today = now_local.date()
        self.ph = _PLACEHOLDER[lang]

    def example(self, replace: Mapping[int, str] | None = None, insert_at: int | None = None,
                insert: Sequence[str] = (), drop_noise: bool = False) -> str:
        """A corrected command line built from the user's own items.

        ``replace`` maps item index -> new text ("" drops it); ``insert`` goes before item
        ``insert_at``; ``drop_noise`` leaves out emoji/punctuation-only items and <!channel>.
        """
        replace = replace or {}
        parts: list[str] = []
        for i, it in enumerate(self.items):
            if i == insert_at:
                parts.extend(insert)
            raw = replace.get(i, self.body[it.start:it.end])
            if raw and (not drop_noise or _has_content(it) or i in replace):
                parts.append(raw)
        if insert_at is not None and insert_at >= len(self.items):
            parts.extend(insert)
        if self.tail:
            parts.append(self.tail)
        return "/log " + " ".join(parts)

    def fail(self, code: str, example: str, **params: str) -> LogParseError:
        return LogParseError(code, example, lang=self.lang, **params)

    def find_kind(self) -> int:
        for i, it in enumerate(self.items):
            if it.type == "kind":
                return i
        candidates = [i for i, it in enumerate(self.items)
                      if it.type == "word" and _has_content(it) and not it.text.startswith("<")
                      and LOOKS_LIKE_AMOUNT.fullmatch(it.key) is None
                      and _COUNT_RE.fullmatch(it.key) is None and cn_int(it.key) is None]
        kind_word = self.ph["kind"]
        if not candidates:
            if not any(_has_content(it) for it in self.items):
                example = f"/log {kind_word} {self.ph['customer']}"
            else:
                example = self.example(insert_at=0, insert=[kind_word], drop_noise=True)
            raise self.fail("no_kind", example)
        idx = candidates[0]
        word = self.items[idx].text
        suggestion = suggest_kind(word, self.lex)
        if suggestion:
            alias, rest = suggestion
            example = self.example(replace={idx: f"{alias} {rest}".strip()}, drop_noise=True)
            raise self.fail("unknown_kind", example, word=word, suggestion=alias)
        example = self.example(insert_at=0, insert=[kind_word], drop_noise=True)
        raise self.fail("unknown_kind", example, word=word)

    def parse(self) -> LogEntry:
        items = self.items
        kind_idx = self.find_kind()
        kind: Kind = items[kind_idx].value  # type: ignore[assignment]
        label = kind_label(kind.id, self.lang, (kind,))

        amount_idx = None
        if kind.needs_amount:
            strong = [i for i, it in enumerate(items)
                      if it.type == "word" and is_strong_amount(it.key)]
            bare = [i for i, it in enumerate(items) if it.type == "word" and it.key.isdecimal()]
            amount_idx = (strong or bare or [None])[0]

        count: int | None = None
        day: date | None = None
        amount: Decimal | None = None
        new_customer: bool | None = None
        customer_parts: list[Item] = []
        quoted_customer: str | None = None
        run_open = False  # unquoted customer words are still being collected
        field_after_kind = False  # a date/amount/flag followed the kind: stray words are note
        notes: list[str] = []
        last_customer_idx = -1

        def duplicate(field: str, i: int) -> LogParseError:
            return self.fail("ambiguous", self.example(replace={i: ""}),
                             field=field, word=items[i].text)

        for i, it in enumerate(items):
            if i == kind_idx:
                run_open = False
                continue
            have_customer = quoted_customer is not None or bool(customer_parts)
            if it.type == "quoted":
                if have_customer:
                    notes.append(it.text)
                else:
                    quoted_customer, last_customer_idx = it.text, i
                run_open = False
                continue
            if it.type == "date":
                resolved = resolve_date(it.key, now_local=self.now_local)
                fix = self.example(replace={i: self.ph["today"]})
                if resolved is None:
                    raise self.fail("bad_date", fix, word=it.text)
                if resolved > self.today:
                    raise self.fail("future_date", fix, word=it.text, day=resolved.isoformat(),
                                    today=self.today.isoformat())
                oldest = one_year_before(self.today)
                if resolved < oldest:
                    raise self.fail("too_old", fix, word=it.text, day=resolved.isoformat(),
                                    oldest=oldest.isoformat())
                if day is not None:
                    raise duplicate("date", i)
                day, run_open = resolved, False
                field_after_kind |= i > kind_idx
                continue
            flag = self._flag(it, kind, have_customer)
            if flag is not None:
                if new_customer is not None:
                    raise duplicate("new_customer", i)
                new_customer, run_open = flag, False
                field_after_kind |= i > kind_idx
                continue
            n = self._count(it, kind, adjacent=abs(i - kind_idx) == 1)
            if n is not None:
                if not 1 <= n <= MAX_COUNT:
                    raise self.fail("bad_count", self.example(replace={i: ""}),
                                    word=it.text, max=str(MAX_COUNT))
                if count is not None:
                    raise duplicate("count", i)
                count, run_open = n, False
                continue
            if is_strong_amount(it.key) or i == amount_idx:
                if not kind.needs_amount:
                    raise self.fail("amount_not_allowed", self.example(replace={i: ""}),
                                    word=it.text, kind_id=kind.id, kind=label)
                if i != amount_idx:
                    raise duplicate("amount", i)
                value = parse_amount(it.key)
                if value is None or not storable_amount(value):
                    raise self.fail("bad_amount", self.example(replace={i: self.ph["amount"]}),
                                    word=it.text)
                amount, run_open = value, False
                field_after_kind |= i > kind_idx
                continue
            if (kind.needs_amount and not it.key.isdecimal()
                    and LOOKS_LIKE_AMOUNT.fullmatch(it.key)):
                raise self.fail("bad_amount", self.example(replace={i: self.ph["amount"]}),
                                word=it.text)
            # A plain word: part of the customer, or the start of a free-text note.
            if run_open or i < kind_idx or (not have_customer and not field_after_kind):
                if quoted_customer is not None:
                    notes.append(it.text)
                else:
                    customer_parts.append(it)
                    last_customer_idx, run_open = i, True
                continue
            notes.append(self.body[it.start:items[-1].end].strip())  # verbatim
            break

        customer = quoted_customer
        if customer_parts:
            span = self.body[customer_parts[0].start:customer_parts[-1].end]
            customer = re.sub(r"\s+", " ", span).strip(" ,;:")
            customer = _FILLER_RE.sub("", customer) or customer  # "meeting with Acme"
        if self.tail:
            notes.append(MARKER_RE.sub("", self.tail, count=1).strip())
        note = " ".join(n for n in notes if n).strip() or None

        missing_amount = kind.needs_amount and amount is None
        missing_customer = kind.needs_customer and not customer
        if missing_amount or missing_customer:
            fill = [self.ph["customer"]] if missing_customer else []
            fill += [self.ph["amount"]] if missing_amount else []
            example = self.example(insert_at=max(kind_idx, last_customer_idx) + 1, insert=fill)
            code = "amount_required" if missing_amount else "customer_required"
            raise self.fail(code, example, kind_id=kind.id, kind=label)
        if customer and len(customer) > MAX_CUSTOMER:
            kind_word = self.body[items[kind_idx].start:items[kind_idx].end]
            example = f"/log {kind_word} {self.ph['customer']} {self.ph['note']} {customer[:40]}…"
            raise self.fail("customer_too_long", example,
                            length=str(len(customer)), max=str(MAX_CUSTOMER))

        return LogEntry(
            kind=kind.id,
            count=count or 1,
            customer=customer or None,
            day=day or self.today,
            amount=amount,
            new_customer=new_customer if kind.tracks_new_customer else None,
            note=note,
        )

    def _flag(self, it: Item, kind: Kind, have_customer: bool) -> bool | None:
        if not kind.tracks_new_customer:
            return None
        if it.type == "flag":
            return bool(it.value)
        if it.type == "word" and have_customer and it.key in _NEW_EN_SINGLE:
            return _NEW_EN_SINGLE[it.key]  # single English words only after the customer
        return None

    def _count(self, it: Item, kind: Kind, adjacent: bool) -> int | None:
        if it.type != "word":
            return None
        if m := _COUNT_RE.fullmatch(it.key):
            return cn_int(next(g for g in m.groups() if g))
        if adjacent and not kind.needs_amount:
            if it.key.isdecimal():
                return int(it.key)
            if CHINESE.search(it.key):
                return cn_int(it.key)
        return None
