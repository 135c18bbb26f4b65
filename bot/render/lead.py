"""Block Kit for /lead: lists, a lead's history, and 'which customer did you mean?'."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.i18n import Raw, format_date, t
from bot.render.blocks import context, message, section
from store.customers import idle_hours

PICK_ACTION = "lead_pick"  # + ":<n>"


def _stage(lang: str, stage: str) -> Raw:
    return Raw(t(lang, f"stages.{stage}"))


def lead_list_blocks(lang: str, *, rows: Sequence, now: datetime, whose: str | None,
                     team: str, idle: Mapping[int, int] | None = None) -> dict:
    """`idle`: the leads waiting for a follow-up over 48 working hours (bot/services/idle.py,
    the rule the points charge), by id, with the working hours they waited."""
    idle = idle or {}
    title = t(lang, "lead.list_title_mine" if whose else "lead.list_title_team", team=team,
              user=Raw(f"<@{whose}>") if whose else "")
    if not rows:
        text = t(lang, "lead.list_empty")
        return message(text, [section(f"*{title}*"), section(text)])
    lines = []
    for c in rows:
        waited = idle.get(c.id)
        hours = waited if waited is not None else int(idle_hours(c, now))
        lines.append("• " + t(lang, "lead.list_line", name=c.name, stage=_stage(lang, c.stage),
                              tier=Raw(t(lang, f"tiers.{c.tier}")),
                              owner=Raw(f"<@{c.owner_user_id}>") if c.owner_user_id else "",
                              hours=hours, idle=waited is not None))
    return message(title, [section(f"*{title}*"), section("\n".join(lines)),
                           context(t(lang, "lead.list_footer"))])


def lead_detail_blocks(lang: str, *, customer, changes: Sequence, now: datetime) -> dict:
    head = t(lang, "lead.detail", name=customer.name, stage=_stage(lang, customer.stage),
             tier=Raw(t(lang, f"tiers.{customer.tier}")),
             owner=Raw(f"<@{customer.owner_user_id}>") if customer.owner_user_id else "",
             source=customer.source or "", hours=int(idle_hours(customer, now)),
             reason=customer.lost_reason or "")
    lines = [t(lang, "lead.history_line", at=Raw(format_date(c.at.date(), lang)),
               from_stage=_stage(lang, c.from_stage) if c.from_stage else "",
               to_stage=_stage(lang, c.to_stage),
               by=Raw(f"<@{c.by_user_id}>") if c.by_user_id else "") for c in changes]
    return message(head, [section(head), context(*lines[:10])] if lines else [section(head)])


def pick_blocks(lang: str, *, name: str, candidates: Sequence, args: list[str]) -> dict:
    text = t(lang, "lead.pick", name=name)
    buttons = [{"type": "button", "action_id": f"{PICK_ACTION}:{i}",
                "text": {"type": "plain_text", "text": c.name[:70]},
                "value": json.dumps({"args": args, "id": c.id}, ensure_ascii=False)[:2000]}
               for i, c in enumerate(candidates)]
    return message(text, [section(text), {"type": "actions", "elements": buttons}])
