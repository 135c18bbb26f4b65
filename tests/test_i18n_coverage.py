"""Nothing a Slack user reads bypasses the catalogues.

Three nets, each catching what the others cannot:

1. The code (static): no words written into Block Kit text in Python. Every module that
   builds what Slack shows is parsed, and a string literal that contains a letter (any
   script) is refused where it becomes visible text: the value of a "text", "title",
   "label", "placeholder", "hint", "submit", "close" or "alt_text" key in a dict literal;
   a keyword argument of those names (ack(text=...), modal(title=...),
   files_upload_v2(initial_comment=...)); the text arguments of the Block Kit helpers
   (section, context, plain, message, notice_blocks, open_button's label, ...) and whatever
   follows a "plain_text" or "mrkdwn" argument (a helper building a text object). Emoji,
   punctuation, bullets and f-strings of only inserted values pass; a literal inside a call
   (t(lang, "key"), ", ".join) is that call's business, not text. A new module is scanned
   unless it is listed in NOT_SLACK with the reason it never reaches a Slack user.
2. The Chinese catalogue (static): no English words outside code spans (what users type),
   template expressions and a few proper names.
3. The output (end to end): a Chinese-speaking rep and manager run every command family
   through signed requests (help, saves, lists, errors, forms) and the scheduled jobs run
   for them; every text Slack would show them, replies, DMs, channel posts and modals,
   holds no English word outside code spans, mentions, proper names and the data the test
   typed in itself. This catches values that reach the words unlocalised (a role, a stage
   id, a period label, an English reason made in code), which neither static net can.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.grammar.kinds import LogEntry
from bot.i18n import catalogue
from bot.jobs import registry as jobs
from bot.render.log import UNDO_ACTION
from store import activity, admins, teams
from tests.conftest import CHANNEL, WORKSPACE, Bot, make_deps
from tests.fakes import FakeSlack
from tests.handlers.test_checkin import submit
from tests.handlers.test_log import undo_value
from tests.jobs.test_jobs import SHANGHAI, local

ROOT = Path(__file__).resolve().parents[1]

# Modules whose strings never reach a Slack user, and why.
NOT_SLACK = {
    "bot/cli.py": "the command line's own output",
    "bot/slack/console.py": "the local console's own chrome around what Slack would show",
    "bot/slack/emulator.py": "the fake Slack Web API",
    "bot/slack/signing.py": "builds requests as Slack sends them, for tests and the console",
    "bot/services/importer.py": "CSV import, reported on the command line",
    "bot/services/exports.py": "CSV export, written to a file",
    "bot/render/charts.py": "a picture without words (its font has no Chinese)",
    "bot/grammar/log.py": "the /log grammar: words users type, not words we show",
    "bot/grammar/inline.py": "the /checkin and /brief grammar: words users type",
    "bot/i18n.py": "the catalogue machinery itself",
}
TEXT_KEYS = {"text", "title", "label", "placeholder", "hint", "submit", "close", "alt_text",
             "initial_comment", "fallback"}
# Block Kit helpers and the positions of their text arguments ("*" for all of them).
TEXT_ARGS = {"section": (0,), "context": "*", "plain": (0,), "message": (0,),
             "notice_blocks": (0,), "_header": (0,), "_message": (0,), "open_button": (1,),
             "text_input": (1,), "number_input": (1,)}
TEXT_TYPES = {"plain_text", "mrkdwn"}  # helper("plain_text", text): what follows is text


def _words_in(node: ast.AST) -> list[str]:
    """The string literals (with a letter) that end up, as they are, in the value of `node`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if any(ch.isalpha() for ch in node.value) else []
    if isinstance(node, ast.JoinedStr):
        return [w for part in node.values if isinstance(part, ast.Constant)
                for w in _words_in(part)]
    if isinstance(node, ast.BinOp):
        return _words_in(node.left) + _words_in(node.right)
    if isinstance(node, ast.IfExp):
        return _words_in(node.body) + _words_in(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [w for value in node.values for w in _words_in(value)]
    if isinstance(node, ast.Starred):
        return _words_in(node.value)
    if isinstance(node, ast.List | ast.Tuple):
        return [w for element in node.elts for w in _words_in(element)]
    return []


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(
        func, ast.Attribute) else ""


def literal_text(source: str) -> list[tuple[int, str]]:
    """(line, literal) for every literal written straight into visible Block Kit text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in TEXT_KEYS:
                    found += [(value.lineno, w) for w in _words_in(value)]
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in TEXT_KEYS:
                    found += [(keyword.value.lineno, w) for w in _words_in(keyword.value)]
            positions = TEXT_ARGS.get(_callee(node), ())
            typed = next((i for i, arg in enumerate(node.args) if isinstance(arg, ast.Constant)
                          and arg.value in TEXT_TYPES), None)
            for i, arg in enumerate(node.args):
                if positions == "*" or i in positions or (typed is not None and i > typed):
                    found += [(arg.lineno, w) for w in _words_in(arg)]
    return found


def slack_modules() -> list[Path]:
    paths = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]
    return sorted(p for p in paths if p.relative_to(ROOT).as_posix() not in NOT_SLACK
                  and "/scoring/" not in p.as_posix())  # pure, tested to import no Slack


def test_no_words_are_written_into_block_kit_in_python() -> None:
    modules = slack_modules()
    assert any(p.name == "app.py" for p in modules) and len(modules) > 20
    found = [f"{p.relative_to(ROOT)}:{line}: {text!r}" for p in modules
             for line, text in literal_text(p.read_text())]
    assert found == [], "move these into bot/locales/{en,zh}:\n" + "\n".join(found)


def test_the_scan_finds_words_where_slack_shows_them() -> None:
    """The scanner itself: each way text reaches Block Kit is caught; keys and calls are not."""
    caught = literal_text('''
section("Saved")
context(t(lang, "a"), f"Total {n}")
view = {"title": {"type": "plain_text", "text": "Pacer"}, "close": plain("OK")}
ack(text="⚠️ " + "出错了")
modal(title="Form", close=t(lang, "x"), blocks=[])
open_button(ACTION, "Open")
client.files_upload_v2(initial_comment="Here is your chart")
_text("plain_text", "Rate a teammate")
''')
    assert sorted(text for _, text in caught) == sorted([
        "Saved", "Total ", "Pacer", "OK", "出错了", "Form", "Open", "Here is your chart",
        "Rate a teammate"])
    assert literal_text('''
section("*" + t(lang, "k") + "*\\n" + ", ".join(x))
context(f"{medal} <@{user}> · {value}", "✅ ")
t(lang, "log.saved", what=Raw(f"<@{u}>"))
{"type": "section", "block_id": "plan", "action_id": "value"}
_text(values, "a1_text")
''') == []


# ----------------------------------------------------------------- the Chinese catalogue

PROPER_NAMES = {"Pacer", "Slack", "KBI", "IANA", "ISO", "SMART"}  # SMART: 目标管理的 SMART 原则
_NOT_PROSE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|`[^`]*`|<[^>]*>|:[a-z0-9_+-]+:", re.S)
_TIME_ZONE = re.compile(r"\b[A-Z][A-Za-z_]+/[A-Za-z_/]+\b")  # Asia/Shanghai: data, not words
_CODE = re.compile(r"\b[A-Z]{2,4}\b")  # CNY, USD, CN: currency and country codes
_SLACK_ID = re.compile(r"\b[UWCDGT][A-Z]*[0-9][A-Z0-9]*\b")  # U0ALICE, as a record names one


def english_words(text: str, allowed: set[str] = frozenset()) -> set[str]:
    """English words in a text a Chinese reader sees, outside what is not prose."""
    prose = _CODE.sub("", _SLACK_ID.sub("", _TIME_ZONE.sub("", _NOT_PROSE.sub("", text))))
    return set(re.findall(r"[A-Za-z]{2,}", prose)) - PROPER_NAMES - set(allowed)


def test_the_chinese_catalogue_has_no_english_left_in_it() -> None:
    zh = catalogue("zh")
    leftover = {key: sorted(english_words(text)) for key, text in zh.items()
                if english_words(text) and not key.endswith(".example")}
    assert leftover == {}


def test_the_detector_sees_english_but_not_code_names_or_mentions() -> None:
    assert english_words("✅ 已记录 *签约 1 次* · deal won") == {"deal", "won"}
    assert english_words("用 `/log visit Acme` 记录 <@U0BO> <#C0SALES|sales> :wave: "
                         "Asia/Shanghai · CNY · Pacer · U0ALICE · 2026年第47周") == set()
    assert english_words("团队 East", {"East"}) == set()


# ----------------------------------------------------------------- end to end, in Chinese

TEAM = "华东"
# What the rep and the manager type, command by command: every family, its help, a save,
# a list, and the mistakes that get an error with an example.
SCRIPT = [
    ("/log", "help"), ("/log", ""), ("/log", "跳舞"), ("/log", "拜访 阿里巴巴"),
    ("/log", "电话 3 前天"), ("/log", "签约 腾讯 12万 新客户"),
    ("/log", "回款 腾讯 5万 应收 8万 11月30日到期"), ("/log", "list"), ("/log", "list month"),
    ("/log", "拜访 明天"), ("/log", "拜访 阿里"), ("/log", "list 明年"), ("/log", "undo"),
    ("/lead", "help"), ("/lead", "add 京东 重点 来源 展会"), ("/lead", "list"),
    ("/lead", "show 京东"), ("/lead", "stage 京东 演示"), ("/lead", "stage 京东 跳舞"),
    ("/lead", "tier 京东 普通"), ("/lead", "lost 京东 价格太高"), ("/lead", "跳舞"),
    ("/lead", "show 不存在的公司"), ("/lead", "list 全部"), ("/lead", "add 百度"),
    ("/pacer", "help"), ("/pacer", "team list"), ("/pacer", "me tz Asia/Tokyo"),
    ("/pacer", "me tz auto"), ("/pacer", "跳舞"), ("/pacer", "team 跳舞 华东"),
    ("/pacer", f"team add {TEAM} 某人"), ("/pacer", "role <@U0ALICE> 老板"),
    ("/pacer", "role <@U0ALICE> manager"), ("/pacer", "audit"),
    ("/pacer", f"team holidays {TEAM} CN"), ("/pacer", f"team times {TEAM} checkin 25:00"),
    ("/pacer", f"team tz {TEAM} Mars/Base"), ("/pacer", "team create 华南 currency USD"),
    ("/pacer", f"team names {TEAM} on"),
    ("/checkin", "help"), ("/checkin", "计划：拜访3 电话5 ；昨天：签了腾讯；困难：无"),
    ("/checkin", "计划：拜访500"), ("/checkin", ""),
    ("/brief", "help"), ("/brief", "成果：签下腾讯 | 下周：华为演示"), ("/brief", ""),
    ("/scorecard", ""), ("/scorecard", "quarter"), ("/scorecard", "跳舞"),
    ("/scorecard", "<@U0ALICE>"),
    ("/leaderboard", ""), ("/leaderboard", "week sales"), ("/leaderboard", "跳舞"),
    ("/target", ""), ("/target", "help"), ("/target", "set <@U0BO> sales 50万 2026-Q4 新区域"),
    ("/target", "set <@U0BO> 跳舞 1"), ("/target", "set <@U0BO> sales 50万 2026-Q4"),
    ("/rate", ""), ("/rate", "<@U0BO> satisfaction 88"), ("/rate", "<@U0BO> compliance 5 缺合同"),
    ("/rate", "跳舞"),
    ("/pacer", f"team calibration {TEAM} 2026-11-24 10:00"), ("/calibrate", ""),
    ("/calibrate", "pack"), ("/calibrate", "history"), ("/calibrate", "move 明天下午3点"),
    ("/calibrate", "move 跳舞"), ("/calibrate", "跳舞"), ("/actions", ""), ("/actions", "all"),
    ("/review", ""), ("/review", "help"), ("/review", "history"), ("/review", "跳舞"),
]
# What the test itself typed or named that shows up verbatim (Latin letters in it).
OWN_DATA = {"Tokyo", "Mars", "Base", "Acme"}
HIDDEN_KEYS = {"action_id", "block_id", "value", "private_metadata", "callback_id", "url",
               "type", "response_type", "initial_user", "image_url", "id", "response_action",
               "style"}
SHOWN_ARGS = ("text", "blocks", "view", "initial_comment", "files", "errors")


def visible_texts(payload: object) -> Iterator[str]:
    """Every string in a message or view that Slack shows (not ids, values or metadata)."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key not in HIDDEN_KEYS:
                yield from visible_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from visible_texts(item)
    elif isinstance(payload, str):
        yield payload


def shown_by(args: dict) -> Iterator[str]:
    """What a Web API call (or a response_url post) puts in front of people."""
    for key in SHOWN_ARGS:
        value = args.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)  # form-encoded calls carry JSON in a field
        yield from visible_texts(value)


