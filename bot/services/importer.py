"""`pacer import deals|payments|leads FILE.csv`: CRM rows into Pacer, all or nothing.

The whole file is read and every row checked before anything is written; then all rows are
applied in one transaction, which a dry run (or any conflict found on the way) rolls back.
Deals and payments are keyed `import:<what>:<external_id>`, so a re-import changes nothing.
Columns and examples: docs/import.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.grammar.amounts import MAX_AMOUNT, parse_amount
from store import imports
from store.activity import IMPORT_PREFIX
from store.customers import name_key
from store.imports import ActivityRow, LeadRow, Outcome, RowError
from store.models import STAGES

WHATS = ("deals", "payments", "leads")
KIND = {"deals": "deal", "payments": "payment"}
MAX_SHOWN_ERRORS = 50

# Column sets: (canonical name, required). Order is the documented order.
FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "deals": (("external_id", True), ("date", True), ("user_id", True), ("customer", True),
              ("amount", True), ("new_customer", False), ("note", False)),
    "payments": (("external_id", True), ("date", True), ("user_id", True), ("customer", True),
                 ("amount", True), ("amount_due", False), ("due_date", False),
                 ("note", False)),
    "leads": (("external_id", True), ("customer", True), ("owner", False), ("stage", False),
              ("tier", False), ("source", False), ("created", False), ("lost_reason", False)),
}

# Other header spellings, matched case-, space- and hyphen-insensitively.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "crm_id", "deal_id", "payment_id", "lead_id", "编号", "外部编号",
                    "外部id", "crm编号", "单号", "合同编号", "回款编号", "线索编号"),
    "date": ("day", "date_won", "won_on", "paid_on", "日期", "签约日期", "成交日期",
             "回款日期"),
    "user_id": ("user", "rep", "rep_id", "slack_id", "销售", "销售id", "用户", "用户id",
                "业务员"),
    "customer": ("customer_name", "company", "account", "client", "客户", "客户名称", "公司"),
    "amount": ("value", "金额", "签约金额", "成交金额", "回款金额", "实收金额"),
    "new_customer": ("new", "new_or_existing", "customer_type", "新客户", "新老客户",
                     "客户类型"),
    "note": ("notes", "comment", "备注", "说明"),
    "amount_due": ("due_amount", "应收金额", "应回款金额", "应收"),
    "due_date": ("due_on", "due_by", "到期日", "到期日期", "应回款日期", "应收日期"),
    "owner": ("owner_id", "owner_user_id", "负责人", "归属销售", "跟进人"),
    "stage": ("status", "阶段", "销售阶段", "状态"),
    "tier": ("level", "级别", "客户级别", "分级", "层级"),
    "source": ("lead_source", "来源", "线索来源", "渠道"),
    "created": ("created_at", "created_on", "created_date", "创建日期", "创建时间"),
    "lost_reason": ("reason", "丢单原因", "输单原因", "流失原因"),
}

STAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "lead": ("new", "prospect", "prospecting", "线索", "新线索", "潜在客户"),
    "contacted": ("qualification", "qualified", "已联系", "初步接触", "接触"),
    "discovery": ("needs_analysis", "需求挖掘", "需求分析", "访谈", "需求确认"),
    "demo": ("presentation", "演示", "方案呈现", "产品演示"),
    "proposal": ("quote", "proposal/price_quote", "方案", "报价", "提案", "方案报价"),
    "negotiation": ("negotiation/review", "谈判", "商务谈判", "合同谈判"),
    "won": ("closed_won", "win", "赢单", "成交", "签约", "已成交"),
    "lost": ("closed_lost", "丢单", "输单", "失败", "已流失"),
}
TIER_ALIASES = {"key": ("vip", "key_account", "重点", "重点客户", "大客户"),
                "standard": ("normal", "regular", "普通", "普通客户", "一般")}
NEW_WORDS = {"new": True, "yes": True, "y": True, "true": True, "1": True, "新": True,
             "新客户": True, "是": True, "existing": False, "old": False, "no": False,
             "n": False, "false": False, "0": False, "老": False, "老客户": False,
             "否": False, "现有客户": False}

MAX_LEN = {"external_id": 100, "customer": 200, "note": 1000, "source": 100,
           "lost_reason": 500}

_USER_RE = re.compile(r"[UW][A-Z0-9]{2,31}")
_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def normal(text: str) -> str:
    """Header and keyword folding: 'External ID', 'external-id', 'EXTERNAL_ID' are one."""
    return re.sub(r"[\s\-]+", "_", text.strip().lstrip("\ufeff").strip()).casefold()


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normal(word): name for name, words in table.items() for word in (name, *words)}


_HEADERS = _lookup(HEADER_ALIASES)
_STAGES = _lookup(STAGE_ALIASES)
_TIERS = _lookup(TIER_ALIASES)


class _Bad(ValueError):
    """One cell's problem; the message leaves out the line and column."""


