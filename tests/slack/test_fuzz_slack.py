"""Property tests through the front door: random command text, button clicks and form
submissions, sent as signed Slack requests to the real app (issue 7 §8).

For every request, whoever sends it:
- the HTTP status is 200 and every reply (the HTTP body, response_url posts, anything sent to
  the fake Slack) is valid Block Kit with no traceback or exception text in it;
- no listener raised: nothing was logged at ERROR and no reply is the internal-error apology;
- every command is answered (in the HTTP body, a response_url post, a DM or a form);
- an error reply (first section's block_id is ERROR_BLOCK) changed nothing in the database;
  a refusal (an audit row "denied") changed nothing but the audit log;
- every row written fits its column on PostgreSQL too (lengths, NUL, numeric precision);
- a rep's own rows (logs, check-ins, briefs) change only by that rep's requests, and land in
  that rep's workspace, one of their teams, and not in the future.

Adding a slash command, a button or a form is one line in COMMANDS, ACTIONS or FORMS below
(a command's words and word orders live in tests/fuzzing.py);
test_every_command_action_and_form_is_fuzzed fails until it is there. One app and database
serve the whole module, so data built by earlier examples (logs, leads, forms) is there to
be clicked, undone and forged against by later ones. Examples are derandomized (the "pacer"
profile in tests/conftest.py); `HYPOTHESIS_PROFILE=deep` searches 20 times longer, at random.
The regression tests at the end are what these found.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Numeric, select
from sqlmodel import SQLModel

import handlers
from bot.clock import FixedClock
from bot.i18n import LANGS, t
from bot.render import actions as actions_render
from bot.render import brief as brief_render
from bot.render import calibrate as cal_render
from bot.render import checkin as checkin_render
from bot.render import home as home_render
from bot.render import lead as lead_render
from bot.render import log as log_render
from bot.render import rate as rate_render
from bot.render import review as review_render
from bot.render import review_plans as plan_render
from bot.render import review_talk as talk_render
from bot.render.blocks import ERROR_BLOCK
from bot.slack.signing import action_body, command_body, sign, view_submission_body
from store import teams
from store.models import AuditEntry
from tests import fuzzing as fz
from tests.conftest import CHANNEL, NOW, SECRET, USERS, WORKSPACE, Bot, make_deps
from tests.fakes import FakeSlack, message_problems, view_problems

ROOT = Path(__file__).resolve().parents[2]
ACTORS = ("U0ALICE", "U0BO", "U0MEI", "U0STRAY", "U0ADMIN", "U0WEST")
FUZZ_USERS = {**USERS, "U0ADMIN": {"tz": "Pacific/Kiritimati", "locale": "en-US"},
              "U0WEST": {"tz": "Pacific/Pago_Pago", "locale": "zh-TW"}}
PERSONAL = ("activities", "checkins", "briefs")  # rows that belong to one rep
APOLOGIES = tuple(t(lang, "errors.internal") for lang in LANGS)
TRACEBACK = ("Traceback", 'File "', "Error:", "Exception", "raise ", "sqlalchemy", "psycopg",
             "NoneType", "KeyError", "ValueError", "TypeError")

# ------------------------------------------------------------------------- the tables

ids = st.one_of(st.integers(0, 60), st.sampled_from((-1, 2**31, 2**63, 10**30)))
id_text = st.one_of(ids.map(str), st.sampled_from(("", "01", "1.0", "１２", "²", "٣", "1e3",
                                                     " 7", "7 ", "0x1f", "None", "null")),
                    fz.any_text)


log_pick_values = st.one_of(  # "<activity id>:<customer id or new>"
    st.builds("{}:{}".format, id_text, st.one_of(st.just("new"), id_text)), fz.any_text)
json_scalars = st.one_of(st.none(), st.booleans(), ids, st.floats(allow_nan=True),
                         fz.any_text)
lead_args = st.lists(st.one_of(st.sampled_from(fz.LEAD_WORDS), fz.any_text, json_scalars),
                     max_size=6)
lead_pick_values = st.one_of(
    st.builds(lambda a, i: json.dumps({"args": a, "id": i}), lead_args, json_scalars),
    st.builds(lambda a: json.dumps({"args": a}), lead_args),
    st.recursive(json_scalars, lambda inner: st.lists(inner) | st.dictionaries(
        st.sampled_from(("args", "id", "x")), inner), max_leaves=6).map(json.dumps),
    fz.any_text, st.just("{"), st.just("x" * 3000))


@dataclass(frozen=True)
class Command:
    name: str
    words: tuple[str, ...]  # the grammar's own vocabulary, mixed with random text
    shapes: tuple = ()  # word orders the grammar expects (tests/fuzzing.shaped)


@dataclass(frozen=True)
class Action:
    action_id: str
    values: st.SearchStrategy  # button values: real, stale, forged, missing (None)


@dataclass(frozen=True)
class Form:
    callback_id: str
    fields: dict[str, str]  # block_id -> the input element's type
    metadata: dict[str, st.SearchStrategy]  # private_metadata keys the form writes


days = st.one_of(st.dates(date(2026, 11, 1), date(2026, 11, 25)).map(date.isoformat),
                 st.sampled_from(("1999-01-01", "2999-12-31", "0001-01-01", "2026-02-30")),
                 json_scalars)
refs = st.one_of(  # a calibration: "<team id>|<rep>|<cadence date or adhoc:…>"
    st.builds("{}|{}|{}".format, st.one_of(st.integers(0, 3).map(str), id_text),
              st.sampled_from(ACTORS), st.one_of(days, st.just("adhoc:x"), fz.any_text)),
    fz.any_text)
item_values = st.builds("{}:{}".format, st.sampled_from(("list", "dm", "repU0BO", "")),
                        id_text)
team_ids = st.one_of(st.integers(-1, 5), st.sampled_from((2**31, 10**30)), json_scalars)
workspaces = st.one_of(st.sampled_from((WORKSPACE, "T0OTHER", "", "T" * 100)), json_scalars)

COMMANDS = [
    Command("/log", fz.LOG_WORDS, fz.LOG_SHAPES),
    Command("/checkin", fz.CHECKIN_WORDS, fz.CHECKIN_SHAPES),
    Command("/brief", fz.BRIEF_WORDS, fz.BRIEF_SHAPES),
    Command("/lead", fz.LEAD_WORDS, fz.LEAD_SHAPES),
    Command("/pacer", fz.PACER_WORDS, fz.PACER_SHAPES),
    Command("/rate", fz.RATE_WORDS, fz.RATE_SHAPES),
    Command("/scorecard", fz.SCORE_WORDS, fz.SCORE_SHAPES),
    Command("/leaderboard", fz.SCORE_WORDS, fz.SCORE_SHAPES),
    Command("/target", fz.TARGET_WORDS, fz.TARGET_SHAPES),
    Command("/calibrate", fz.CALIBRATE_WORDS, fz.CALIBRATE_SHAPES),
    Command("/actions", fz.ACTIONS_WORDS),
    Command("/review", fz.REVIEW_WORDS, fz.REVIEW_SHAPES),
]
ACTIONS = [
    Action(log_render.UNDO_ACTION, st.one_of(id_text, st.none())),
    Action(f"{log_render.PICK_ACTION}:0", st.one_of(log_pick_values, st.none())),
    Action(f"{lead_render.PICK_ACTION}:0", st.one_of(lead_pick_values, st.none())),
    Action(checkin_render.OPEN_ACTION, st.one_of(st.just("open"), fz.any_text, st.none())),
    Action(brief_render.OPEN_ACTION, st.one_of(st.just("open"), fz.any_text, st.none())),
    Action(actions_render.DONE_ACTION, st.one_of(item_values, st.none())),
    Action(actions_render.REOPEN_ACTION, st.one_of(item_values, st.none())),
    *(Action(action_id, st.one_of(refs, st.none())) for action_id in (
        cal_render.ANSWER_ACTION, cal_render.MOVE_ACTION, cal_render.MINUTES_ACTION,
        cal_render.SKIP_ACTION)),
    *(Action(action_id, st.one_of(id_text, st.none())) for action_id in (
        review_render.SELF_OPEN, review_render.RATE_OPEN, review_render.APPEAL_OPEN,
        review_render.DECIDE_OPEN, plan_render.PLAN_OPEN, talk_render.MOVE_OPEN,
        talk_render.RECORD_OPEN, talk_render.CONFIRM_OPEN)),
    Action(plan_render.CHECK_OPEN, st.one_of(st.builds("{}:{}".format, id_text, id_text),
                                             st.none())),
    Action(home_render.LOG_ACTION, st.one_of(st.just("open"), fz.any_text, st.none())),
    Action("no_such_action", fz.any_text),  # a button from an older version of the app
]
TEXT, DATE, TIME = "plain_text_input", "datepicker", "timepicker"  # input elements
FORMS = [
    Form(checkin_render.MODAL_CALLBACK,
         {**dict.fromkeys(checkin_render.TEXT_FIELDS, TEXT),
          **dict.fromkeys(checkin_render.COUNT_FIELDS, "number_input")},
         {"w": workspaces, "team": team_ids, "day": days}),
    Form(brief_render.MODAL_CALLBACK, dict.fromkeys(brief_render.TEXT_FIELDS, TEXT),
         {"w": workspaces, "team": team_ids, "week": days}),
    Form(rate_render.PEER_CALLBACK, {"ratee": "users_select", "score": "radio_buttons"},
         {"team": team_ids, "period": st.one_of(st.sampled_from(fz.PERIODS), json_scalars)}),
    Form(cal_render.ANSWERS_FORM, dict.fromkeys(cal_render.QUESTIONS, TEXT), {"ref": refs}),
    Form(cal_render.MINUTES_FORM, {**dict.fromkeys(cal_render.MINUTES_FIELDS, TEXT),
                                   "a1_text": TEXT, "a1_owner": "users_select", "a1_due": DATE,
                                   "a1_measure": TEXT, "a2_text": TEXT, "a2_due": DATE},
         {"ref": refs}),
    Form(cal_render.MOVE_FORM, {"day": DATE, "time": TIME, "scope": "radio_buttons"},
         {"ref": refs}),
    Form(cal_render.SKIP_FORM, {"reason": TEXT}, {"ref": refs}),
    Form(review_render.SELF_FORM, {**dict.fromkeys(review_render.SELF_TEXTS, TEXT),
                                   "grade": "radio_buttons"}, {"r": ids}),
    Form(review_render.RATE_FORM, {**dict.fromkeys(review_render.RATE_TEXTS, TEXT),
                                   **dict.fromkeys(review_render.FACTORS, TEXT),
                                   "c_technical": "static_select", "c_technical_ex": TEXT,
                                   "grade": "static_select"}, {"r": ids}),
    Form(review_render.APPEAL_FORM, {"reason": TEXT}, {"r": ids}),
    Form(review_render.DECIDE_FORM, {"decision": "radio_buttons", "grade": "static_select",
                                     "comment": TEXT}, {"r": ids}),
    Form(plan_render.PLAN_FORM, {"targets": TEXT, "mentor": "users_select", "notes": TEXT},
         {"p": ids}),
    Form(plan_render.CHECK_FORM, {"status": "radio_buttons", "outcome": "radio_buttons",
                                  "decision": "radio_buttons", "decision_note": TEXT,
                                  "note": TEXT}, {"p": ids, "m": st.integers(-1, 13)}),
    Form(talk_render.MOVE_FORM, {"day": DATE, "time": TIME}, {"r": ids}),
    Form(talk_render.RECORD_FORM, {"grade": "static_select", "strengths_1": TEXT,
                                   "strengths_1_ex": TEXT, "improvements_1": TEXT,
                                   "improvements_1_ex": TEXT, "a1_text": TEXT, "a1_due": DATE,
                                   "a1_measure": TEXT, "development": TEXT,
                                   "mentee": "users_select"}, {"r": ids}),
    Form(talk_render.CONFIRM_FORM, {"comment": TEXT}, {"r": ids, "v": ids}),
    Form(home_render.LOG_FORM, {home_render.LOG_FIELD: TEXT},
         {"n": st.one_of(st.sampled_from(("seed-nonce", "x" * 300)), json_scalars)}),
    Form("no_such_form", {"x": TEXT}, {}),  # a form from an older version
]


# ------------------------------------------------------------------------- the app

class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Fuzzed:
    bot: Bot
    errors: ErrorLog


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    fake = FakeSlack(users=FUZZ_USERS, team_id=WORKSPACE).start()
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'pacer.db'}"
    settings_, deps = make_deps(url, fake, FixedClock(NOW))
    with deps.sessions() as session:
        teams.create_team(session, workspace_id=WORKSPACE, name="East", channel_id=CHANNEL,
                          managers=["U0MEI"], members=["U0ALICE", "U0BO"], tz="Asia/Shanghai",
                          currency="CNY", now=NOW)
        teams.create_team(session, workspace_id=WORKSPACE, name="West", channel_id="C0WEST",
                          managers=["U0ADMIN"], members=["U0WEST"], tz="Pacific/Pago_Pago",
                          currency="USD", now=NOW)
        teams.set_role(session, workspace_id=WORKSPACE, user_id="U0ADMIN", role="admin",
                       now=NOW)
    bot = Bot(settings_, deps, fake)
    seed(bot)
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    yield Fuzzed(bot, errors)
    logging.getLogger().removeHandler(errors)
    bot.close()
    fake.stop()


def seed(bot: Bot) -> None:
    """Data to click on and forge against: everyone's logs, leads, forms and ratings."""
    for user, command, text in [
        ("U0ALICE", "/log", "visit Acme Corp"), ("U0ALICE", "/log", "deal Acme Corp 120k new"),
        ("U0BO", "/log", "拜访 腾讯 昨天"), ("U0BO", "/log", "回款 腾讯 5万"),
        ("U0WEST", "/log", "demo Globex"), ("U0MEI", "/lead", "add Acme Inc"),
        ("U0ALICE", "/lead", "add Acme Ltd key"), ("U0ALICE", "/log", "visit Acme"),
        ("U0BO", "/checkin", "plan: 3 visits | blockers: none"), ("U0BO", "/brief", "wins: 腾讯"),
        ("U0MEI", "/rate", "<@U0BO> satisfaction 90"), ("U0ADMIN", "/pacer", "help"),
        ("U0STRAY", "/log", "help"),
    ]:
        assert "⚠️" not in bot.command(text, user=user, command=command).text
    form = form_of(home_render.LOG_FORM)  # a log whose form nonce others may forge
    send(bot, view_payload(form, {home_render.LOG_FIELD: {"value": field_state(
        TEXT, "拜访 华为")}}, json.dumps({"n": "seed-nonce"}), "U0BO"))
    bot.settle()


