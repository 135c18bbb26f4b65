"""Block Kit for /log: confirmations, errors, lists and help."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.calendar.periods import week_bounds
from bot.grammar.kinds import kind_label
from bot.grammar.log import LogParseError
from bot.i18n import Raw, format_day, format_money, slack_escape, t
from bot.render.blocks import SECTION_LIMIT, context, error_section, message, section

if TYPE_CHECKING:
    from bot.services.activity import Logged

UNDO_ACTION = "log_undo"
PICK_ACTION = "log_pick"  # + ":<n>", one per button (action ids must differ in a block)
BUTTON_TEXT = 70  # Slack's limit for a button's text is 75 characters
LIST_LINES = 40


def what(lang: str, kind: str, count: int) -> str:
    name = t(lang, f"kinds.{kind}.{'one' if count == 1 else 'many'}")
    return t(lang, "count.kind", count=count, name=Raw(name))


def _summary(lang: str, *, kind: str, count: int, customer: str | None, day: date,
             amount: Decimal | None, new_customer: bool | None, currency: str,
             year: bool = False, no_objections: bool = False) -> dict:
    return {"what": Raw(_what(lang, kind, count)), "customer": customer,
            "day": Raw(_day(day, lang, year)),
            "amount": Raw(_money(str(amount), currency, lang)) if amount is not None else "",
            "new_customer": new_customer, "amount_due": "", "due": "",
            "no_objections": no_objections}


# A confirmation's texts that hold nothing a person typed, kept once made: /log's
# confirmations say the same few counts, days, sums and paces over and over, and making
# them (a catalogue's template, CLDR's formats) was most of a confirmation's rendering.
# (Amounts by their exact text: `str` of a Decimal gives it back digit for digit.)
@lru_cache(maxsize=1024, typed=True)
def _what(lang: str, kind: str, count: int) -> str:
    return what(lang, kind, count)


@lru_cache(maxsize=1024, typed=True)
def _day(day: date, lang: str, year: bool = False) -> str:
    return format_day(day, lang, year=year)


@lru_cache(maxsize=1024, typed=True)
def _money(amount: str, currency: str, lang: str) -> str:
    return format_money(Decimal(amount), currency, lang)


_CUSTOMER = Raw("\x00customer\x00")  # where the headline's customer goes (see _saved)


def _saved(lang: str, fields: dict) -> str:
    """t(lang, "log.saved", **fields), kept once made with the customer's name left out (the
    one thing in it a person typed: it is put in afresh, escaped as t escapes it)."""
    customer = fields["customer"]
    if not customer:
        return _saved_kept(lang, tuple((k, type(v), v) for k, v in fields.items()))
    if type(customer) is not str or "\x00" in customer:
        return t(lang, "log.saved", **fields)
    text = _saved_kept(lang, tuple((k, type(v), v) for k, v in
                                   {**fields, "customer": _CUSTOMER}.items()))
    if text.startswith(_CUSTOMER) or text.endswith(_CUSTOMER):  # t would strip its spaces
        return t(lang, "log.saved", **fields)
    return text.replace(_CUSTOMER, slack_escape(customer))


@lru_cache(maxsize=1024)
def _saved_kept(lang: str, fields: tuple[tuple[str, type, object], ...]) -> str:
    return t(lang, "log.saved", **{k: v for k, _, v in fields})


@lru_cache(maxsize=1024, typed=True)
def _points(lang: str, day: str, week_label: str, points: int, touches: int, target: int,
            status: str) -> str:
    return t(lang, "log.points", day=Raw(day), week_label=Raw(week_label), points=points,
             touches=touches, target=target, status=Raw(t(lang, f"status.{status}")))


def log_saved_blocks(lang: str, logged: Logged) -> dict:
    """The private confirmation: exactly what was recorded and how it moved the day and week."""
    activity, created, link, currency = (logged.activity, logged.created, logged.link,
                                         logged.currency)
    day_total, week_total, today = logged.day_total, logged.week_total, logged.today
    points, pace, on_team = logged.points, logged.pace, logged.on_team
    # An amount in another currency is shown in it, and left out of the team's totals.
    foreign = activity.currency
    fields = _summary(lang, kind=activity.kind, count=activity.count,
                      customer=activity.customer, day=activity.occurred_on,
                      amount=activity.amount, new_customer=activity.new_customer,
                      currency=foreign or currency,
                      year=activity.occurred_on.year != today.year,
                      no_objections=bool(activity.no_objections))
    if activity.amount_due is not None:
        fields["amount_due"] = Raw(_money(str(activity.amount_due), currency, lang))
    if activity.due_on is not None:
        fields["due"] = Raw(_day(activity.due_on, lang))
    headline = ("✅ " if created else "↩️ ") + _saved(lang, fields)
    blocks = [section(headline)]
    if activity.note:
        blocks.append(section("> " + t(lang, "log.note", note=activity.note)))
    day = activity.occurred_on
    monday = week_bounds(day)[0]
    labels = {
        "day": Raw(t(lang, "log.day_today") if day == today else _day(
            day, lang, day.year != today.year)),
        "week_label": Raw(t(lang, "log.week_this") if monday == week_bounds(today)[0]
                          else t(lang, "log.week_of", start=Raw(_day(
                              monday, lang, monday.year != today.year)))),
    }
    if activity.amount is not None and not foreign:
        line = t(lang, "log.totals_amount", **labels,
                 today=Raw(_what(lang, activity.kind, day_total.count)),
                 week=Raw(_what(lang, activity.kind, week_total.count)),
                 today_amount=Raw(_money(str(day_total.amount or 0), currency, lang)),
                 week_amount=Raw(_money(str(week_total.amount or 0), currency, lang)))
    else:
        line = t(lang, "log.totals", **labels,
                 today=Raw(_what(lang, activity.kind, day_total.count)),
                 week=Raw(_what(lang, activity.kind, week_total.count)))
    notes = [line, _points(lang, labels["day"], labels["week_label"], points, pace.done,
                           pace.target, pace.status)]
    if foreign and activity.amount is not None:
        notes.insert(0, t(lang, "log.foreign_currency", currency=foreign,
                          team_currency=currency))
    if not created:
        notes.insert(0, t(lang, "log.duplicate"))
    if not on_team:
        notes.append(t(lang, "log.no_team"))
    if link is not None and link.customer is not None:
        stage = Raw(t(lang, f"stages.{link.customer.stage}"))
        if link.created:
            notes.append(t(lang, "log.customer_new", name=link.customer.name, stage=stage))
        elif link.moved_to:
            notes.append(t(lang, "log.customer_moved", name=link.customer.name, stage=stage))
    blocks.append(context(*notes))
    if link is not None and link.candidates:
        blocks.append(section(t(lang, "log.pick_question", name=activity.customer,
                                kind=kind_label(activity.kind, lang))))
        options = [(c.name, f"{activity.id}:{c.id}") for c in link.candidates]
        options.append((t(lang, "log.pick_new", name=activity.customer), f"{activity.id}:new"))
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": f"{PICK_ACTION}:{i}", "value": value,
             "text": {"type": "plain_text", "text": label[:BUTTON_TEXT]}}
            for i, (label, value) in enumerate(options)]})
    if activity.deleted_at is None:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "action_id": UNDO_ACTION, "value": str(activity.id),
            "text": {"type": "plain_text", "text": t(lang, "log.undo_button")}}]})
    return message(headline, blocks)


def log_error_blocks(lang: str, error: LogParseError) -> dict:
    """A private, specific error with a corrected example; params shown in the user's words."""
    params: dict[str, object] = dict(error.params)
    if error.params.get("kind_id"):
        params["kind"] = Raw(t(lang, f"kinds.{error.params['kind_id']}.one"))
    if error.params.get("day"):
        day = date.fromisoformat(error.params["day"])
        this_year = error.params.get("today", "")[:4] == str(day.year)
        params["day"] = Raw(format_day(day, lang, year=not this_year))
    text = "⚠️ " + t(lang, f"errors.{error.code}", p=params)
    blocks = [error_section(text), section(t(lang, "errors.try", example=error.example)),
              context(t(lang, "errors.more"))]
    return message(text, blocks)


