"""Block Kit for action items: `/actions` lists, the due reminders, done and undo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.i18n import Raw, format_day, t
from bot.render.blocks import context, mention, message, section
from bot.render.forms import plain
from store.models import ActionItem

DONE_ACTION = "action_done"
REOPEN_ACTION = "action_reopen"
LIST_LIMIT = 20  # items with a button each; the rest are listed as text


def item_text(lang: str, item: ActionItem, today: date, *, owner: bool = True) -> str:
    state = ("done" if item.status == "done" else "overdue" if item.due_on < today
             else "today" if item.due_on == today else "open")
    return t(lang, f"act.line_{state}", text=item.text, due=Raw(format_day(item.due_on, lang)),
             measure=item.measure, owner=mention(item.owner_user_id) if owner else "",
             rep=mention(item.rep_user_id) if item.rep_user_id != item.owner_user_id else "")


def _button(lang: str, item: ActionItem, origin: str) -> dict:
    done = item.status == "done"
    button = {"type": "button", "action_id": REOPEN_ACTION if done else DONE_ACTION,
              "value": f"{origin}:{item.id}",
              "text": plain(t(lang, "act.reopen" if done else "act.done"))}
    return button if done else button | {"style": "primary"}


def _row(lang: str, item: ActionItem, today: date, origin: str, editable: bool) -> dict:
    block = section(item_text(lang, item, today))
    if editable:
        block["accessory"] = _button(lang, item, origin)
    return block


def list_blocks(lang: str, *, today: date, mine: Sequence[ActionItem],
                team: dict[str, Sequence[ActionItem]], editable: set[int], origin: str,
                title_user: str | None = None, for_me: Sequence[ActionItem] = ()) -> dict:
    """`/actions`: my items, those others agreed to do for me, then (managers) each rep's,
    each with a Done button where the reader may press it."""
    title = (t(lang, "act.title_rep", rep=mention(title_user)) if title_user
             else t(lang, "act.title"))
    blocks: list[dict] = [section(f"*{title}*")]
    shown = 0
    groups = ([(None, mine)] if mine or not (team or for_me) else [])
    groups += [("", for_me)] if for_me else []
    for rep, items in groups + sorted(team.items()):
        if rep == "":
            blocks.append(section(f"*{t(lang, 'act.for_me')}*"))
        elif rep is not None:
            blocks.append(section(f"*{t(lang, 'act.team_rep', rep=mention(rep))}*"))
        if not items:
            blocks.append(section(t(lang, "act.none")))
        rest = []
        for item in items:
            if shown < LIST_LIMIT and len(blocks) < 45:
                blocks.append(_row(lang, item, today, origin, item.id in editable))
                shown += 1
            else:
                rest.append("• " + item_text(lang, item, today))
        if rest:
            blocks.append(context(t(lang, "act.more", count=len(rest))))
    blocks.append(context(t(lang, "act.footer")))
    return message(title, blocks[:50])


def reminder_blocks(lang: str, item: ActionItem, *, today: date, when: str) -> dict:
    """The DM to an item's owner a working day before it is due (when="tomorrow"), or on
    the day (when="today")."""
    text = t(lang, f"act.remind_{when}", text=item.text,
             due=Raw(format_day(item.due_on, lang)), measure=item.measure)
    return message(text.replace("*", ""), [
        _row(lang, item, today, "dm", True) | {"text": section(text)["text"]},
        context(t(lang, "act.remind_why"))])


def done_blocks(lang: str, item: ActionItem, today: date) -> dict:
    """A reminder DM once its item is done (or reopened): the item with the other button."""
    text = item_text(lang, item, today, owner=False)
    return message(text.replace("*", ""), [_row(lang, item, today, "dm", True)])