def send(bot: Bot, body: str) -> tuple[int, dict]:
    reply = bot.post(body, sign(SECRET, body))
    return reply.status, reply.body if isinstance(reply.body, dict) else {"raw": reply.body}


# ------------------------------------------------------------------------- the checks

Snapshot = dict[str, dict[tuple, dict]]


def snapshot(bot: Bot) -> Snapshot:
    tables: Snapshot = {}
    with bot.deps.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            tables[table.name] = {tuple(row[k] for k in keys): dict(row)
                                  for row in conn.execute(select(table)).mappings()}
    return tables


def changed(before: Snapshot, after: Snapshot) -> dict[str, list[dict]]:
    """Rows added or changed per table (a removed row shows as its old self)."""
    diff = {}
    for name, rows in after.items():
        old = before.get(name, {})
        touched = [row for key, row in rows.items() if old.get(key) != row]
        touched += [row for key, row in old.items() if key not in rows]
        if touched:
            diff[name] = touched
    return diff


def fits_postgres(table: str, row: dict) -> list[str]:
    """What PostgreSQL would refuse in a row SQLite took: strings past their length or with
    NUL, numbers past their precision, NaN and infinities, integers past int4."""
    problems = []
    for column in SQLModel.metadata.tables[table].columns:
        value, kind, name = row[column.name], column.type, f"{table}.{column.name}"
        if isinstance(value, str):
            length = getattr(kind, "length", None)  # sqlmodel's AutoString is no String
            if length and len(value) > length:
                problems.append(f"{name}: {len(value)} > {length} characters")
            if "\x00" in value:
                problems.append(f"{name}: NUL")
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{name}: {value}")
        elif isinstance(value, Decimal) and isinstance(kind, Numeric):
            limit = Decimal(10) ** ((kind.precision or 38) - (kind.scale or 0))
            if not value.is_finite() or abs(value) >= limit:
                problems.append(f"{name}: {value} overflows {kind}")
        elif isinstance(value, int) and not isinstance(value, bool) and not (
                -2**31 <= value < 2**31):
            problems.append(f"{name}: {value} overflows integer")
    return problems


