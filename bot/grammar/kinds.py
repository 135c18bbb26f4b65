"""The kinds of work a /log line records, with their English and Chinese aliases, and the
plain data the /log grammar hands back: what it read (LogEntry, LogCommand) or why it could
not (LogParseError, ERROR_CODES). Plain data: store/activity.py imports it, so it imports
nothing but the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

# A Chinese character: text holding one is read (and answered) as Chinese.
CHINESE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Kind:
    id: str
    en: tuple[str, ...]
    zh: tuple[str, ...]
    needs_amount: bool = False  # amount required; kinds without it reject amounts
    needs_customer: bool = False
    tracks_new_customer: bool = False  # accepts new/existing customer flags


DEFAULT_KINDS: tuple[Kind, ...] = (
    Kind("call", ("call", "phone"), ("电话", "打电话")),
    Kind("visit", ("visit", "meeting"), ("拜访", "上门")),
    Kind("email", ("email", "mail"), ("邮件",)),
    Kind("discovery", ("discovery", "interview"), ("需求挖掘", "访谈", "深度访谈")),
    Kind("report", ("report", "needs-report", "analysis"), ("需求分析报告", "报告")),
    Kind("demo", ("demo", "presentation"), ("演示", "方案呈现")),
    Kind("objection", ("objection",), ("异议", "异议处理")),
    Kind("followup", ("followup", "follow-up", "follow_up", "follow up"), ("回访", "跟进")),
    Kind("lead", ("lead",), ("线索",), needs_customer=True),
    Kind(
        # "signed": 签约's own English, which reps typed and got "not a kind I know".
        "deal", ("deal", "won", "signed", "signing"), ("签约", "成交"),
        needs_amount=True, needs_customer=True, tracks_new_customer=True,
    ),
    Kind("payment", ("payment", "collected"), ("回款",), needs_amount=True, needs_customer=True),
    # What a customer owes and when (应收账款), paid or not: on-time collection (回款及时率)
    # counts it when due, so an overdue unpaid receivable lowers the rate.
    Kind("receivable", ("receivable", "invoice", "invoiced"), ("应收账款", "开票"),
         needs_amount=True, needs_customer=True),
    Kind("training", ("training",), ("培训",)),
    Kind("certification", ("certification", "cert"), ("认证",)),
)

# The logs that take a due date ("due Nov 30", "11月30日到期"): payments and receivables.
DUE_KINDS: tuple[str, ...] = ("payment", "receivable")

# The logs that are conversations with a customer: the objection KBI judges each of them, and
# only they take "no objections" (seed 001's 异议处理: 每次沟通后更新).
CONVERSATION_KINDS: tuple[str, ...] = ("visit", "call", "demo", "discovery")

# code -> params it carries, all str (plus "lang": "en" | "zh", on every error).
# kind_id is the canonical id, kind its label in the user's language; day/today/oldest are ISO.
ERROR_CODES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "too_long": ("length", "max"),
    "unbalanced_quote": ("quote",),
    "no_kind": (),
    "unknown_kind": ("word", "suggestion"),  # suggestion only when a close match exists
    "bad_date": ("word",),
    "vague_date": ("word",),  # a period (last week, 上个月), not a day
    "weekday_mismatch": ("word", "day", "today"),  # day: the date typed, which is another weekday
    "name_or_date": ("word",),  # 今日头条: a new customer's name, or a date?
    "future_date": ("word", "day", "today"),
    "too_old": ("word", "day", "oldest"),
    "bad_amount": ("word",),
    "ambiguous_amount": ("word",),  # 1.200: 1.2 or 1200?
    "amount_required": ("kind_id", "kind"),
    "amount_not_allowed": ("word", "kind_id", "kind"),
    "customer_required": ("kind_id", "kind"),
    "bad_count": ("word", "max"),
    "customer_too_long": ("length", "max"),
    # Two values for one field, or stray words after list/undo.
    # field: "date" | "amount" | "count" | "new_customer" | "period" | "undo"
    "ambiguous": ("word", "field"),
})


class LogParseError(ValueError):
    def __init__(self, code: str, example: str, **params: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"undocumented error code {code!r}")
        super().__init__(f"{code}: {params}")
        self.code = code
        self.example = example
        self.params = params


@dataclass(frozen=True)
class LogEntry:
    kind: str
    count: int
    customer: str | None
    day: date
    amount: Decimal | None
    new_customer: bool | None
    note: str | None
    amount_due: Decimal | None = None  # payments: what was owed ...
    due_on: date | None = None  # ... and when (for the on-time collection rate)
    currency: str | None = None  # the amount's, when it is not the team's (ISO 4217)
    # A conversation the rep says raised no objections ("no objections", 无异议): it needs no
    # objection log to meet the objection KBI (seed 001: 异议处理, after each conversation).
    no_objections: bool = False


@dataclass(frozen=True)
class LogCommand:
    action: str  # "log" | "undo" | "list" | "help"
    entry: LogEntry | None = None
    period: str | None = None  # for list: "today" | "week" | "month"


def kind_label(kind_id: str, lang: str, kinds: Sequence[Kind] = DEFAULT_KINDS) -> str:
    for k in kinds:
        if k.id == kind_id:
            aliases = k.zh if lang == "zh" else k.en
            return aliases[0] if aliases else k.id
    return kind_id


# What `/log list` takes after it (today, week or month), in both languages.
LIST_PERIODS: Mapping[str, str] = MappingProxyType({
    "today": "today", "day": "today", "今天": "today", "今日": "today",
    "week": "week", "this week": "week", "本周": "week", "这周": "week", "本星期": "week",
    "这星期": "week", "month": "month", "this month": "month", "本月": "month",
    "这个月": "month", "这月": "month",
})
