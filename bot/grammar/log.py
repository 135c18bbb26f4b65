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

from bot.grammar.amounts import AmountHit, AmountRefusal, cn_int, find_amount, read_amount
from bot.grammar.dates import DateHit, DateRefusal, find_date, resolve_due, scan_dates
from bot.grammar.days import one_year_before
from bot.grammar.kinds import (
    CHINESE,
    DEFAULT_KINDS,
    DUE_KINDS,
    LIST_PERIODS,
    Kind,
    LogCommand,
    LogEntry,
    LogParseError,
    kind_label,
)
from bot.grammar.lexer import (
    MARKER_RE,
    Field,
    Item,
    Lexicon,
    Span,
    clean,
    known_customer,
    lexicon,
    locate_kind,
    read_items,
    suggest_kind,
    tokenize,
)
from bot.grammar.objections import Found, without_objections

MAX_LEN = 500
MAX_COUNT = 100
MAX_CUSTOMER = 200  # the customer column's length

_NEW_EN_SINGLE = {"new": True, "existing": False, "repeat": False, "renewal": False}
_CN_NUM = "[一二两三四五六七八九十]+"
_COUNT_RE = re.compile(
    rf"[x×*](\d+)|(\d+)[x×]|(\d+|{_CN_NUM})(?:次|个|通|回|趟)|(\d+)\s*times", re.I)
# A word that looks like a number: never taken for a kind, nor for a customer name.
_NUMBERISH = re.compile(r"-?[¥￥$]?[\d.,]*\d[\d.,]*(?:[kmbw千万亿元])?", re.I)
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
    text: str, *, now: datetime, tz: ZoneInfo, kinds: Sequence[Kind] = DEFAULT_KINDS,
    currency: str = "CNY", customers: Sequence[str] = (), rep_lang: str | None = None,
) -> LogCommand:
    """Read a /log line. `currency` is the team's (an amount in another is kept as such),
    `customers` the team's customer names the line may start with (they anchor the parse:
    the rest is the note), `rep_lang` the rep's language (the order of 3/4, zh's 11.20)."""
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

    now_local = now.astimezone(tz)
    rep_lang = rep_lang or lang
    lex = lexicon(tuple(kinds))
    toks, marker_at = tokenize(body, lang)

    def is_field(prefix: str) -> bool:
        return _is_prefix_field(prefix, now_local, rep_lang)

    found = locate_kind(toks, lex, is_field)
    quiet = without_objections(body, lang, lambda toks: locate_kind(toks, lex, is_field))
    if quiet is not None:  # a conversation with no objections: the phrase is a flag
        body, toks, marker_at, found = quiet
    due = None
    if found is not None and found[2].id in DUE_KINDS and (
            due := _payment_due(body, now_local, rep_lang)):
        body = due[0]
        toks, marker_at = tokenize(body, lang)
        found = locate_kind(toks, lex, is_field)
    fields = _fields(body, toks, marker_at, found, now, tz, currency, customers, rep_lang)
    items = read_items(body, toks, fields, lex)
    entry = _Parser(body, items, marker_at, lex, now_local, lang, currency).parse()
    if due is not None and entry.kind in DUE_KINDS:
        entry = replace(entry, amount_due=due[1], due_on=due[2])
    if quiet is not None:
        entry = replace(entry, no_objections=True)
    return LogCommand("log", entry=entry)


def _fields(body: str, toks: list, marker_at: int, found: Found | None, now: datetime,
            tz: ZoneInfo, currency: str, customers: Sequence[str], lang: str) -> list[Field]:
    """The kind (`found`: where locate_kind found it in `toks`), a known customer, the date
    and the amount, found in that order (each later search skips what was found before it:
    a known customer called 明日科技 or 3M is never a date or an amount, and `Acme Nov 20` has
    no amount 20)."""
    head = body[:marker_at]
    fields: list[Field] = []
    skip: list[Span] = []
    if found is not None:
        start, end, kind = found
        fields.append(Field("kind", start, end, kind))
        skip.append((start, end))
        if anchor := known_customer(head, customers, _anchor_starts(head, start, end)):
            fields.append(Field("customer", *anchor))
            skip.append(anchor)
    date = find_date(head, now, tz, lang=lang, skip=tuple(skip))
    if date is not None:
        fields.append(Field("date", date.start, date.end, date))
        skip.append((date.start, date.end))
    amount = find_amount(head, currency, skip=tuple(skip))
    needs_amount = found is not None and found[2].needs_amount
    if isinstance(amount, AmountHit) and amount.weak and not needs_amount:
        amount = None  # a bare number is a count, or part of a name
    if isinstance(amount, AmountRefusal) and not needs_amount and amount.text.isdecimal():
        amount = None  # "call 0": a count, refused as one
    if amount is not None:
        fields.append(Field("amount", amount.start, amount.end, amount))
    return fields


