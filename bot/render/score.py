"""Block Kit for scorecards, leaderboards and targets."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.i18n import (
    DEFAULT_LANG,
    Raw,
    format_day,
    format_money,
    format_number,
    format_percent,
    format_period,
    slack_escape,
    t,
)
from bot.render.blocks import context, mention, message, section, unstarred
from bot.scoring.compare import Comparison, quadrant
from bot.scoring.kbi import KbiPace
from bot.scoring.leaderboard import Leaderboard
from bot.scoring.recommend import Recommendation
from bot.scoring.rules import Rules
from bot.services.reports import RepReport, TeamReport

MONEY_METRICS = ("sales", "sales_new", "sales_repeat")
RATE_METRICS = ("collection_rate", "lead_conversion")
PART_METRIC = {"sales": "sales", "new_customers": "new_customers",
               "collection": "collection_rate", "conversion": "lead_conversion"}


def _num(value: object, lang: str = DEFAULT_LANG) -> str:
    if value is None or isinstance(value, int | float | Decimal):
        return format_number(value, lang)  # type: ignore[arg-type]
    return str(value)


def metric_value(lang: str, metric: str, value: object, currency: str) -> str:
    if value is None:
        return "–"
    if metric in MONEY_METRICS:
        return format_money(Decimal(value), currency, lang)
    if metric in RATE_METRICS:
        return format_percent(value, lang)
    return _num(value, lang)


def period_name(lang: str, report: TeamReport) -> str:
    p = report.period
    name = t(lang, f"score.period_{p.kind}", label=format_period(p.label, lang),
             start=Raw(format_day(p.start, lang)), end=Raw(format_day(p.end, lang)))
    if report.in_progress:
        name += " " + t(lang, "score.to_date", day=Raw(format_day(report.as_of, lang)))
    return name


def _part_line(lang: str, part, currency: str, rep: RepReport | None = None,  # noqa: ANN001
               running: bool = False) -> str:
    label = Raw(t(lang, f"score.part_{part.name}"))
    weight = format_percent(part.weight, lang)
    if not part.has_data:
        shown = ""
        if part.name == "sales" and part.raw:
            shown = format_money(Decimal(part.raw), currency, lang)
        elif part.name == "new_customers" and part.raw:
            shown = _num(part.raw, lang)
        elif part.name in ("collection", "conversion") and part.raw is not None:
            shown = format_percent(part.raw, lang) + " · " + _rate_detail(lang, part, currency)
        return t(lang, "score.part_no_data", part=label, weight=weight, raw=Raw(shown))
    raw, target, pace = part.raw, part.target, ""
    metric = PART_METRIC.get(part.name)
    as_set = rep.targets.get(metric) if rep is not None and metric else None
    paced = running and as_set is not None and metric not in RATE_METRICS
    if paced:  # the target as it was set, and beside it what is due by now
        pace = t(lang, "score.pace_line", due=Raw(metric_value(lang, metric, target, currency)))
        target = as_set.value  # type: ignore[union-attr]
    if part.name in ("sales",):
        raw, target = format_money(Decimal(raw), currency, lang), (
            format_money(Decimal(target), currency, lang) if target is not None else None)
    elif part.name in ("collection", "conversion"):
        raw = format_percent(raw, lang)
        target = format_percent(target, lang) if target is not None else None
    elif part.name == "collaboration":
        raw = format_number(raw, lang, fixed=True) + "/5"
    else:
        raw, target = _num(raw, lang), _num(target, lang) if target is not None else None
    band = ""
    if part.attainment is not None and part.attainment.band != "no_target":
        band = _band(lang, part.attainment, paced)
    detail = ""
    if part.name == "sales":
        d = dict(part.detail)
        detail = t(lang, "score.sales_split",
                   new=Raw(format_money(Decimal(d.get("sales_new") or 0), currency, lang)),
                   repeat=Raw(format_money(Decimal(d.get("sales_repeat") or 0), currency, lang)))
    elif part.name in ("collection", "conversion"):
        detail = _rate_detail(lang, part, currency)
    return t(lang, "score.part_line", part=label, weight=weight, raw=Raw(str(raw)),
             target=Raw(str(target)) if target is not None else "", score=_num(part.score, lang),
             band=Raw(band), detail=Raw(detail), pace=Raw(pace))


def _band(lang: str, a, paced: bool) -> str:  # noqa: ANN001 - an Attainment
    """The ±15% band; while the period runs, against what is due by now (the pace)."""
    percent = _num(a.percent, lang)
    if paced and a.band != "no_target":
        return t(lang, f"score.pace_{a.band}", percent=percent)
    return t(lang, f"score.band_{a.band}", percent=percent)


def headline(lang: str, *, report: TeamReport, rep: RepReport, viewer_is_manager: bool) -> str:
    """What the card says first: the grade of a closed period, the pace of a running one, or
    what was achieved and the one line that says what is missing and which command fixes it."""
    card, running = rep.card, report.in_progress or report.period.kind == "week"
    if card.total is not None and (card.grade or card.pace_grade):
        if card.grade:
            bonus = (format_percent(card.bonus_multiplier, lang)
                     if card.bonus_multiplier is not None else "")
            return t(lang, "score.total", total=_num(card.total, lang), grade=card.grade,
                     bonus=bonus)
        return t(lang, "score.total_pace", total=_num(card.total, lang), grade=card.pace_grade,
                 period=format_period(report.period.label, lang),
                 week=report.period.kind == "week", monthly=card.kind == "monthly")
    if card.missing is None:
        if card.total is None:
            return t(lang, "score.no_data")
        if running:
            return t(lang, "score.pace_too_little", total=_num(card.total, lang),
                     period=format_period(report.period.label, lang))
        return t(lang, "score.total", total=_num(card.total, lang), grade="", bonus="")
    return "\n".join([achieved(lang, report=report, rep=rep, running=running),
                      missing_line(lang, report=report, rep=rep, manager=viewer_is_manager)])


def achieved(lang: str, *, report: TeamReport, rep: RepReport, running: bool) -> str:
    f, currency = rep.facts, report.currency
    return t(lang, "score.achieved", running=running,
             sales=Raw(format_money(f.sales_new + f.sales_repeat, currency, lang)),
             new=Raw(format_money(f.sales_new, currency, lang)),
             repeat=Raw(format_money(f.sales_repeat, currency, lang)),
             customers=f.new_customers, points=rep.points.total)


def missing_line(lang: str, *, report: TeamReport, rep: RepReport, manager: bool) -> str:
    """One line: what the card lacks to be graded, who fixes it and with which command."""
    running = report.in_progress or report.period.kind == "week"
    label = report.period.label
    if report.period.kind == "week":
        label = month_label(report.period)
    return t(lang, "score.ungraded", running=running, review=rep.card.missing == "quantitative",
             span=rep.history_months, manager=manager, who=Raw(f"<@{rep.user_id}>"),
             label=label)


def month_label(period) -> str:  # noqa: ANN001
    return f"{period.start:%Y-%m}"


def _rate_detail(lang: str, part, currency: str) -> str:  # noqa: ANN001
    """Which leads the conversion is about (a cohort), and that collection counts every
    receivable falling due, paid or not."""
    d = dict(part.detail)
    if part.name == "conversion":
        return t(lang, "score.conversion_cohort", created=d.get("leads_created") or 0,
                 won=d.get("leads_won") or 0)
    return t(lang, "score.collection_due",
             paid=Raw(format_money(Decimal(d.get("paid_on_time") or 0), currency, lang)),
             due=Raw(format_money(Decimal(d.get("due_total") or 0), currency, lang)))


def _comparison(lang: str, c: Comparison, *, names: bool) -> str:
    return t(lang, "score.compare", previous=_num(c.previous, lang),
             change=("+" if (c.change or 0) > 0 else "") + _num(c.change, lang),
             average=_num(c.team_average, lang), best=_num(c.team_best, lang),
             who=Raw(", ".join(f"<@{u}>" for u in c.best_user_ids))
             if names and c.team_best else "")


def scorecard_blocks(lang: str, *, report: TeamReport, rep: RepReport, before: TeamReport | None,
                     viewer_is_manager: bool, recommendations: Sequence[Recommendation],
                     rules: Rules) -> dict:
    card = rep.card
    title = t(lang, "score.title", user=mention(rep.user_id), period=Raw(period_name(lang,
                                                                                        report)))
    top = headline(lang, report=report, rep=rep, viewer_is_manager=viewer_is_manager)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": unstarred(title)[:150]}},
              section(top),
              context(_comparison(lang, report.compare(rep.user_id, "total", before),
                                  names=viewer_is_manager))]
    lines = []
    for part in card.parts:
        line = _part_line(lang, part, report.currency, rep,
                          report.in_progress or report.period.kind == "week")
        if part.has_data:
            c = report.compare_part(rep.user_id, part.name, before)
            line += " · " + t(lang, "score.part_compare", previous=_num(c.previous, lang),
                              average=_num(c.team_average, lang), best=_num(c.team_best, lang))
        lines.append(line)
    blocks.append(section("\n".join(lines)))
    if card.redistributed and not card.missing:  # ungraded: nothing was spread
        parts = ", ".join(t(lang, f"score.part_{n}") for n in card.redistributed)
        blocks.append(context(t(lang, "score.redistributed", parts=Raw(parts))))
    pts = rep.points
    blocks.append(section(t(lang, "score.points", total=pts.total, visit_days=pts.visit_days,
                            visit_points=pts.visit_day_points, reports=pts.reports,
                            report_points=pts.report_points, lapses=len(pts.lapses),
                            lapse_points=pts.lapse_points)))
    blocks.append(section("*" + t(lang, "score.kbis") + "*\n" + "\n".join(
        kbi_lines(lang, rep.kbis))))
    targets = _target_lines(lang, rep, report.currency, reasons=False)
    blocks.append(section("*" + t(lang, "score.targets") + "*\n" + "\n".join(targets)))
    analysis = []
    if card.kind == "review":
        quad = quadrant(card.results_score, rep.qualitative.satisfaction
                        if rep.qualitative else None, rules)
        if quad:
            name = Raw(t(lang, f"score.quad_{quad.name}"))
            analysis.append(t(lang, "score.quadrant", name=name))
    if report.funnel.weakest:
        steps = " → ".join(f"{t(lang, f'stages.{s.stage}')} {s.count}"
                           for s in report.funnel.stages)
        analysis.append(t(lang, "score.funnel", steps=Raw(steps),
                          weakest=Raw(t(lang, f"stages.{report.funnel.weakest}"))))
    if analysis:
        blocks.append(context(*analysis))
    if viewer_is_manager and recommendations:
        blocks.append(section("*" + t(lang, "score.recommendations") + "*\n" + "\n".join(
            "• " + recommendation_text(lang, r) for r in recommendations)))
    return message(unstarred(title) + " · " + unstarred(top.split("\n")[0]), blocks)


def kbi_lines(lang: str, kbis: Sequence[KbiPace]) -> list[str]:
    """One line per KBI: done, expected by now, target, and whether it is on pace."""
    return [t(lang, "score.kbi_line", kbi=Raw(t(lang, f"score.kbi_{k.kbi}")),
              done=_kbi_value(k.unit, k.done, lang),
              expected=_kbi_value(k.unit, k.expected_by_now, lang),
              target=_kbi_value(k.unit, k.target, lang),
              status=Raw(t(lang, f"status.{k.status}")), no_data=k.status == "no_data",
              # all of the period's working days have passed (or a share): no "by now"
              whole=k.expected_by_now >= k.target)
            for k in kbis]


def recommendation_text(lang: str, r: Recommendation) -> str:
    return t(lang, f"score.rec_{r.kind}",
             periods=", ".join(format_period(p, lang) for p in r.periods),
             grades=", ".join(r.grades),
             from_rate=format_percent(r.from_rate or 0, lang, decimals=2),
             to_rate=format_percent(r.to_rate or 0, lang, decimals=2), months=r.months or 3)


def _kbi_value(unit: str, value: float, lang: str = DEFAULT_LANG) -> str:
    return format_percent(value, lang) if unit == "ratio" else _num(value, lang)


def leaderboard_blocks(lang: str, *, report: TeamReport, board: Leaderboard, in_channel: bool,
                       limit: int = 10) -> dict:
    title = t(lang, "score.board_title", team=report.team_name,
              metric=Raw(t(lang, f"score.board_{board.metric}")),
              period=Raw(period_name(lang, report)))
    if not board.standings or all(not s.value for s in board.standings):
        # No points to rank, but the honours still stand (a first month's sales star).
        # "No data" was untrue of a team that logged all week without earning a point, and
        # "no points yet" of one whose visit days were outweighed by idle leads.
        empty = ("score.board_empty" if board.metric != "points"
                 else "score.board_none_above_zero" if board.below_zero
                 else "score.board_empty_points")
        blocks = [section(f"*{title}*"), section(t(lang, empty))]
    else:
        medal = {1: "🥇", 2: "🥈", 3: "🥉"}
        lines = [f"{medal.get(s.rank, f'{s.rank}.')} <@{s.user_id}> · "
                 + metric_value(lang, "sales" if board.metric == "sales" else "count",
                                s.value, report.currency)
                 for s in board.standings[:limit]]
        blocks = [section(f"*{title}*"), section("\n".join(lines))]
    if report.honours:
        blocks.append(context(*[t(lang, f"score.honour_{h.kind}",
                                  who=Raw(", ".join(f"<@{u}>" for u in h.user_ids)))
                                for h in report.honours]))
    return _board_message(title, blocks, in_channel)


def _board_message(title: str, blocks: list[dict], in_channel: bool) -> dict:
    reply = message(unstarred(title), blocks)
    if in_channel:
        reply["response_type"] = "in_channel"
    return reply


def _target_lines(lang: str, rep: RepReport, currency: str, *, reasons: bool) -> list[str]:
    """Each target as it was set for the period; while the period runs, what is due by now
    beside it (the pace), and the band against that."""
    lines = []
    for metric, a in rep.attainments.items():
        as_set = rep.targets.get(metric)
        if a.target is None or as_set is None:
            continue
        # A target scaled to what is due by now: the period is running (callers need not say).
        paced = metric not in RATE_METRICS and as_set.value != a.target.value
        pace = (t(lang, "score.pace_line", due=Raw(metric_value(lang, metric, a.target.value,
                                                                 currency))) if paced else "")
        lines.append(t(lang, "score.target_line", metric=Raw(t(lang, f"score.metric_{metric}")),
                       actual=Raw(metric_value(lang, metric, a.actual, currency)),
                       target=Raw(metric_value(lang, metric, as_set.value, currency)),
                       source=Raw(t(lang, f"score.source_{as_set.source}")), pace=Raw(pace),
                       band=Raw(_band(lang, a, paced))))
        if reasons and (why := _target_reason(lang, a.target)):
            lines.append("    _" + t(lang, "target.reason", reason=Raw(why)) + "_")
    return lines or [t(lang, "score.no_targets")]


def _target_reason(lang: str, target) -> str:  # noqa: ANN001
    """The manager's reason, else what the numbers say (pro-rated, shared by the team)."""
    if target.reason:
        return slack_escape(target.reason)
    if target.prorated:
        return t(lang, "target.prorated", days=target.prorated[0], of=target.prorated[1])
    if target.shared_by:
        return t(lang, "target.shared", reps=target.shared_by)
    return ""


def targets_blocks(lang: str, *, report: TeamReport, rep: RepReport) -> dict:
    title = t(lang, "target.title", user=mention(rep.user_id),
              period=Raw(period_name(lang, report)))
    body = "\n".join(_target_lines(lang, rep, report.currency, reasons=True))
    return message(unstarred(title), [section(f"*{title}*"), section(body),
                                   context(t(lang, "target.footer"))])