def texts_of(reply: dict, calls: list) -> str:
    return json.dumps([reply, *[c.args for c in calls]], ensure_ascii=False)


def is_error(message: dict) -> bool:
    blocks = message.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return bool(blocks) and blocks[0].get("block_id") == ERROR_BLOCK


def local_today(bot: Bot, user: str) -> date:
    # /pacer me tz may just have dropped the cached profile: this reads it back (no writes).
    profile = bot.deps.users.profile(bot.app.client, WORKSPACE, user)
    return bot.deps.clock.now().astimezone(profile.tz).date()


def exchange(app: Fuzzed, body: str, *, actor: str, kind: str) -> None:
    """Send one request and check everything the module docstring promises."""
    bot = app.bot
    before, calls_before, logged_before = snapshot(bot), len(bot.fake.calls), len(
        app.errors.records)
    status, reply = send(bot, body)
    bot.settle()
    calls = bot.fake.calls[calls_before:]
    after = snapshot(bot)
    seen = texts_of(reply, calls)

    assert status == 200, (status, reply)
    assert app.errors.records[logged_before:] == [], seen
    assert not any(apology in seen for apology in APOLOGIES), seen
    assert not any(marker in seen for marker in TRACEBACK), seen
    assert [c.problems for c in calls if c.problems] == [], seen
    messages = [c.args for c in calls if c.method in ("response_url", "chat.postEphemeral",
                                                       "chat.postMessage")]
    if kind == "view":
        if reply.get("response_action") in ("update", "push"):
            assert view_problems(reply["view"]) == [], reply
        elif reply.get("response_action") == "errors":
            assert reply["errors"] and all(isinstance(v, str) for v in reply["errors"].values())
    elif reply:
        assert message_problems(reply) == [], reply
        messages.append(reply)
    if kind == "command":
        opened = [c for c in calls if c.method.startswith("views.")]
        assert messages or opened, "the command got no answer"

    diff = changed(before, after)
    if any(is_error(m) for m in messages):
        assert diff == {}, f"an error reply, yet the database changed: {diff}"
    if any(row["outcome"] == "denied" for row in diff.get(AuditEntry.__tablename__, [])):
        assert set(diff) == {AuditEntry.__tablename__}, f"refused, yet changed: {diff}"
    problems = [p for table, rows in diff.items() for row in rows
                for p in fits_postgres(table, row)]
    assert problems == [], problems
    check_ownership(bot, actor, before, diff)