@pytest.fixture
def chinese_team(database_url: str, fake_slack: FakeSlack) -> Iterator[Bot]:
    """A team whose people all read Chinese (Slack zh-CN): U0BO a rep, U0MEI its manager and
    the workspace's admin."""
    now = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday, 10:00 in Shanghai
    clock = FixedClock(now)
    settings, deps = make_deps(database_url, fake_slack, clock)
    with deps.sessions() as session:
        admins.grant(session, workspace_id=WORKSPACE, user_id="U0MEI", source=admins.NAMED,
                     by="U0HR", now=now)
        teams.create_team(session, workspace_id=WORKSPACE, name=TEAM, channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=now)
    bot = Bot(settings, deps, fake_slack)
    yield bot
    bot.close()
    assert fake_slack.problems == [], fake_slack.problems


def test_a_chinese_team_reads_no_english(chinese_team: Bot) -> None:
    bot, shown = chinese_team, []
    for user in ("U0BO", "U0MEI"):
        for command, text in SCRIPT:
            reply = bot.command(text, command=command, user=user)
            assert reply.status == 200, (command, text, reply.body)
            body = reply.body if isinstance(reply.body, dict) else {"text": reply.body}
            shown += [(f"{user} {command} {text}", s) for s in shown_by(body)]
        shown += _fill_the_forms(bot, user)
    logged = bot.command("拜访 华为", user="U0BO")
    bot.click(UNDO_ACTION, undo_value(logged), user="U0MEI")  # not hers: refused
    bot.click(UNDO_ACTION, undo_value(logged), user="U0BO")
    bot.listeners.shutdown(wait=True)  # the work done after each ack has reached Slack
    _run_the_jobs(bot)
    for call in bot.fake.calls:
        shown += [(call.method, s) for s in shown_by(call.args)]

    methods = {call.method for call in bot.fake.calls}
    assert {"views.open", "response_url", "chat.postMessage",
            "files.completeUploadExternal"} <= methods, methods
    posted = {c.args["channel"] for c in bot.fake.find("chat.postMessage") if c.status == 200}
    assert {"DU0BO", "DU0MEI", CHANNEL} <= posted
    english = [(where, sorted(english_words(text, OWN_DATA)), text[:200])
               for where, text in shown if english_words(text, OWN_DATA)]
    assert english == [], "\n".join(map(str, english))
    assert len(shown) > 500 and any("¥120,000" in text for _, text in shown)


