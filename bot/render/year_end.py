"""Block Kit for the year end (bot/jobs/year_end.py): each manager gets a rep's annual grade
with the quarters behind it, the bonus signal and the recommendations with their reasons; the
rep their annual grade; HR the team's summary. Recommendations are suggestions: nothing is
applied, no money moves."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Raw, format_number, format_period, t
from bot.render.blocks import context, header, section
from bot.render.reports import _sections
from bot.render.review import dm, mention
from bot.scoring.annual import AnnualResult
from bot.scoring.recommend import MANAGEMENT_TRAINEE, PROMOTION
from bot.scoring.rules import Rules
from store.models import AnnualReview


def _quarters(lang: str, result: AnnualResult, appealed: dict[str, str]) -> Raw:
    """"Q1 2026 A · Q2 2026 B (C before the appeal) · ..."."""
    return Raw(" · ".join(
        t(lang, "year.quarter", period=format_period(q.period.label, lang), grade=q.grade,
          before=appealed.get(q.period.label, ""))
        for q in result.quarters))


def _reasons(lang: str, result: AnnualResult, rules: Rules) -> list[str]:
    """Each recommendation with why, and why an S is not (yet) a promotion candidate."""
    kinds = {r.kind for r in result.recommendations}
    threshold = format_number(rules.recommend.promotion_collaboration, lang)
    collaboration = (format_number(result.collaboration, lang)
                     if result.collaboration is not None else "")
    lines = []
    if PROMOTION in kinds:
        lines.append(t(lang, "year.promotion", collaboration=collaboration,
                       threshold=threshold))
    elif result.grade == "S":
        lines.append(t(lang, "year.no_promotion", collaboration=collaboration,
                       threshold=threshold))
    if MANAGEMENT_TRAINEE in kinds and result.previous is not None:
        lines.append(t(lang, "year.trainee", before=result.previous.grade,
                       last=result.previous.period.label, grade=result.grade,
                       year=result.year.label))
    return lines


def manager_blocks(lang: str, *, rep: str, result: AnnualResult, appealed: dict[str, str],
                   rules: Rules) -> dict:
    title = t(lang, "year.manager_title", rep=mention(rep), year=result.year.label,
              grade=result.grade)
    lines = [t(lang, "year.from_quarters", quarters=_quarters(lang, result, appealed),
               mean=format_number(result.mean, lang, decimals=2), grade=result.grade),
             t(lang, f"year.bonus_{result.bonus_signal}", months=result.bonus_months)]
    reasons = _reasons(lang, result, rules)
    lines.append(f"*{t(lang, 'year.recommendations')}*\n" + "\n".join(
        f"• {r}" for r in reasons) if reasons else t(lang, "year.none"))
    return dm(title, lines, note=t(lang, "year.manager_note"))


def rep_blocks(lang: str, *, rep: str, result: AnnualResult, appealed: dict[str, str]) -> dict:
    text = t(lang, "year.rep_title", year=result.year.label, grade=result.grade)
    return dm(text, [t(lang, "year.from_quarters", quarters=_quarters(lang, result, appealed),
                       mean=format_number(result.mean, lang, decimals=2),
                       grade=result.grade),
                     t(lang, "year.rep_body")])


def summary_blocks(lang: str, *, team: str, year: int, rows: Sequence[AnnualReview]) -> dict:
    """To HR (the admins), once every rep of the team has their year."""
    title = t(lang, "year.summary_title", team=team, year=year)
    lines = [t(lang, "year.summary_line", rep=mention(r.user_id), grade=r.grade,
               bonus=Raw(t(lang, f"year.signal_{r.bonus_signal}")),
               recs=Raw(", ".join(t(lang, f"year.kind_{k}") for k in r.recommendations.split())
                        or "—"), quarters=r.quarters) for r in rows]
    return {"text": title, "blocks": [header(title[:150]), *_sections(lines),
                                      section(t(lang, "year.summary_export", year=year)),
                                      context(t(lang, "year.manager_note"))]}