def check_ownership(bot: Bot, actor: str, before: Snapshot, diff: dict) -> None:
    with bot.deps.sessions() as session:
        own_teams = teams.teams_of(session, workspace_id=WORKSPACE, user_id=actor)
    today = local_today(bot, actor)
    for table in PERSONAL:
        for row in diff.get(table, []):
            assert row["user_id"] == actor, f"{actor} changed {row['user_id']}'s {table}: {row}"
            assert row["workspace_id"] == WORKSPACE, row
            old = before[table].get((row["id"],))
            if old is None or old["team_id"] != row["team_id"]:
                assert row["team_id"] is None or row["team_id"] in own_teams, row
            day = row.get("occurred_on") or row.get("day") or row.get("week_start")
            assert day <= today, f"{table} in the future: {row}"
    for row in diff.get("peer_ratings", []):
        assert row["team_id"] in own_teams, f"{actor} rated in another team: {row}"


# ------------------------------------------------------------------------- payloads

def action_payload(action_id: str, value: str | None, user: str, counter: int,
                   bot: Bot) -> str:
    return action_body(user_id=user, team_id=WORKSPACE, channel_id=CHANNEL,
                       action_id=action_id, value=value,
                       response_url=bot.fake.response_url(f"fuzz-{counter}"))


def field_state(element: str, value: object) -> dict:
    if element == "users_select":
        return {"type": element, "selected_user": value}
    if element in ("radio_buttons", "static_select"):
        return {"type": element, "selected_option": None if value is None else {
            "value": value, "text": {"type": "plain_text", "text": "x"}}}
    if element in ("datepicker", "timepicker"):
        return {"type": element, f"selected_{element[:4]}": value}
    return {"type": element, "value": value}


def view_payload(form: Form, state: dict, metadata: str, user: str) -> str:
    view = {"blocks": [], "title": {"type": "plain_text", "text": "Form"},
            "private_metadata": metadata, "callback_id": form.callback_id}
    return view_submission_body(view, {}, user_id=user, team_id=WORKSPACE,
                                state={"values": state})


field_values = st.one_of(st.none(), fz.any_text, st.sampled_from(
    ("", "0", "3", "100", "101", "-1", "1.5", "1", "5", "6", "x" * 5000, *fz.USERS,
     *ACTORS, "A", "B+", "S", "approve", "reject", "on_track", "completed", "this", "following",
     "2026-11-20", "2026-11-30", "2026-02-30", "1999-01-01", "99999-01-01", "15:00",
     "09:30", "25:61", "3pm")), fz.mixed(fz.CHECKIN_WORDS + fz.BRIEF_WORDS))