def _fill_the_forms(bot: Bot, user: str) -> list[tuple[str, str]]:
    """Every form, sent wrong (errors under the fields) and right (the saved view)."""
    shown = []
    for command, tries in (
            ("/checkin", ({"plan": "计" * 2001}, {"visits": "500"}, {}, {"plan": "拜访腾讯"})),
            ("/brief", ({}, {"wins": "签下华为"})),
            ("/rate", ({"ratee": user, "score": "5"}, {"ratee": "U0BO"},
                       {"ratee": "U0BO", "score": "4"}))):
        before = len(bot.fake.find("views.open"))
        bot.command("", command=command, user=user)
        call = bot.fake.wait_for("views.open", before + 1)[-1]
        view = call.args["view"]
        view = json.loads(view) if isinstance(view, str) else view
        for answers in tries:
            status, reply = submit(bot, view, answers, user=user)
            assert status == 200, reply
            shown += [(f"{user} {command} form {answers}", s) for s in shown_by(reply)]
    return shown


def _run_the_jobs(bot: Bot) -> None:
    """A month of the rep's work, then every scheduled job at a time it sends something
    (alerts: deals bunched at October's end, leads idle 48 and 72 working hours, behind pace;
    a calibration's pack an hour ahead, the request for its minutes, the nudge; the quarter's
    review opening)."""
    deps = bot.deps
    with deps.sessions() as s:
        team = teams.get_team(s, workspace_id=WORKSPACE, name=TEAM)
        team.created_at = local(SHANGHAI, "2026-09-01 09:00")
        s.add(team)
        for day, kind, amount in ((date(2026, 10, 29), "deal", 90_000),
                                  (date(2026, 10, 30), "deal", 80_000),
                                  (date(2026, 10, 5), "deal", 10_000),
                                  (date(2026, 10, 14), "visit", None)):
            entry = LogEntry(kind=kind, count=1, customer="腾讯" if amount else "华为", day=day,
                             amount=Decimal(amount) if amount else None, new_customer=None,
                             note=None)
            activity.add(s, workspace_id=WORKSPACE, user_id="U0BO", team_id=team.id,
                         entry=entry, text=kind, source=f"seed-{day}-{kind}",
                         now=local(SHANGHAI, f"{day} 10:00"))
    for job, at in (("month-end", "2026-11-02 09:01"), ("alerts", "2026-11-02 09:00"),
                    ("checkin-reminder", "2026-11-19 09:31"),
                    # The script moved the next calibration to 19 Nov 15:00.
                    ("calibration", "2026-11-19 14:00"), ("calibration", "2026-11-19 15:45"),
                    ("alerts", "2026-11-20 11:00"), ("calibration", "2026-11-20 15:00"),
                    ("friday-report", "2026-11-20 17:01"), ("alerts", "2026-11-23 11:00"),
                    ("alerts", "2026-11-25 12:00"), ("friday-brief", "2026-11-27 15:01"),
                    ("quarter-end", "2027-01-04 09:01"), ("review", "2027-01-04 09:02")):
        when = local(SHANGHAI, at)
        bot.deps.clock.set(when)  # type: ignore[attr-defined]
        result = jobs.run_job(deps, job, now=when)
        assert result.sent and not result.failed, (job, at, result.lines)
