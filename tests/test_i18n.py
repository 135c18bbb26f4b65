"""The catalogues: the same keys and template variables in both languages, every key the code
asks for exists (dynamic ones over the names they are made from), templates render and
escape; the language a person gets (Slack's locale, their override); formats per language."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import meta

from bot.calendar.periods import PERIOD_OF
from bot.grammar.kinds import DEFAULT_KINDS, ERROR_CODES, LIST_PERIODS
from bot.i18n import (
    LANGS,
    Raw,
    _environment,
    catalogue,
    format_country,
    format_date,
    format_day,
    format_money,
    format_number,
    format_percent,
    format_period,
    lang_for,
    locale_of,
    t,
)
from bot.render import brief as brief_render
from bot.render import calibrate as calibrate_render
from bot.render import checkin as checkin_render
from bot.render import home as home_render
from bot.render import reports as reports_render
from bot.render import review as review_render
from bot.scoring import compare, kbi, leaderboard, recommend, targets
from bot.scoring.grades import GRADES
from bot.scoring.rules import Weights
from bot.services.home import INSTALL_STATES
from bot.services.reports import TARGET_METRICS
from handlers import lead, pacer, rate
from store import admins, plans, reviews
from store.models import ROLES, STAGES, TIERS
from tests.conftest import Bot
from tests.handlers.test_checkin import open_form, submit

ROOT = Path(__file__).resolve().parents[1]


def test_catalogues_have_the_same_keys() -> None:
    en, zh = set(catalogue("en")), set(catalogue("zh"))
    assert en - zh == set(), f"missing in zh: {sorted(en - zh)}"
    assert zh - en == set(), f"missing in en: {sorted(zh - en)}"


def _variables(lang: str, key: str) -> set[str]:
    return meta.find_undeclared_variables(_environment().parse(catalogue(lang)[key]))


def test_both_languages_of_a_key_use_the_same_variables() -> None:
    """A variable only one language uses is either lost in the other (a message that says
    less) or undefined there (StrictUndefined: an error at the user's expense)."""
    differ = {key: (sorted(_variables("en", key)), sorted(_variables("zh", key)))
              for key in catalogue("en") if _variables("en", key) != _variables("zh", key)}
    assert differ == {}


# ----------------------------------------------------------------- keys used in code

# Calls that carry a catalogue key, and which positional argument holds it ("*": any).
KEY_CARRIERS = {"t": (1,), "Usage": (0,), "Refused": (0,), "Decision": "*", "_users": (1,)}
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def _code_files() -> list[Path]:
    return sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")])


def _key_forms(node: ast.AST) -> Iterator[str]:
    """The keys an argument can be: literals as they are, f-strings as shapes ('a.{}')."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _key_forms(node.body)
        yield from _key_forms(node.orelse)
    elif isinstance(node, ast.JoinedStr):
        yield "".join(part.value if isinstance(part, ast.Constant) else "{}"
                      for part in node.values)


def keys_in_code(files: Iterable[Path]) -> tuple[set[str], set[str]]:
    """(literal keys, dynamic key shapes) that the code passes to t() and the key carriers."""
    literal, shapes = set(), set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(
                node.func, "attr", "")
            positions = KEY_CARRIERS.get(name, ())
            for i, arg in enumerate(node.args):
                if positions == "*" or i in positions:
                    for form in _key_forms(arg):
                        if "{}" in form:
                            shapes.add(form)
                        elif KEY.match(form):
                            literal.add(form)
    return literal, shapes


def _codes(path: str, pattern: str) -> set[str]:
    """Codes written in a module's source, where they are not gathered in a constant."""
    return set(re.findall(pattern, (ROOT / path).read_text()))


def _record_actions(path: str) -> set[str]:
    """The `action=` values of a module's record(...) calls (an event log's kinds)."""
    return {form for node in ast.walk(ast.parse((ROOT / path).read_text()))
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "record"
            for keyword in node.keywords if keyword.arg == "action"
            for form in _key_forms(keyword.value)}


def _inline_codes(*paths: str) -> set[str]:
    return set().union(*(_codes(path, r'InlineError\(\s*"(\w+)"') for path in paths))


# Every dynamic key shape in the code, and the names that fill it, from the code's own
# constants wherever there is one.
DYNAMIC: dict[str, Iterable] = {
    "stages.{}": STAGES,
    "tiers.{}": TIERS,
    "roles.{}": ROLES,
    "pacer.admin_{}": admins.SOURCES,
    "kinds.{}.{}": [(k.id, n) for k in DEFAULT_KINDS for n in ("one", "many")],
    "kinds.{}.one": [k.id for k in DEFAULT_KINDS],
    "status.{}": (kbi.AHEAD, kbi.ON_PACE, kbi.BEHIND, kbi.NO_DATA),
    "errors.{}": ERROR_CODES,
    "teamerr.{}": _codes("store/teams.py", r'TeamError\(\s*"(\w+)"') | {"unknown"},
    # bot/grammar/inline.py's own error (planned_counts) is /checkin's; /brief uses none of it.
    "checkin.errors.{}": _inline_codes("handlers/checkin.py", "bot/grammar/inline.py"),
    "brief.errors.{}": _inline_codes("handlers/brief.py"),
    "checkin.field.{}": [*checkin_render.TEXT_FIELDS, *checkin_render.COUNT_FIELDS],
    "checkin.what.{}": checkin_render.COUNT_FIELDS,
    "brief.field.{}": brief_render.TEXT_FIELDS,
    "brief.hint.{}": brief_render.TEXT_FIELDS,
    "log.period_{}": set(LIST_PERIODS.values()),
    "pacer.outcome_{}": ("done", "denied"),  # store.models.AuditEntry.outcome
    "pacer.usage_{}": pacer.TEAM_SUBCOMMANDS,
    "lead.usage_{}": set(lead.EDITS.values()),
    "rate.peer_option_{}": [str(n) for n in range(1, 6)],
    "rate.saved_{}": set(rate.KIND_WORDS.values()),
    "reports.brief_{}": reports_render.BRIEF_FIELDS,
    "reports.total_{}": reports_render._totals(None),
    "score.part_{}": [name for name, _ in Weights().items()],
    # `_count("touches", ...)`, or `_kept(_count, "touches", ...)` where paces are shared.
    "score.kbi_{}": _codes("bot/scoring/kbi.py", r'_(?:count|ratio)(?:\(|,)\s*"(\w+)"'),
    "score.band_{}": (targets.BELOW, targets.ON_TARGET, targets.ABOVE, targets.NO_TARGET),
    "score.pace_{}": (targets.BELOW, targets.ON_TARGET, targets.ABOVE),
    "score.board_{}": leaderboard.METRICS,
    "score.honour_{}": (leaderboard.SALES_STAR, leaderboard.ROOKIE_OF_THE_MONTH,
                        leaderboard.BEST_SERVICE, leaderboard.SATISFACTION_STAR),
    "score.metric_{}": TARGET_METRICS,
    "score.period_{}": PERIOD_OF,
    "score.quad_{}": (compare.STAR, compare.PUSHER, compare.NURTURER, compare.STRUGGLING),
    "score.rec_{}": (recommend.COMMISSION_RAISE, recommend.COMMISSION_REVIEW, recommend.PIP,
                     recommend.PROMOTION, recommend.MANAGEMENT_TRAINEE,
                     recommend.ROOKIE_BREAKTHROUGH),
    "score.source_{}": ("forecast", "manual", "team", "from_quarter", "from_months",
                        "from_quarters", "from_month"),  # bot.scoring.facts.Target.source
    # Calibrations and action items (bot/render/calibrate.py, actions.py).
    "cal.intro_{}": ("dayahead", "hourbefore", "start", "preview"),  # pack_blocks(kind=)
    "cal.digest_{}": ("skipped", "missed"),  # bot/jobs/calibration.py
    "cal.history_{}": ("held", "skipped", "missed", "scheduled"),  # calibration.state()
    "cal.q.{}": calibrate_render.QUESTIONS,
    "cal.field.{}": calibrate_render.MINUTES_FIELDS,
    "cal.hint.{}": [*calibrate_render.QUESTIONS, *calibrate_render.MINUTES_FIELDS],
    "cal.scope_{}": ("one", "following"),  # move_modal's options
    "calx.when_{}": _codes("bot/grammar/when.py", r'WhenError\(\s*"(\w+)"'),
    "act.line_{}": ("done", "overdue", "today", "open"),  # actions.item_text
    "act.remind_{}": ("tomorrow", "today"),  # actions.reminder_blocks(when=)
    "cal.plan.{}": plans.CHECK_STATUSES,
    # The review cycle (bot/render/review.py).
    "review.period.{}": ("month", "quarter"),  # render.review.period()
    "review.status.{}": (reviews.SELF, reviews.RATING, reviews.TALK, reviews.CONFIRM,
                         reviews.RESULT, reviews.APPEAL, reviews.FINAL),
    "review.event.{}": _record_actions("store/reviews.py") | _record_actions("store/plans.py"),
    "review.check_status.{}": plans.CHECK_STATUSES,
    "review.outcome.{}": (*plans.OUTCOMES, "extended"),  # extended: plans closed before
    "review.plan_decision.{}": plans.DECISIONS,
    "review.grade.{}": GRADES,
    "review.decide_option.{}": ("upheld", "changed"),  # decide_form's options
    "review.escalate.{}": ("rating", "appeal", "record"),  # bot/jobs/review.py
    "review.self_field.{}": review_render.SELF_TEXTS,
    "review.self_hint.{}": review_render.SELF_TEXTS,
    "review.rate_field.{}": (*review_render.RATE_TEXTS, *review_render.FACTORS),
    "review.rate_hint.{}": (*review_render.RATE_TEXTS, *review_render.FACTORS),
    "review.competency.{}": review_render.COMPETENCY_RATINGS,
    "review.record.{}": ("strengths", "improvements", "support", "development", "stretch"),
    "review.record_form.{}": ("strengths", "improvements", "strengths_hint",
                              "improvements_hint"),
    **{f"review.plan.{part}_{{}}": plans.KINDS for part in (
        "setup", "setup_body", "setup_button", "open", "open_body", "targets", "targets_note")},
    "review.plan_field.targets_{}": plans.KINDS,
    "review.plan_field.notes_{}": plans.KINDS,
    "review.plan_form.intro_{}": plans.KINDS,
    "review.plan_form.hint_{}": plans.KINDS,
    "review.record_form.{}_hint": ("support", "development", "stretch"),
    "review.item.plan_setup_{}": plans.KINDS,
    "year.bonus_{}": ("extra_month", "none", "standard"),
    "year.signal_{}": ("extra_month", "none", "standard"),
    "year.kind_{}": (recommend.PROMOTION, recommend.MANAGEMENT_TRAINEE),
    # The App Home (bot/render/home.py).
    "home.setup_{}": home_render.SETUP_FIXES,
    "home.install_{}": INSTALL_STATES,
}


def test_every_key_used_in_code_exists() -> None:
    literal, _ = keys_in_code(_code_files())
    assert len(literal) > 100, "found too few keys: is the scan still reading the code?"
    assert sorted(k for k in literal if k not in catalogue("en")) == []


def test_every_dynamic_key_exists_for_every_name_it_is_made_from() -> None:
    _, shapes = keys_in_code(_code_files())
    unknown = sorted(shapes - DYNAMIC.keys())
    assert unknown == [], f"add these shapes and their names to DYNAMIC: {unknown}"
    missing = []
    for shape, names in DYNAMIC.items():
        names = list(names)
        assert names, shape
        for name in names:
            key = shape.format(*(name if isinstance(name, tuple) else (name,)))
            if key not in catalogue("en"):
                missing.append(key)
    assert missing == []


def test_the_key_scan_reads_literals_conditions_and_shapes(tmp_path: Path) -> None:
    code = tmp_path / "x.py"
    code.write_text('t(lang, "a.b")\nt(who.lang, "c.d" if x else "e.f", n=1)\n'
                    'raise Usage(f"g.usage_{op}")\nDecision(False, "perm.x")\n'
                    't(lang, reason)\nprint("not.a_key")\n')
    assert keys_in_code([code]) == ({"a.b", "c.d", "e.f", "perm.x"}, {"g.usage_{}"})


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_parses(lang: str) -> None:
    env = _environment()
    for source in catalogue(lang).values():
        assert isinstance(meta.find_undeclared_variables(env.parse(source)), set)


def test_values_are_escaped_the_slack_way_unless_raw() -> None:
    text = t("en", "log.undone", what=Raw("*1 visit*"), customer="<!channel> & <@U1>",
             day=Raw("Tue 17 Nov"))
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in text and "*1 visit*" in text


# ----------------------------------------------------------------- which language

def test_slack_locales_choose_the_catalogue() -> None:
    assert lang_for("zh-CN") == lang_for("zh-TW") == lang_for("zh") == "zh"
    assert lang_for("en-GB") == lang_for("en-US") == lang_for(None) == lang_for("fr-FR") == "en"
    assert t("zh-TW", "status.ahead") == t("zh", "status.ahead") == "领先"
    assert t("en-GB", "status.ahead") == t("de", "status.ahead") == "ahead"
    assert str(locale_of("en-GB")) == "en" and str(locale_of("zh-TW")) == "zh_Hans_CN"


def _pacer(bot: Bot, text: str, user: str) -> str:
    reply = bot.command(text, command="/pacer", user=user)
    assert reply.status == 200
    return reply.text


def test_the_own_language_setting_beats_slacks_end_to_end(bot: Bot) -> None:
    """Bo's Slack is zh-CN; Alice's en-US. Signed /log commands answer in the chosen one."""
    assert "已记录" in bot.command("拜访 腾讯", user="U0BO").text
    assert "in English" in _pacer(bot, "me lang en", "U0BO")
    english = bot.command("拜访 腾讯", user="U0BO").text
    assert "Logged *1 visit* with 腾讯 on Wed 18 Nov" in english and "已记录" not in english
    assert "Undo" in english and "撤销" not in english
    assert "Logged" in bot.command("visit Acme", user="U0ALICE").text
    _pacer(bot, "me lang zh", "U0ALICE")
    chinese = bot.command("visit Acme", user="U0ALICE").text
    assert "已记录 *拜访 1 次*" in chinese and "11月" in chinese and "Logged" not in chinese
    assert "恢复为跟随 Slack" in _pacer(bot, "me lang auto", "U0BO")  # Slack's again
    assert "已记录" in bot.command("拜访 腾讯", user="U0BO").text
    assert "可以这样写" in _pacer(bot, "me lang klingon", "U0BO")


def test_a_failed_form_apologises_in_the_users_language(bot: Bot) -> None:
    view = open_form(bot, user="U0BO")
    with bot.deps.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE checkins")
    status, reply = submit(bot, view, {"plan": "拜访腾讯"}, user="U0BO")
    assert status == 200 and reply["response_action"] == "update"
    apology = reply["view"]
    assert apology["close"]["text"] == "知道了"
    assert "本次没有记录任何内容" in apology["blocks"][0]["text"]["text"]


# ----------------------------------------------------------------- formats

@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["CN¥120,000", "$1,234.50", "CHF\u00a010", "CN¥5.50", "-$200", "12,345", "¥100"]),
    ("zh", ["¥120,000", "US$1,234.50", "CHF\u00a010", "¥5.50", "-US$200", "12,345", "JP¥100"]),
])
def test_money_is_exact_with_the_locales_symbol_and_grouping(lang: str,
                                                             expected: list[str]) -> None:
    assert [format_money(Decimal("120000"), "CNY", lang), format_money(1234.5, "usd", lang),
            format_money(10, "CHF", lang), format_money(Decimal("5.5"), "RMB", lang),
            format_money(-200, "USD", lang), format_money(12345, "", lang),
            format_money(Decimal("99.6"), "JPY", lang)] == expected
    assert format_money(None, "CNY", lang) == ""
    # Never 12万: a confirmation says exactly what was recorded, in both languages.
    assert "万" not in format_money(Decimal("1234567.89"), "CNY", lang)
    assert format_money(Decimal("1234567.89"), "CNY", lang).endswith("1,234,567.89")


