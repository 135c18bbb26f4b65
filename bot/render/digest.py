"""Block Kit for a person's daily digest: the reminders and alerts collected since the last
one, each with its own blocks (so its buttons, e.g. the check-in's "Open form", work from the
digest as they do alone), under a line saying when it fell due and what it is.

A message holds 50 blocks: items past that are listed by their text, and the App Home and the
commands still reach everything. Copied blocks lose their block_id (two items may carry the
same one, and a message's block ids must differ) and headers become bold sections.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from bot.i18n import Raw, format_day, t
from bot.render.actions import DONE_ACTION, REOPEN_ACTION
from bot.render.blocks import context, section, unstarred
from bot.render.forms import plain
from bot.render.home import ORIGIN as HOME
from store.digests import Item

MAX_BLOCKS = 50  # Slack's limit for a message
KINDS = {"checkin-reminder": "digest.kind_checkin_reminder",  # what each job's item is
         "friday-brief": "digest.kind_friday_brief", "alerts": "digest.kind_alerts",
         "actions": "digest.kind_actions"}


# Buttons that redraw the message they are in (an action item's Done, from its reminder DM):
# in a digest they would replace the whole digest, so they act as from the App Home instead
# (the item is marked and the Home republished; the digest stays).
IN_PLACE = frozenset({DONE_ACTION, REOPEN_ACTION})


def _element(element: dict) -> dict:
    if element.get("action_id") in IN_PLACE and element.get("value", "").startswith("dm:"):
        return element | {"value": f"{HOME}:" + element["value"][3:]}
    return element


def _copy(block: dict) -> dict:
    if block.get("type") == "header":
        return section(f"*{block['text']['text']}*")
    copied = {k: v for k, v in block.items() if k != "block_id"}
    if "accessory" in copied:
        copied["accessory"] = _element(copied["accessory"])
    if "elements" in copied and copied.get("type") == "actions":
        copied["elements"] = [_element(e) for e in copied["elements"]]
    return copied


def _kind(lang: str, job: str) -> str:
    return t(lang, KINDS.get(job, "digest.kind_other"))


def digest_blocks(lang: str, *, items: Sequence[Item], day: date, tz: ZoneInfo) -> dict:
    """The digest of `day` (the person's zone `tz`) listing `items`, oldest first."""
    title = t(lang, "digest.title", day=Raw(format_day(day, lang)))
    blocks: list[dict] = [{"type": "header", "text": plain(unstarred(title)[:150])},
                          context(t(lang, "digest.intro", count=len(items)))]
    rest: list[str] = []
    room = MAX_BLOCKS - len(blocks) - 2  # the footer, and a list of what did not fit
    for item in items:
        when = item.due_at.astimezone(tz)
        head = t(lang, "digest.item", kind=Raw(_kind(lang, item.job)),
                 when=Raw(f"{format_day(when.date(), lang)} {when:%H:%M}"))
        own = [_copy(b) for b in item.blocks] or [section(item.text)]
        if rest or len(own) + 2 > room:
            rest.append(f"• {head}: {item.text}")
            continue
        blocks += [{"type": "divider"}, context(head), *own]
        room -= len(own) + 2
    if rest:
        blocks.append(section(t(lang, "digest.more", count=len(rest)) + "\n" + "\n".join(rest)))
    blocks.append(context(t(lang, "digest.footer")))
    return {"text": t(lang, "digest.text", count=len(items)), "blocks": blocks}