@st.composite
def states(draw: Callable, form: Form) -> dict:
    state = {}
    for block_id, element in form.fields.items():
        if draw(st.integers(0, 9)) == 0:
            continue  # Slack leaves out blocks the view no longer has (a stale form)
        value = draw(st.sampled_from(ACTORS) if element == "users_select" and draw(
            st.booleans()) else field_values)
        state[block_id] = {checkin_render.VALUE_ACTION: field_state(element, value)}
    if draw(st.booleans()):
        state[draw(fz.any_text)] = {"value": {"type": "plain_text_input", "value": "x"}}
    return state


@st.composite
def metadatas(draw: Callable, form: Form) -> str:
    meta = {key: draw(values) for key, values in form.metadata.items()
            if draw(st.integers(0, 5))}
    return draw(st.one_of(st.just(json.dumps(meta)), st.just(json.dumps(meta)),
                          st.sampled_from(("", "{", "[]", "null", "1", '"x"', "x" * 3000)),
                          fz.any_text))


# ------------------------------------------------------------------------- the tests

class Registrations:
    """Stands in for Bolt's App while the handlers register, to list what they listen to."""

    def __init__(self) -> None:
        self.commands: set[str] = set()
        self.actions: list[str | re.Pattern] = []
        self.views: list[str | re.Pattern] = []

    def command(self, name: str) -> Callable:
        self.commands.add(name)
        return lambda listener: listener

    def action(self, constraint: str | re.Pattern) -> Callable:
        self.actions.append(constraint)
        return lambda listener: listener

    def view(self, constraint: str | re.Pattern) -> Callable:
        self.views.append(constraint)
        return lambda listener: listener

    def __getattr__(self, name: str) -> Callable:  # events, options, shortcuts, middleware
        return lambda *args, **kwargs: (lambda listener: listener)


def covered(constraint: str | re.Pattern, ids: set[str]) -> bool:
    if isinstance(constraint, str):
        return constraint in ids
    return any(constraint.search(i) for i in ids)


def test_every_command_action_and_form_is_fuzzed(app: Fuzzed) -> None:
    registered = Registrations()
    handlers.register_all(registered, app.bot.deps)
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert {c.name for c in COMMANDS} == declared | registered.commands
    actions, forms = {a.action_id for a in ACTIONS}, {f.callback_id for f in FORMS}
    missing = [c for c in registered.actions if not covered(c, actions)]
    missing += [c for c in registered.views if not covered(c, forms)]
    assert not missing, f"add these to ACTIONS or FORMS: {missing}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_any_command_text(app: Fuzzed, command: Command) -> None:
    @settings(max_examples=fz.examples(20))
    @given(st.sampled_from(ACTORS), fz.command_text(command.words, command.shapes))
    def run(actor: str, text: str) -> None:
        app.bot.counter += 1
        body = command_body(command.name, text, user_id=actor, team_id=WORKSPACE,
                            channel_id=CHANNEL, trigger_id=f"{time.time()}.{uuid.uuid4().hex}",
                            response_url=app.bot.fake.response_url(str(app.bot.counter)))
        exchange(app, body, actor=actor, kind="command")

    run()


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.action_id)
def test_any_button_value(app: Fuzzed, action: Action) -> None:
    @settings(max_examples=fz.examples(20))
    @given(st.sampled_from(ACTORS), action.values)
    def run(actor: str, value: str | None) -> None:
        app.bot.counter += 1
        exchange(app, action_payload(action.action_id, value, actor, app.bot.counter, app.bot),
                 actor=actor, kind="action")

    run()


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.callback_id)
def test_any_form_submission(app: Fuzzed, form: Form) -> None:
    @settings(max_examples=fz.examples(20))
    @given(st.sampled_from(ACTORS), states(form), metadatas(form))
    def run(actor: str, state: dict, metadata: str) -> None:
        exchange(app, view_payload(form, state, metadata, actor), actor=actor, kind="view")

    run()


# ------------------------------------------------------------------------- bodies and headers

ENVELOPE_KEYS = ("type", "team", "user", "enterprise", "channel", "container", "message",
                 "view", "actions", "event", "authorizations", "response_urls", "team_id",
                 "user_id", "enterprise_id", "command", "text", "response_url", "trigger_id",
                 "callback_id", "event_id", "id", "action_id", "block_id", "value", "state",
                 "values", "private_metadata", "is_enterprise_install")
ENVELOPE_TYPES = ("block_actions", "view_submission", "view_closed", "event_callback",
                  "shortcut", "message_action", "block_suggestion", "url_verification",
                  "app_rate_limited", "interactive_message")
json_values = st.recursive(
    st.one_of(json_scalars, st.sampled_from((*ENVELOPE_TYPES, *ACTORS, WORKSPACE, "T0OTHER",
                                             checkin_render.MODAL_CALLBACK,
                                             log_render.UNDO_ACTION))),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(ENVELOPE_KEYS), inner, max_size=5), max_leaves=12)
envelopes = st.one_of(json_values, st.builds(
    lambda kind, rest: {**rest, "type": kind}, st.sampled_from(ENVELOPE_TYPES),
    st.dictionaries(st.sampled_from(ENVELOPE_KEYS), json_values, max_size=6)))


@st.composite
def bodies(draw: Callable) -> tuple[str, str]:
    """A body as a forger might sign it: an envelope as JSON, as a form's payload, a form
    sent as JSON, or text; with the content type it claims."""
    envelope = json.dumps(draw(envelopes))
    form = "application/x-www-form-urlencoded"
    return draw(st.sampled_from((
        (envelope, "application/json"), (envelope, form),
        (urllib.parse.urlencode({"payload": envelope}), form),
        ("payload=" + envelope[: draw(st.integers(0, 40))], form),
        (command_body("/log", "visit Acme", user_id="U0ALICE", team_id=WORKSPACE,
                      channel_id=CHANNEL, response_url="http://127.0.0.1:9/r"),
         "application/json"),
        (draw(fz.any_text), draw(st.sampled_from((form, "application/json", "text/plain")))),
    )))


