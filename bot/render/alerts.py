"""Block Kit for the alerts job's DMs (bot/jobs/alerts.py): to a rep about their idle leads,
to managers about growth, idle leads, mid-week pace and deals bunched at period end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.i18n import Raw, format_day, format_money, format_percent, format_period, t
from bot.render.blocks import context, mention, section
from bot.render.lead import _stage

MAX_LISTED = 15  # leads or reps shown in one DM; the rest are counted


def _percent(share: float, lang: str) -> Raw:
    return Raw(format_percent(share, lang))


def _growth(value: float | None, lang: str) -> Raw | None:
    if value is None:
        return None
    return Raw(format_percent(value, lang, decimals=1, fixed=True, sign=True))


def _message(text: str, lines: Sequence[str], *extra: dict) -> dict:
    """A section per chunk of lines (Slack caps a section's text), then the rest."""
    blocks, chunk = [], ""
    for line in lines:
        if chunk and len(chunk) + len(line) + 1 > 2800:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return {"text": text, "blocks": blocks + [b for b in extra if b]}


def growth_blocks(lang: str, *, team: str, weeks: Sequence[tuple[date, int, float | None]],
                  limit: int) -> dict:
    """weeks: (Monday, new customers, growth on the week before or None), oldest first."""
    lines = [t(lang, "alerts.growth.body", team=team, limit=limit)]
    lines += [t(lang, "alerts.growth.week", start=Raw(format_day(start, lang)), count=count,
                growth=_growth(growth, lang)) for start, count, growth in weeks]
    return _message(t(lang, "alerts.growth.text", team=team, limit=limit), lines,
                    section(t(lang, "alerts.growth.tip")),
                    context(t(lang, "alerts.growth.why", limit=limit)))


@dataclass(frozen=True)
class LeadLine:
    name: str
    owner: str
    stage: str
    key: bool
    since: datetime  # the last touch (aware)
    hours: int  # since then, as of now


def _since(at: datetime, tz: ZoneInfo, lang: str) -> Raw:
    local = at.astimezone(tz)
    return Raw(f"{format_day(local.date(), lang)} {local:%H:%M}")


def idle_rep_blocks(lang: str, *, leads: Sequence[LeadLine], hours: int, tz: ZoneInfo) -> dict:
    """To the owner: their leads that just went over `hours` without a touch."""
    shown = leads[:MAX_LISTED]
    lines = [t(lang, "alerts.idle_rep.body", count=len(leads), hours=hours)]
    lines += [t(lang, "alerts.idle_rep.line", name=lead.name, stage=_stage(lang, lead.stage),
                key_account=lead.key, since=_since(lead.since, tz, lang), hours=lead.hours)
              for lead in shown]
    if len(leads) > len(shown):
        lines.append(t(lang, "alerts.idle_rep.more", count=len(leads) - len(shown)))
    return _message(t(lang, "alerts.idle_rep.text", count=len(leads), hours=hours), lines,
                    context(t(lang, "alerts.idle_rep.why")))


def idle_manager_blocks(lang: str, *, team: str, leads: Sequence[LeadLine],
                        hours: int) -> dict:
    """To the managers: leads still untouched after `hours`, with their owners."""
    shown = leads[:MAX_LISTED]
    lines = [t(lang, "alerts.idle_mgr.body", team=team, count=len(leads), hours=hours)]
    lines += [t(lang, "alerts.idle_mgr.line", name=lead.name, owner=mention(lead.owner),
                stage=_stage(lang, lead.stage), key_account=lead.key, hours=lead.hours)
              for lead in shown]
    if len(leads) > len(shown):
        lines.append(t(lang, "alerts.idle_mgr.more", count=len(leads) - len(shown)))
    return _message(t(lang, "alerts.idle_mgr.text", team=team, count=len(leads), hours=hours),
                    lines, context(t(lang, "alerts.idle_mgr.why")))


@dataclass(frozen=True)
class PaceLine:
    user_id: str
    done: int
    expected: int
    target: int


def pace_blocks(lang: str, *, team: str, week_start: date, behind: Sequence[PaceLine],
                at: time) -> dict:
    lines = [t(lang, "alerts.pace.body", team=team, count=len(behind),
               start=Raw(format_day(week_start, lang)))]
    lines += [t(lang, "alerts.pace.line", rep=mention(p.user_id), done=p.done,
                expected=p.expected, target=p.target) for p in behind[:MAX_LISTED]]
    return _message(t(lang, "alerts.pace.text", team=team, count=len(behind)), lines,
                    section(t(lang, "alerts.pace.tip")),
                    context(t(lang, "alerts.pace.why", time=Raw(at.strftime("%H:%M")))))


@dataclass(frozen=True)
class Split:
    user_id: str  # "" for the team
    total: Decimal
    tail: Decimal
    deals: int
    tail_deals: int

    @property
    def share(self) -> float:
        return float(self.tail / self.total) if self.total else 0.0


def bunched_blocks(lang: str, *, team: str, period: str, currency: str, days: int,
                   whole: Split, reps: Sequence[Split]) -> dict:
    """Deal value bunched in a period's last days: the team's figures, and the reps'."""
    def money(value: Decimal) -> Raw:
        return Raw(format_money(value, currency, lang))

    period = format_period(period, lang)
    lines = [t(lang, "alerts.bunched.body", team=team, period=period),
             t(lang, "alerts.bunched.team_line", tail=money(whole.tail), total=money(whole.total),
               share=_percent(whole.share, lang), days=days, deals=whole.deals,
               tail_deals=whole.tail_deals)]
    if reps:
        lines.append(t(lang, "alerts.bunched.rep_intro", days=days))
        lines += [t(lang, "alerts.bunched.rep_line", rep=mention(r.user_id), tail=money(r.tail),
                    total=money(r.total), share=_percent(r.share, lang), deals=r.deals,
                    tail_deals=r.tail_deals) for r in reps[:MAX_LISTED]]
    return _message(t(lang, "alerts.bunched.text", team=team, period=period, days=days,
                      share=_percent(whole.share, lang)), lines,
                    section(t(lang, "alerts.bunched.tip")),
                    context(t(lang, "alerts.bunched.why", days=days)))