# --------------------------------------------------------------------------- reading


@dataclass
class Table:
    what: str
    index: dict[str, int]  # canonical column -> position
    written: dict[str, str]  # canonical column -> the header as the file spells it
    records: list[tuple[int, list[str]]]  # (line number, cells)
    width: int = 0  # cells in the header row
    warnings: list[str] = field(default_factory=list)

    def label(self, column: str) -> str:
        written = self.written.get(column, column)
        return written if normal(written) == column else f"{written} ({column})"


def read_table(what: str, text: str) -> tuple[Table, list[str]]:
    """Split the file into a header map and records, with whole-file problems (no header,
    missing required columns); rows are checked by `validate`."""
    table = Table(what, {}, {}, [])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return table, [f"line 1: {exc}"]
    columns = ", ".join(name for name, _ in FIELDS[what])
    if not header or not any(cell.strip() for cell in header):
        return table, [f"the file is empty; the first line must be the header: {columns}"]
    allowed = {name for name, _ in FIELDS[what]}
    table.width = len(header)
    problems: list[str] = []
    for position, cell in enumerate(header):
        if not cell.strip():
            continue  # spreadsheets leave trailing empty headers
        name = _HEADERS.get(normal(cell))
        if name is None or name not in allowed:
            table.warnings.append(f'ignoring column "{cell.strip()}": not a {what} column')
        elif name in table.index:
            problems.append(f'header: "{cell.strip()}" and "{table.written[name]}" are both '
                            f"the {name} column")
        else:
            table.index[name] = position
            table.written[name] = cell.strip()
    missing = [name for name, required in FIELDS[what] if required and name not in table.index]
    if missing:
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
            hint = " (the file looks semicolon- or tab-separated; save it as comma-separated CSV)"
        problems.append(f"header: missing column {', '.join(missing)}; the {what} columns are "
                        f"{columns}{hint}")
    line = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                table.records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(f"line {line}: {exc}")
    return table, problems


# --------------------------------------------------------------------------- cells


def _text(column: str, value: str) -> str:
    limit = MAX_LEN.get(column)
    if limit is not None and len(value) > limit:
        raise _Bad(f"is {len(value)} characters long; the most is {limit}")
    return value


def _date(value: str, today: date | None) -> date:
    m = _DATE_RE.fullmatch(value)
    try:
        day = date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        day = None
    if day is None:
        raise _Bad(f'"{value}" is not a date; write YYYY-MM-DD, e.g. 2026-11-17')
    if today is not None and day > today:
        raise _Bad(f"{day.isoformat()} is in the future (today is {today.isoformat()})")
    return day


def _amount(value: str) -> Decimal:
    amount = parse_amount(value)
    if amount is None:
        raise _Bad(f'"{value}" is not an amount; write 120000, 120k or 12万')
    if amount <= 0:
        raise _Bad(f'"{value}" is not more than 0')
    if amount >= MAX_AMOUNT:
        raise _Bad(f'"{value}" is too large')
    if amount != amount.quantize(Decimal("0.01")):
        raise _Bad(f'"{value}" has more than 2 decimals')
    return amount


def _user(value: str) -> str:
    cleaned = value.strip("<>@ ").split("|")[0].upper()
    if not _USER_RE.fullmatch(cleaned):
        raise _Bad(f'"{value}" is not a Slack user id; write the member id, e.g. U012AB3CD '
                   "(in Slack: profile → ⋯ → Copy member ID)")
    return cleaned


def _new_customer(value: str) -> bool:
    answer = NEW_WORDS.get(normal(value))
    if answer is None:
        raise _Bad(f'"{value}" is not new or existing; write new, existing (新客户, 老客户), '
                   "or leave it blank for Pacer to tell from the customer's earlier deals")
    return answer


def _stage(value: str) -> str:
    stage = _STAGES.get(normal(value))
    if stage is None:
        raise _Bad(f'"{value}" is not a stage; write one of {", ".join(STAGES)}')
    return stage