def refused_quietly(app: Fuzzed, body: str, headers: dict[str, str]) -> int:
    """Send it; whatever came back was no 500, no apology and no traceback, nothing was
    logged at ERROR, and a refusal (4xx) reached nothing: no Slack call, no row."""
    bot = app.bot
    before, calls_before = snapshot(bot), len(bot.fake.calls)
    logged_before = len(app.errors.records)
    reply = bot.post(body, headers)
    bot.settle()
    seen = json.dumps([reply.body, *[c.args for c in bot.fake.calls[calls_before:]]])
    assert reply.status < 500, (reply.status, reply.body)
    assert app.errors.records[logged_before:] == [], seen
    assert not any(apology in seen for apology in APOLOGIES), seen
    assert not any(marker in json.dumps(reply.body) for marker in TRACEBACK), reply.body
    if reply.status >= 400:
        assert bot.fake.calls[calls_before:] == [], seen
        assert changed(before, snapshot(bot)) == {}
    return reply.status


def test_any_signed_body(app: Fuzzed) -> None:
    @settings(max_examples=fz.examples(150))
    @given(bodies())
    def run(body: tuple[str, str]) -> None:
        raw, content_type = body
        refused_quietly(app, raw, {**sign(SECRET, raw), "Content-Type": content_type})

    run()


def test_any_signature_headers(app: Fuzzed) -> None:
    body = command_body("/log", "visit Acme", user_id="U0ALICE", team_id=WORKSPACE,
                        channel_id=CHANNEL, response_url=app.bot.fake.response_url("sig"))
    good = sign(SECRET, body)
    headers = st.one_of(st.none(), fz.any_text, st.sampled_from((
        "", "abc", "-1", "1e9", " 1", "0", "99999999999999999999", "v0=", "v1=" + "0" * 64,
        "v0=" + "é" * 64, "v0=" + "0" * 64, good["X-Slack-Signature"].upper(),
        str(int(time.time()) - 600), good["X-Slack-Request-Timestamp"] + "0")))

    @settings(max_examples=fz.examples(100))
    @given(headers, headers, st.booleans())
    def run(timestamp: str | None, signature: str | None, keep_timestamp: bool) -> None:
        forged = {"Content-Type": good["Content-Type"],
                  "X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]
                  if keep_timestamp else timestamp, "X-Slack-Signature": signature}
        sent = {k: v.encode("utf-8").decode("latin-1") for k, v in forged.items()
                if v is not None and "\n" not in v and "\r" not in v}
        if sent.get("X-Slack-Signature") == good["X-Slack-Signature"] and sent.get(
                "X-Slack-Request-Timestamp") == good["X-Slack-Request-Timestamp"]:
            return  # that is the real signature
        # waitress itself answers 400 to a header with control characters in it.
        garbled = any(ord(c) < 32 or ord(c) == 127 for v in sent.values() for c in v)
        assert refused_quietly(app, body, sent) == (400 if garbled else 401), sent

    run()


def test_the_bodies_the_attack_found_are_refused_before_bolt(app: Fuzzed) -> None:
    view_null = json.dumps({"type": "view_submission", "team": {"id": WORKSPACE},
                            "user": {"id": "U0ALICE"}, "view": None})
    form = "application/x-www-form-urlencoded"
    for raw, content_type in [("payload={bad", form), ("payload=[]", form),
                              ("payload=null", form), ("payload=" + view_null, form),
                              ("{not json", "application/json"),
                              ("token=x&command=%2Flog&text=visit", "application/json"),
                              (json.dumps({"type": "event_callback", "event": None}),
                               "application/json"),
                              # Bolt reads these as body.get("event", {}): null is no object.
                              ("payload=" + json.dumps({"type": "shortcut", "event": None}), form),
                              (json.dumps({"type": "event_callback", "event": {
                                  "type": "tokens_revoked", "tokens": None}}),
                               "application/json")]:
        assert refused_quietly(app, raw, {**sign(SECRET, raw), "Content-Type": content_type}
                               ) == 400, raw
    body = "token=x&command=%2Flog&text=visit"
    for timestamp in ("abc", "", "12.5"):
        headers = {**sign(SECRET, body), "X-Slack-Request-Timestamp": timestamp}
        assert refused_quietly(app, body, headers) == 401, timestamp


# ------------------------------------------------------------------------- what they found

def click(bot: Bot, action_id: str, value: str | None, user: str = "U0ALICE") -> list[dict]:
    """Press a button; what the app posted back (the block_actions ack itself is empty)."""
    bot.counter += 1
    before = len(bot.fake.calls)
    status, _ = send(bot, action_payload(action_id, value, user, bot.counter, bot))
    bot.settle()
    assert status == 200
    return [c.args for c in bot.fake.calls[before:] if c.method == "response_url"]


def submit_form(bot: Bot, form: Form, answers: dict[str, object], metadata: str,
                user: str = "U0ALICE") -> dict:
    state = {block_id: {checkin_render.VALUE_ACTION: field_state(form.fields[block_id], value)}
             for block_id, value in answers.items()}
    status, reply = send(bot, view_payload(form, state, metadata, user))
    assert status == 200
    return reply