def test_money_keeps_its_old_call_shape() -> None:
    assert format_money(Decimal("120000"), "CNY") == format_money(120000, "CNY", "en")


@pytest.mark.parametrize("lang", LANGS)
def test_numbers_and_percentages(lang: str) -> None:
    assert format_number(1234567, lang) == "1,234,567"
    assert format_number(12.34, lang) == "12.3" and format_number(12.0, lang) == "12"
    assert format_number(4, lang, fixed=True) == "4.0" and format_number(None, lang) == "–"
    assert format_percent(0.856, lang) == "86%" and format_percent(1.2, lang) == "120%"
    assert format_percent(0.0523, lang, decimals=1, fixed=True, sign=True) == "+5.2%"
    assert format_percent(-0.05, lang, sign=True) == "-5%"
    assert format_percent(Decimal("0.125"), lang, decimals=2) == "12.5%"


def test_dates_name_the_month_so_no_reader_can_misread_them() -> None:
    assert format_day(date(2026, 11, 18), "en") == "Wed 18 Nov"
    assert format_day(date(2026, 11, 18), "en-US") == "Wed 18 Nov"  # en-GB and en-US alike
    assert format_day(date(2026, 11, 18), "zh") == "11月18日 周三"
    assert format_day(date(2026, 11, 22), "zh") == "11月22日 周日"
    assert format_date(date(2027, 1, 2), "en") == "2 Jan 2027"
    assert format_date(date(2027, 1, 2), "zh") == "2027年1月2日"