def _tier(value: str) -> str:
    tier = _TIERS.get(normal(value))
    if tier is None:
        raise _Bad(f'"{value}" is not a tier; write key or standard (重点, 普通)')
    return tier


# --------------------------------------------------------------------------- rows


RowT = ActivityRow | LeadRow
Parse = Callable[[str], object]


def _cell(table: Table, cells: list[str], column: str) -> str:
    position = table.index.get(column)
    return cells[position].strip() if position is not None and position < len(cells) else ""


def _checks(what: str, today: date) -> list[tuple[str, Parse | None, bool]]:
    """(column, parser or None for plain text, required) for every column of a kind."""
    common: list[tuple[str, Parse | None, bool]] = [("external_id", None, True),
                                                    ("customer", None, True)]
    if what == "leads":
        return [*common, ("owner", _user, False), ("stage", _stage, False),
                ("tier", _tier, False), ("source", None, False),
                ("created", lambda v: _date(v, today), False), ("lost_reason", None, False)]
    return [*common, ("date", lambda v: _date(v, today), True), ("user_id", _user, True),
            ("amount", _amount, True), ("new_customer", _new_customer, False),
            ("amount_due", _amount, False), ("due_date", lambda v: _date(v, None), False),
            ("note", None, False)]


def validate(table: Table, *, today: date) -> tuple[list[RowT], list[RowError]]:
    """Every cell of every record checked; a row with any problem is not returned."""
    rows: list[RowT] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}  # external id -> line
    lead_names: dict[str, tuple[int, str]] = {}  # name key -> (line, external id)
    checks = _checks(table.what, today)
    noun = table.what[:-1]
    for line, cells in table.records:
        row_errors: list[RowError] = []
        values: dict[str, object] = {}
        for column, parse, required in checks:
            raw = _cell(table, cells, column)
            values[column] = None
            if not raw:
                if required:
                    row_errors.append(RowError(line, column,
                                               f"is empty; every {noun} needs {_article(column)}"))
                continue
            try:
                values[column] = parse(raw) if parse else _text(column, raw)
            except _Bad as bad:
                row_errors.append(RowError(line, column, str(bad)))
        # Extra cells usually mean an unquoted comma shifted the row; say so when it shows.
        if len(cells) > table.width and (row_errors or any(c.strip()
                                                          for c in cells[table.width:])):
            row_errors.append(RowError(line, "", f"has {len(cells)} values but the header has "
                                       f"{table.width} columns; a value with a comma needs "
                                       'quotes, e.g. "Acme, Inc."'))
        if values.get("lost_reason") and values.get("stage") != "lost":
            row_errors.append(RowError(line, "lost_reason",
                                       "is only for lost leads; set stage to lost"))
        external_id = values["external_id"]
        if isinstance(external_id, str):
            if external_id in first_line:
                row_errors.append(RowError(line, "external_id",
                                           f'"{external_id}" is already on line '
                                           f"{first_line[external_id]}"))
            else:
                first_line[external_id] = line
        customer = values["customer"]
        if table.what == "leads" and isinstance(customer, str) and isinstance(external_id, str):
            seen = lead_names.setdefault(name_key(customer), (line, external_id))
            if seen[1] != external_id:
                row_errors.append(RowError(
                    line, "customer", f'"{customer}" is also on line {seen[0]} with another '
                    "external_id; Pacer keeps one record per customer name"))
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(_row(table.what, line, values))
    return rows, errors


def _article(column: str) -> str:
    return {"external_id": "an external_id", "amount": "an amount", "date": "a date",
            "user_id": "a user_id (the rep's Slack member id)",
            "customer": "a customer"}.get(column, column)


def _row(what: str, line: int, v: dict[str, object]) -> RowT:
    if what == "leads":
        return LeadRow(line=line, external_id=v["external_id"], customer=v["customer"],
                       owner=v["owner"], stage=v["stage"], tier=v["tier"], source=v["source"],
                       created=v["created"], lost_reason=v["lost_reason"])  # type: ignore[arg-type]
    return ActivityRow(line=line, external_id=v["external_id"], day=v["date"],  # type: ignore[arg-type]
                       user_id=v["user_id"], customer=v["customer"], amount=v["amount"],
                       new_customer=v["new_customer"], note=v["note"],
                       amount_due=v["amount_due"], due_on=v["due_date"])