def _is_prefix_field(prefix: str, now_local: datetime, lang: str) -> bool:
    """A date or a count typed just before a Chinese kind (昨天拜访, 3次电话)."""
    return bool(_COUNT_RE.fullmatch(prefix)) or any(
        span == (0, len(prefix)) for span, _ in scan_dates(prefix, now_local, lang=lang))


def _anchor_starts(head: str, kind_start: int, kind_end: int) -> list[int]:
    """Where a known customer's name may start: right after the kind (and a count, or
    "with"), or at the start of the line when the kind comes later ("Acme visit")."""
    starts = []
    pos = len(head) - len(head[kind_end:].lstrip())
    starts.append(pos)
    word = re.match(r"\S+\s*", head[pos:])
    if word and (_COUNT_RE.fullmatch(word[0].strip()) or word[0].strip().isdecimal()
                 or word[0].strip().lower() in ("with", "at")):
        starts.append(pos + word.end())
    if kind_start > 0:
        starts.append(len(head) - len(head.lstrip()))
    return starts


_DUE_AMOUNT_RE = re.compile(r"(?:\bout\s+of|\bof|应收款?|应收金额)\s*(\S+)", re.I)
_DUE_BEFORE = re.compile(r"(?:\bdue(?:\s+(?:on|by))?|到期日?|应收日期?)\s*$", re.I)
_DUE_AFTER = re.compile(r"\s*到期")


def _payment_due(body: str, now_local: datetime, lang: str,
                 ) -> tuple[str, Decimal | None, date | None] | None:
    """A payment's optional 'of 80k due Nov 30' / '应收 8万 11月30日到期' clause: the text
    without it, the amount due and the due date; None if there is none.

    Own code: this is our grammar, not a date library's; the due date may be ahead.
    """
    amount_due = due_on = None
    rest = body
    if (m := _DUE_AMOUNT_RE.search(rest)) and isinstance(
            hit := read_amount(m[1], "XXX"), AmountHit):
        amount_due = hit.value
        rest = rest[:m.start()] + " " + rest[m.end():]
    for (start, end), _read in scan_dates(rest, now_local, lang=lang):
        before, after = _DUE_BEFORE.search(rest[:start]), _DUE_AFTER.match(rest, end)
        if before or after:
            due_on = resolve_due(rest[start:end], now_local)
            cut = (before.start() if before else start, after.end() if after else end)
            rest = rest[:cut[0]] + " " + rest[cut[1]:]
            break
    else:
        if m := re.search(r"\bdue\b|到期", rest, re.I):
            raise LogParseError("bad_date", "/log payment Acme 50k of 80k due Nov 30",
                                word=rest[m.start():].strip()[:40],
                                lang="zh" if CHINESE.search(body) else "en")
    if amount_due is None and due_on is None:
        return None
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
    period = LIST_PERIODS.get(re.sub(r"\s+", " ", rest.lower())) if rest else "week"
    if period is None:
        raise LogParseError("ambiguous", f"/log {m[0]} {'本周' if lang == 'zh' else 'week'}",
                            word=rest, field="period", lang=lang)
    return LogCommand("list", period=period)


