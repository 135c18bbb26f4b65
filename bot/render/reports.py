"""Block Kit for the scheduled reports (bot/jobs/reports.py): the Friday report DM and channel
summary, and the managers' month-end / quarter-end overview. Scorecards and leaderboards are
bot/render/score.py's."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal

from bot.i18n import Raw, format_day, format_money, format_percent, format_period, t
from bot.render.actions import item_text
from bot.render.blocks import SECTION_LIMIT, context, header, message, section
from bot.render.log import what
from bot.render.score import (
    _num,
    kbi_lines,
    leaderboard_blocks,
    period_name,
    recommendation_text,
)
from bot.scoring.facts import Period
from bot.scoring.leaderboard import Leaderboard
from bot.scoring.recommend import Recommendation
from bot.scoring.targets import MIN_HISTORY_MONTHS
from bot.services.reports import RepReport, TeamReport

TOUCH_KINDS = ("call", "visit", "email")
BRIEF_FIELDS = ("progress", "wins", "blockers", "next_focus")
MAX_SECTIONS = 40  # of Slack's 50 blocks a message, leaving room for the rest
MAX_BLOCKS = 50  # Slack's limit per message


def _sections(lines: Sequence[str]) -> list[dict]:
    """Lines packed into as few sections as fit Slack's 3,000 characters each."""
    blocks: list[dict] = []
    chunk = ""
    for line in lines:
        if chunk and len(chunk) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    return blocks[:MAX_SECTIONS]


def logged_nothing(rep: RepReport) -> bool:
    return not any(rep.facts.totals.values())


# ----------------------------------------------------------------- Friday: a rep's week

def week_dm_blocks(lang: str, *, report: TeamReport, rep: RepReport | None, user_id: str,
                   brief: Mapping[str, str | None], items: Sequence = (),
                   away: bool = False) -> dict:
    """A rep's week; `items` are their open action items due by next week's end (overdue
    ones flagged); `away`: they were away all the week's working days (no nudge to log)."""
    title = t(lang, "reports.week_title", period=Raw(period_name(lang, report)))
    blocks = [header(title)]
    if (rep is None or logged_nothing(rep)) and away:
        logs = t(lang, "reports.week_away")
    elif rep is None or logged_nothing(rep):
        logs = t(lang, "reports.week_no_logs")
    else:
        logs = " · ".join(what(lang, kind, count) for kind, count
                          in sorted(rep.facts.totals.items(), key=lambda kv: -kv[1]) if count)
    blocks.append(section(f"*{t(lang, 'reports.week_logs')}*\n{logs}"))
    if rep is not None:
        f, pts = rep.facts, rep.points
        blocks.append(section("\n".join([
            t(lang, "reports.week_points", total=pts.total, visit_days=pts.visit_days,
              reports=pts.reports, lapses=len(pts.lapses)),
            t(lang, "reports.week_results", deals=f.deals,
              sales=Raw(format_money(f.sales_new + f.sales_repeat, report.currency, lang)),
              new=Raw(format_money(f.sales_new, report.currency, lang)),
              repeat=Raw(format_money(f.sales_repeat, report.currency, lang)),
              customers=f.new_customers,
              collected=Raw(format_money(f.collected, report.currency, lang)))])))
        kbis = kbi_lines(lang, rep.kbis)
        if kbis:
            blocks.append(section(f"*{t(lang, 'reports.week_kbis')}*\n" + "\n".join(kbis)))
    given = [(name, brief.get(name)) for name in BRIEF_FIELDS if brief.get(name)]
    if given:
        lines = [t(lang, f"reports.brief_{name}", text=text) for name, text in given]
        blocks.append(section(f"*{t(lang, 'reports.week_brief')}*\n" + "\n".join(lines)))
    else:
        blocks.append(context(t(lang, "reports.week_no_brief")))
    if items:
        lines = ["• " + item_text(lang, item, report.as_of, owner=False) for item in items]
        blocks += _sections([f"*{t(lang, 'reports.week_items')}*", *lines])[:5]
    blocks.append(context(t(lang, "reports.week_footer")))
    return message(title, blocks)


# ----------------------------------------------------------------- Friday: the channel

def _totals(report: TeamReport | None) -> dict[str, Decimal]:
    found = {"touches": Decimal(0), "deals": Decimal(0), "sales": Decimal(0),
             "new_customers": Decimal(0)}
    for rep in (report.reps.values() if report else ()):
        f = rep.facts
        found["touches"] += sum(f.totals.get(k, 0) for k in TOUCH_KINDS)
        found["deals"] += f.deals
        found["sales"] += f.sales_new + f.sales_repeat
        found["new_customers"] += f.new_customers
    return found


def _change(now: Decimal, before: Decimal, lang: str) -> str:
    if not before:
        return ""  # no percentage of nothing
    return format_percent((now - before) / before, lang, sign=True)


def week_summary_blocks(lang: str, *, report: TeamReport, before: TeamReport | None,
                        board: Leaderboard, top: int = 5, name_quiet: bool = False,
                        away: Collection[str] = ()) -> dict:
    title = t(lang, "reports.summary_title", team=report.team_name,
              period=Raw(period_name(lang, report)))
    now_totals, before_totals = _totals(report), _totals(before)
    lines = []
    for metric, value in now_totals.items():
        shown = (format_money(value, report.currency, lang) if metric == "sales"
                 else _num(value, lang))
        earlier = before_totals[metric]
        lines.append(t(lang, "reports.total_line",
                       metric=Raw(t(lang, f"reports.total_{metric}")), value=Raw(shown),
                       before=Raw(format_money(earlier, report.currency, lang) if metric == "sales"
                                  else _num(earlier, lang)),
                       change=Raw(_change(value, earlier, lang))))
    # Those away all week (/pacer away) were asked for nothing: not counted as quiet.
    quiet = sorted(u for u, rep in report.reps.items() if logged_nothing(rep) and u not in away)
    silent = len(quiet)
    board_part = leaderboard_blocks(lang, report=report, board=board, in_channel=True,
                                    limit=top)["blocks"][1:]  # its title is ours
    blocks = [header(title),
              section(f"*{t(lang, 'reports.summary_totals')}*\n" + "\n".join(lines)),
              section(f"*{t(lang, 'reports.summary_board', top=top)}*"),
              *board_part,
              context(t(lang, "reports.summary_silent", count=silent,
                        reps=len([u for u in report.reps if u not in away]),
                        away=len([u for u in report.reps if u in away]),
                        names=Raw(", ".join(f"<@{u}>" for u in quiet)) if name_quiet else ""))]
    return message(title, blocks)