def form_of(callback_id: str) -> Form:
    return next(f for f in FORMS if f.callback_id == callback_id)


def rows_of(bot: Bot, table: str) -> list[dict]:
    return list(snapshot(bot)[table].values())


def test_a_button_value_too_large_for_an_id_is_refused(bot: Bot) -> None:
    for name in ("Acme Inc", "Acme Ltd"):
        bot.command(f"add {name}", command="/lead")
    assert "Which customer" in bot.command("visit Acme").text  # log 1, not linked yet
    not_yours = t("en", "log.undo_not_yours")
    for value in ("9" * 30, str(2**63), "²"):
        assert click(bot, log_render.UNDO_ACTION, value)[0]["text"] == not_yours, value
        assert click(bot, f"{log_render.PICK_ACTION}:0", f"{value}:new")[0]["text"] == not_yours
        [reply] = click(bot, f"{log_render.PICK_ACTION}:0", f"1:{value}")
        assert reply["text"] == t("en", "errors.stale"), value
    [row] = rows_of(bot, "activities")
    assert row["deleted_at"] is None and row["customer_id"] is None
    assert len(rows_of(bot, "customers")) == 2  # no new customer from a choice that isn't one


def test_a_lead_button_that_is_not_ours_is_stale_not_a_crash(bot: Bot) -> None:
    bot.command("add Acme Corp", command="/lead")
    for value in ("{", "[]", '{"args": "stage", "id": 1}', '{"args": [1], "id": 1}',
                  '{"args": ["show", "Acme"], "id": "x"}', json.dumps({"args": ["a"] * 999})[:2000],
                  None):
        [reply] = click(bot, f"{lead_render.PICK_ACTION}:0", value)
        assert reply["text"] == t("en", "errors.stale"), value
    [shown] = click(bot, f"{lead_render.PICK_ACTION}:0", '{"args": ["show", "Acme"], "id": 1}')
    assert "Acme Corp" in shown["text"]


def test_a_button_or_form_no_handler_knows_is_answered(bot: Bot) -> None:
    [reply] = click(bot, "an_action_from_an_older_version", "1")
    assert reply["text"] == t("en", "errors.stale") and reply["response_type"] == "ephemeral"
    answer = submit_form(bot, Form("a_form_from_an_older_version", {}, {}), {}, "")
    assert answer["response_action"] == "update"
    assert t("en", "errors.stale") in json.dumps(answer["view"])


def test_a_form_files_under_the_reps_own_team_and_a_recent_day_whatever_its_metadata(
        bot: Bot) -> None:
    with bot.deps.sessions() as session:
        other = teams.create_team(session, workspace_id=WORKSPACE, name="West",
                                  channel_id=None, managers=["U0STRAY"], members=[],
                                  tz="UTC", currency="USD", now=NOW)
    checkin = form_of(checkin_render.MODAL_CALLBACK)
    brief = form_of(brief_render.MODAL_CALLBACK)
    for meta in ({"w": "T0OTHER", "team": other.id, "day": "2099-01-01"},
                 {"team": 0, "day": "1999-01-01"}, {"team": 2**63, "week": "2099-01-05"}):
        assert submit_form(bot, checkin, {"plan": "call Acme"}, json.dumps(meta))[
            "response_action"] == "update"
        assert submit_form(bot, brief, {"wins": "Acme"}, json.dumps(meta))[
            "response_action"] == "update"
    [saved_checkin] = rows_of(bot, "checkins")
    [saved_brief] = rows_of(bot, "briefs")
    east = teams.teams_of  # Alice is on East only
    with bot.deps.sessions() as session:
        alices = east(session, workspace_id=WORKSPACE, user_id="U0ALICE")
    for row in (saved_checkin, saved_brief):
        assert row["workspace_id"] == WORKSPACE and row["team_id"] in alices
    assert saved_checkin["day"] == date(2026, 11, 17)  # Alice's today, in New York
    assert saved_brief["week_start"] == date(2026, 11, 16)


def test_a_peer_rating_form_with_broken_or_foreign_metadata(bot: Bot) -> None:
    peer = form_of(rate_render.PEER_CALLBACK)
    with bot.deps.sessions() as session:
        other = teams.create_team(session, workspace_id=WORKSPACE, name="West",
                                  channel_id=None, managers=["U0STRAY"], members=["U0WEST"],
                                  tz="UTC", currency="USD", now=NOW)
    answers = {"ratee": "U0BO", "score": "4"}
    for meta in ("{", "[]", "", json.dumps({"team": "1"}), json.dumps({"period": "2099-Q1"})):
        reply = submit_form(bot, peer, answers, meta)
        assert reply["response_action"] == "update", meta  # filed under Alice's own team
    foreign = submit_form(bot, peer, {"ratee": "U0WEST", "score": "4"},
                          json.dumps({"team": other.id, "period": "2026-Q4"}))
    assert foreign["errors"] == {"ratee": t("en", "rate.peer_not_team")}
    [row] = rows_of(bot, "peer_ratings")  # one rating: the same rater, ratee and quarter
    assert (row["ratee_user_id"], row["period"], row["score"]) == ("U0BO", "2026-Q4", 4)


def test_target_with_words_it_does_not_know_says_so(bot: Bot) -> None:
    for text in ("foo", "show foo", "<@U0BO> 0000"):
        reply = bot.command(text, command="/target")
        assert is_error(reply.body), text
        assert "I didn't understand" in reply.text