# --------------------------------------------------------------------------- running


class _Rollback(Exception):
    """Leave the import's transaction without committing (dry run, or a conflict)."""


def run_import(deps: Deps, *, what: str, path: str, team: str | None = None,
               workspace: str | None = None, dry_run: bool = False, out: TextIO,
               err: TextIO) -> int:
    """Import one CSV file: 0 done (or dry run fine), 1 the file has errors and nothing was
    written, 2 usage (no such file, no such team)."""
    if what not in FIELDS:
        print(f"pacer import: unknown kind of rows {what!r}; use {', '.join(WHATS)}", file=err)
        return 2
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        print(f"pacer import: cannot read {path}: {exc.strerror or exc}", file=err)
        return 2
    now = deps.clock.now()
    try:
        with deps.sessions() as session:
            target = imports.resolve_team(session, name=team, workspace_id=workspace)
    except imports.TeamChoiceError as exc:
        print(f"pacer import: {exc}", file=err)
        return 2
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        print(f"pacer import: {file.name} is not UTF-8 text (byte {exc.start + 1}); in Excel "
              'use Save As → "CSV UTF-8 (Comma delimited)"', file=err)
        return 1
    table, problems = read_table(what, text)
    for warning in table.warnings:
        print(f"warning: {warning}", file=err)
    if problems:
        for problem in problems:
            print(problem, file=err)
        print(f"nothing imported from {file.name}: fix the file and run again", file=err)
        return 1
    today = now.astimezone(ZoneInfo(target.tz)).date()
    rows, errors = validate(table, today=today)
    # Even with bad rows, the good ones are tried (and rolled back) so that conflicts with
    # what Pacer holds are reported in the same run, not one round of fixes later.
    write = not (dry_run or errors)
    users = sorted({u for r in rows for u in _people(r)})
    outcome = Outcome()
    strangers: list[str] = []
    try:
        with deps.sessions() as session:
            strangers = imports.not_on_team(session, team=target, user_ids=users, now=now)
            if what == "leads":
                outcome = imports.apply_leads(session, team=target, rows=rows, now=now)  # type: ignore[arg-type]
            else:
                outcome = imports.apply_activities(
                    session, team=target, kind=KIND[what], source_prefix=f"{IMPORT_PREFIX}{what}:",
                    rows=rows, text=f"pacer import {what} {file.name}", now=now)  # type: ignore[arg-type]
            if outcome.errors or not write:
                raise _Rollback
    except _Rollback:
        pass
    for user_id in strangers:
        print(f"warning: {user_id} is not on team {target.name}; their rows still count for "
              f"it (add them: pacer team add {target.name} {user_id})", file=err)
    if errors or outcome.errors:
        return _refuse(table, file, errors + outcome.errors, err)
    counts = f"{outcome.new} new, {outcome.unchanged} unchanged, {outcome.updated} updated"
    label = f"{what} from {file.name} into team {target.name}"
    if dry_run:
        print(f"dry run, nothing written: {label} would be {counts}", file=out)
    else:
        print(f"imported {label}: {counts}", file=out)
    if what != "leads" and (outcome.customers_created or outcome.moved_to_won):
        verb = "would be" if dry_run else "were"
        print(f"customers: {outcome.customers_created} {verb} created, "
              f"{outcome.moved_to_won} {verb} moved to won", file=out)
    return 0


def _people(row: RowT) -> Sequence[str]:
    if isinstance(row, LeadRow):
        return [row.owner] if row.owner else []
    return [row.user_id]


def _refuse(table: Table, file: Path, errors: list[RowError], err: TextIO) -> int:
    ordered = sorted(errors, key=lambda e: (e.line, list(table.index).index(e.column)
                                            if e.column in table.index else -1))
    for error in ordered[:MAX_SHOWN_ERRORS]:
        where = f"line {error.line}, column {table.label(error.column)}" if error.column \
            else f"line {error.line}"
        print(f"{where}: {error.message}", file=err)
    if len(ordered) > MAX_SHOWN_ERRORS:
        print(f"… and {len(ordered) - MAX_SHOWN_ERRORS} more", file=err)
    lines = len({e.line for e in errors})
    print(f"nothing imported from {file.name}: {lines} row{'s' if lines != 1 else ''} with "
          "errors; fix them and run again (nothing is written until every row is right)",
          file=err)
    return 1