# ----------------------------------------------------------------- month / quarter end

def overview_blocks(lang: str, *, report: TeamReport, before: TeamReport | None,
                    recommendations: Mapping[str, Sequence[Recommendation]],
                    away: Mapping[str, date] | None = None) -> dict:
    """A manager's overview of the period that ended: every rep's total, grade and bonus,
    best first; at quarter-end, the recommendations under each rep; who is away now, and
    until when (`away`: rep -> last day of leave)."""
    title = t(lang, "reports.overview_title", team=report.team_name,
              period=Raw(period_name(lang, report)))
    earlier = before.values("total") if before else {}
    # Graded reps by total; then the ungraded (no target yet) by what they sold.
    ranked = sorted(report.reps.values(),
                    key=lambda r: (r.card.total is None, -(r.card.total or 0),
                                   -(r.facts.sales_new + r.facts.sales_repeat), r.user_id))
    lines = []
    for place, rep in enumerate(ranked, start=1):
        card, f = rep.card, rep.facts
        bonus = (format_percent(card.bonus_multiplier, lang) if card.bonus_multiplier is not None
                 else "")
        if card.missing:
            lines.append(t(lang, "reports.overview_ungraded_line", place=place,
                           user=Raw(f"<@{rep.user_id}>"), review=card.missing == "quantitative",
                           sales=Raw(format_money(f.sales_new + f.sales_repeat, report.currency,
                                                  lang)),
                           customers=f.new_customers, points=rep.points.total))
        else:
            lines.append(t(lang, "reports.overview_line", place=place,
                           user=Raw(f"<@{rep.user_id}>"), total=_num(card.total, lang),
                           grade=card.grade or "", bonus=bonus,
                           before=_num(earlier.get(rep.user_id), lang),
                           points=rep.points.total))
        for r in recommendations.get(rep.user_id, ()):
            lines.append("    • " + recommendation_text(lang, r))
    if not lines:
        lines = [t(lang, "reports.overview_empty")]
    blocks = [header(title), *_sections(lines), *missing_targets_blocks(lang, report=report)]
    if away:
        blocks.append(section(t(lang, "away.overview", people=Raw(", ".join(
            t(lang, "away.overview_one", user=Raw(f"<@{user}>"),
              last=Raw(format_day(last, lang, year=last.year != report.as_of.year)))
            for user, last in sorted(away.items(), key=lambda kv: (kv[1], kv[0])))))))
    notes = [t(lang, "reports.overview_footer")]
    if report.period.kind == "quarter":
        # Consequences read final grades (after the talk and the appeal window): at
        # quarter-end they are still to come, and the review cycle sends them.
        notes.append(t(lang, "score.recommendations") if any(recommendations.values())
                     else t(lang, "reports.overview_final_note"))
    blocks.append(context(*notes))
    return message(title, blocks)


def missing_targets_blocks(lang: str, *, report: TeamReport) -> list[dict]:
    """The reps whose card went ungraded for lack of a target, and the exact `/target set`
    that grades them: the team default for all, or each rep's own."""
    missing = sorted((r for r in report.reps.values() if r.card.missing), key=lambda r: r.user_id)
    if not missing:
        return []
    label = report.period.label
    lines = [t(lang, "reports.overview_missing", count=len(missing), label=label,
               monthly=report.period.kind == "month")]
    lines += [t(lang, "reports.overview_missing_line", user=Raw(f"<@{r.user_id}>"), label=label,
                span=r.history_months if 0 < r.history_months < MIN_HISTORY_MONTHS else 0)
              for r in missing]
    return [*_sections(lines)[:5],
            context(t(lang, "reports.overview_missing_after", label=label))]


def not_on_team_blocks(lang: str, *, user_id: str, period: Period) -> dict:
    text = t(lang, "score.not_yet", user=Raw(f"<@{user_id}>"),
             period=format_period(period.label, lang))
    return message(text, [section(text)])


# ----------------------------------------------------------------- a channel post's languages

def in_languages(langs: Sequence[str], build: Callable[[str], dict]) -> dict:
    """A channel post in each of `langs` (bot.services.teams.channel_langs), as one message:
    the first language's blocks, a divider, then the next's; the notification text and the
    rest of the message are the first's. When both do not fit Slack's 50 blocks, the first
    language alone, closed by a line in the other saying so: half a second version would
    read as the whole of it."""
    first = build(langs[0])
    blocks = list(first["blocks"])
    for lang in langs[1:]:
        more = build(lang)["blocks"]
        if len(blocks) + 1 + len(more) <= MAX_BLOCKS:
            blocks += [{"type": "divider"}, *more]
        else:
            shown = {"en": "reports.language_en", "zh": "reports.language_zh"}[langs[0]]
            note = context(t(lang, "reports.one_language", language=Raw(t(lang, shown))))
            blocks = [*blocks[:MAX_BLOCKS - 1], note]
    return {**first, "blocks": blocks}