def help_blocks(lang: str) -> dict:
    text = t(lang, "log.help")
    return message(text, [section(text)])


def undone_text(lang: str, activity, currency: str) -> str:
    return "↩️ " + t(lang, "log.undone", **_summary(
        lang, kind=activity.kind, count=activity.count, customer=activity.customer,
        day=activity.occurred_on, amount=activity.amount, new_customer=activity.new_customer,
        currency=activity.currency or currency))


def log_list_blocks(lang: str, *, period: str, start: date, end: date, rows: Sequence,
                    total: int, totals: Sequence[tuple[str, int, Decimal | None]],
                    currency: str) -> dict:
    period_name = Raw(t(lang, f"log.period_{period}"))
    title = t(lang, "log.list_title", period=period_name, start=Raw(format_day(start, lang)),
              end=Raw(format_day(end, lang)))
    if not rows:
        text = t(lang, "log.list_empty", period=period_name)
        return message(text, [section(text)])
    lines = [t(lang, "log.list_line", day=Raw(format_day(r.occurred_on, lang)),
               what=Raw(what(lang, r.kind, r.count)), customer=r.customer,
               amount=Raw(format_money(r.amount, r.currency or currency, lang))
               if r.amount is not None else "",
               note=r.note) for r in rows[:LIST_LINES]]
    blocks = [section(f"*{title}*")]
    chunk: list[str] = []
    for line in lines:  # keep each section under Slack's text limit
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append("• " + line)
    blocks.append(section("\n".join(chunk)))
    summary = " · ".join(
        t(lang, "log.list_total", what=Raw(what(lang, kind, count)),
          amount=Raw(format_money(amount, currency, lang)) if amount else "")
        for kind, count, amount in totals)
    notes = [t(lang, "log.list_totals", totals=Raw(summary))]
    if total > len(lines):
        notes.append(t(lang, "log.list_more", n=total - len(lines)))
    notes.append(t(lang, "log.list_footer"))
    blocks.append(context(*notes))
    return message(title, blocks)