class _Parser:
    """Walks the items left to right, filling the entry's fields."""

    def __init__(self, body: str, items: list[Item], marker_at: int, lex: Lexicon,
                 now_local: datetime, lang: str, currency: str) -> None:
        self.body, self.items, self.lex, self.lang = body, items, lex, lang
        self.tail = body[marker_at:].strip()
        self.today = now_local.date()
        self.currency = currency
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
                      and _NUMBERISH.fullmatch(it.key) is None
                      and _COUNT_RE.fullmatch(it.key) is None]
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

        count: int | None = None
        day: date | None = None
        amount: AmountHit | None = None
        new_customer: bool | None = None
        customer_parts: list[Item] = []
        named_customer: str | None = None  # quoted, or a customer the team knows
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
            have_customer = named_customer is not None or bool(customer_parts)
            if it.type in ("quoted", "customer"):
                if have_customer:
                    notes.append(it.text)
                else:
                    named_customer, last_customer_idx = it.text, i
                    field_after_kind |= it.type == "customer"  # the rest is the note
                run_open = False
                continue
            if it.type == "date":
                day = self._date(i, it.value)  # type: ignore[arg-type]
                run_open = False
                field_after_kind |= i > kind_idx
                continue
            if it.type == "amount":
                amount = self._amount(i, it.value, kind, label)  # type: ignore[arg-type]
                run_open = False
                field_after_kind |= i > kind_idx
                continue
            flag = self._flag(it, kind, have_customer)
            if flag is not None:
                if new_customer is not None:
                    raise duplicate("new_customer", i)
                new_customer, run_open = flag, False
                field_after_kind |= i > kind_idx
                continue
            nxt = items[i + 1] if i + 1 < len(items) else None
            if (nxt is not None and nxt.type == it.type == "word" and nxt.key in self.lex.kinds
                    and (_NUMBERISH.fullmatch(it.key) or _COUNT_RE.fullmatch(it.key))):
                # "visit Acme 3 calls": a second activity, else taken into a new customer's
                # name or, after a known one, the note, uncounted. One activity per /log.
                raise self.fail("ambiguous", self.example(replace={i: "", i + 1: ""}),
                                field="kind", word=self.body[it.start:nxt.end])
            n = self._count(it, kind, adjacent=abs(i - kind_idx) == 1)
            if n is not None:
                if not 1 <= n <= MAX_COUNT:
                    raise self.fail("bad_count", self.example(replace={i: ""}),
                                    word=it.text, max=str(MAX_COUNT))
                if count is not None:
                    raise duplicate("count", i)
                count, run_open = n, False
                continue
            # A plain word: part of the customer, or the start of a free-text note.
            if run_open or i < kind_idx or (not have_customer and not field_after_kind):
                if named_customer is not None:
                    notes.append(it.text)
                else:
                    customer_parts.append(it)
                    last_customer_idx, run_open = i, True
                continue
            notes.append(self._rest(i))  # verbatim, fields inside it included
            break

        customer = named_customer
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
            amount=amount.value if amount else None,
            new_customer=new_customer if kind.tracks_new_customer else None,
            note=note,
            currency=amount.currency if amount and amount.currency != self.currency else None,
        )

    def _rest(self, i: int) -> str:
        """The line from item `i` to the last item, as typed: a note."""
        return self.body[self.items[i].start:self.items[-1].end].strip()

    def _date(self, i: int, found: DateHit | DateRefusal) -> date:
        """The day a date item names, or the refusal its reader gave, with an example."""
        if isinstance(found, DateHit):
            return found.day
        word = found.text
        if found.reason == "two_dates":
            raise self.fail("ambiguous", self.example(replace={i: ""}), field="date", word=word)
        if found.reason == "name_or_date":  # 今日头条: quote the whole name in the example
            name = self.items[i + 1] if i + 1 < len(self.items) else None
            glued = name is not None and name.start == found.end and name.type == "word"
            fix = {i: f'"{word}{name.text}"', i + 1: ""} if glued and name else {i: f'"{word}"'}
            raise self.fail("name_or_date", self.example(replace=fix), word=word)
        if found.reason == "vague":
            raise self.fail("vague_date", self.example(replace={i: _day_in(word, self.lang)}),
                            word=word)
        fix = self.example(replace={i: self.ph["today"]})
        if found.reason == "future":
            day = {"day": found.day.isoformat()} if found.day else {}
            raise self.fail("future_date", fix, word=word, today=self.today.isoformat(), **day)
        if found.reason == "too_old" and found.day:
            raise self.fail("too_old", fix, word=word, day=found.day.isoformat(),
                            oldest=one_year_before(self.today).isoformat())
        if found.reason == "weekday_mismatch" and found.day:
            raise self.fail("weekday_mismatch", fix, word=word, day=found.day.isoformat(),
                            today=self.today.isoformat())
        raise self.fail("bad_date", fix, word=word)

    def _amount(self, i: int, found: AmountHit | AmountRefusal, kind: Kind,
                label: str) -> AmountHit:
        if not kind.needs_amount:
            raise self.fail("amount_not_allowed", self.example(replace={i: ""}),
                            word=found.text, kind_id=kind.id, kind=label)
        if isinstance(found, AmountHit):
            return found
        if found.reason == "two_amounts":
            raise self.fail("ambiguous", self.example(replace={i: ""}), field="amount",
                            word=found.text)
        code = "ambiguous_amount" if found.reason == "ambiguous_number" else "bad_amount"
        raise self.fail(code, self.example(replace={i: self.ph["amount"]}), word=found.text)

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


# A vague period said as a day of it, for the corrected example: "last week" -> "last friday".
_DAY_OF_PERIOD = (
    (re.compile(r"\b(last|past|previous|this) week\b", re.I), r"\1 friday"),
    (re.compile(r"\b(last|past|previous|this) month\b", re.I), r"the 1st of \1 month"),
    (re.compile(r"([上本这])(个)?(周|星期|礼拜)$"), r"\1\2\3五"),
    (re.compile(r"([上本这])(个)?月$"), r"\1\2月1号"),
)


def _day_in(phrase: str, lang: str) -> str:
    for pattern, day in _DAY_OF_PERIOD:
        if pattern.search(phrase):
            return pattern.sub(day, phrase)
    return _PLACEHOLDER[lang]["today"]