@pytest.mark.parametrize(("label", "en", "zh"), [
    ("2026-11", "November 2026", "2026年11月"),
    ("2026-01", "January 2026", "2026年1月"),
    ("2026-Q4", "Q4 2026", "2026年第4季度"),
    ("2026-Q1", "Q1 2026", "2026年第1季度"),
    ("2026-W47", "week 47 of 2026", "2026年第47周"),
    ("2026", "2026", "2026年"),
    ("2026-13", "2026-13", "2026-13"),
    ("soon", "soon", "soon"),
])
def test_periods_by_name(label: str, en: str, zh: str) -> None:
    assert (format_period(label, "en"), format_period(label, "zh")) == (en, zh)


def test_countries_by_name() -> None:
    assert (format_country("CN", "en"), format_country("cn", "zh")) == ("China", "中国")
    assert format_country("SG", "zh") == "新加坡" and format_country("Q9", "en") == "Q9"


def test_templates_can_format_in_their_own_language() -> None:
    env = _environment()
    template = env.from_string("{{ a | money('CNY') }} · {{ n | number }} · {{ r | percent }} · "
                               "{{ d | day }}")
    values = {"a": 120000, "n": 1234, "r": 0.5, "d": date(2026, 11, 18)}
    assert template.render(**values, _lang="zh") == "¥120,000 · 1,234 · 50% · 11月18日 周三"
    assert template.render(**values, _lang="en") == "CN¥120,000 · 1,234 · 50% · Wed 18 Nov"