def test_a_rating_of_nan_is_refused(bot: Bot) -> None:
    for value in ("nan", "NaN%", "-nan", "inf", "1e999"):
        reply = bot.command(f"<@U0ALICE> satisfaction {value}", command="/rate", user="U0MEI")
        assert is_error(reply.body), value
    assert rows_of(bot, "ratings") == []


def test_a_command_that_says_payload_is_answered(bot: Bot) -> None:
    # slack_bolt's own parser drops any form body containing "payload" (bot/slack/server.py).
    assert "Payload Inc" in bot.command("visit Payload Inc").text
    assert "payload" in bot.command("add payload", command="/lead").text
    [row] = rows_of(bot, "activities")
    assert row["customer"] == "Payload Inc"


def test_the_column_check_catches_what_postgresql_refuses() -> None:
    row = {c.name: None for c in SQLModel.metadata.tables["customers"].columns}
    assert fits_postgres("customers", {**row, "name": "Acme", "id": 7}) == []
    assert sorted(fits_postgres("customers", {**row, "name": "x" * 201, "source": "a\x00b",
                                              "id": 2**31})) == [
        "customers.id: 2147483648 overflows integer", "customers.name: 201 > 200 characters",
        "customers.source: NUL"]
    amount = {c.name: None for c in SQLModel.metadata.tables["activities"].columns}
    assert fits_postgres("activities", {**amount, "amount": Decimal(10) ** 16}) != []
    rating = {c.name: None for c in SQLModel.metadata.tables["ratings"].columns}
    assert fits_postgres("ratings", {**rating, "value": float("nan")}) != []


def test_nul_characters_are_dropped_before_anything_is_stored(bot: Bot) -> None:
    assert "AcmeCorp" in bot.command("visit Acme\x00Corp").text
    bot.command("blockers: waiting\x00 on legal", command="/checkin")
    [log], [checkin] = rows_of(bot, "activities"), rows_of(bot, "checkins")
    assert (log["customer"], log["text"]) == ("AcmeCorp", "visit AcmeCorp")
    assert checkin["blockers"] == "waiting on legal"


def test_text_longer_than_its_column_is_refused_with_the_limit(bot: Bot) -> None:
    bot.command("add Acme Corp", command="/lead")
    bot.command("help", command="/rate", user="U0MEI")  # Mei's profile is cached from now on
    for command, text, user, limit in [
            ("/lead", "add " + "N" * 201, "U0ALICE", 200),
            ("/lead", "add Globex from " + "s" * 101, "U0ALICE", 100),
            ("/lead", "lost Acme Corp " + "r" * 501, "U0ALICE", 500),
            ("/rate", "<@U0BO> compliance 5 " + "n" * 501, "U0MEI", 500),
            ("/target", "set <@U0BO> sales 500k 2026-Q4 " + "y" * 501, "U0MEI", 500),
            ("/pacer", "team create " + "T" * 81, "U0MEI", 80),
            ("/pacer", "team create North currency " + "C" * 9, "U0MEI", None)]:
        before = snapshot(bot)
        reply = bot.command(text, command=command, user=user)
        assert is_error(reply.body), text
        assert (limit is None and "CCCCCCCCC" in reply.text) or f"{limit} " in reply.text, text
        assert changed(before, snapshot(bot)) == {}, text


def test_calibration_action_item_and_review_ids_too_large_are_not_found(bot: Bot) -> None:
    huge = str(2**63)
    assert click(bot, actions_render.DONE_ACTION, f"list:{huge}")[0]["text"] == t(
        "en", "act.gone")
    opened = []
    for action_id, value in ((cal_render.SKIP_ACTION, f"{huge}|U0ALICE|2026-11-24"),
                             (review_render.SELF_OPEN, huge),
                             (plan_render.CHECK_OPEN, f"1:{huge}")):
        before = len(bot.fake.find("views.open"))
        click(bot, action_id, value)
        opened.append(json.dumps(bot.fake.wait_for("views.open", before + 1)[-1].args))
    assert t("en", "calx.gone") in opened[0]
    assert all("That review is no longer there" in view for view in opened[1:]), opened
    for callback_id, meta in ((cal_render.SKIP_FORM, {"ref": f"{huge}|U0ALICE|2026-11-24"}),
                              (review_render.RATE_FORM, {"r": 2**63}),
                              (plan_render.CHECK_FORM, {"p": 2**63, "m": 1})):
        reply = submit_form(bot, form_of(callback_id), {}, json.dumps(meta))
        assert t("en", "errors.internal") not in json.dumps(reply), callback_id


def test_a_moved_calibrations_notices_fit_the_ledger(bot: Bot) -> None:
    reply = bot.command("move <@U0ALICE> tomorrow 15:00", command="/calibrate", user="U0MEI")
    assert not is_error(reply.body), reply.text
    bot.settle()
    ledger = rows_of(bot, "deliveries")
    assert ledger, "the move notified nobody"
    assert [p for row in ledger for p in fits_postgres("deliveries", row)] == []


def test_a_home_log_form_cannot_bring_back_someone_elses_log(bot: Bot) -> None:
    form, field = form_of(home_render.LOG_FORM), home_render.LOG_FIELD
    nonce = json.dumps({"n": "1764000000.abc"})
    for user, text in (("U0BO", "visit Globex"), ("U0ALICE", "visit Initech")):
        reply = submit_form(bot, form, {field: text}, nonce, user=user)
        assert reply["response_action"] == "update", reply
    shown = json.dumps(reply["view"])
    assert "Initech" in shown and "Globex" not in shown
    assert sorted((r["user_id"], r["customer"]) for r in rows_of(bot, "activities")) == [
        ("U0ALICE", "Initech"), ("U0BO", "Globex")]
