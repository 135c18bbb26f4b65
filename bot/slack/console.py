"""`pacer console`: the real app, handlers and store against a built-in Slack on loopback.

Lines are read from a terminal or standard input: `/command text` as the current user,
`:as USER`, `:now DATETIME`, `:home`, `:click N`, `:users`, `:help`, `:quit`. Everything the bot
sends (ephemeral replies, DMs, channel posts, modals) is printed as readable text.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.app import create_app
from bot.clock import OffsetClock
from bot.config import Settings
from bot.deps import Deps
from bot.followups import FOLLOW_UPS
from bot.i18n import team_error_text
from bot.slack.emulator import Call, SlackEmulator
from bot.slack.request import SlackRequest
from bot.slack.signing import (
    action_body,
    command_body,
    event_body,
    event_headers,
    sign,
    view_submission_body,
)
from store import db, teams

CONSOLE_DB = "sqlite:///pacer-console.db"
WORKSPACE = "T0DEMO"
CHANNEL = "C0SALES"
DEMO_TEAM = "Demo Sales"
DEMO_USERS = {
    "U0ALICE": {"real_name": "Alice Chen", "tz": "America/New_York", "locale": "en-US"},
    "U0BO": {"real_name": "王博 Wang Bo", "tz": "Asia/Shanghai", "locale": "zh-CN"},
    "U0CARLOS": {"real_name": "Carlos Lim", "tz": "Asia/Singapore", "locale": "en-GB"},
    # The demo's manager is also a Slack workspace admin, so Pacer's admin (SPEC §5b): at the
    # keyboard, `:as U0MEI` can do what an admin does.
    "U0MEI": {"real_name": "李梅 Li Mei (manager)", "tz": "Asia/Shanghai", "locale": "zh-CN",
              "is_admin": True},
}
HELP = """Type a slash command as the current user, e.g. /log visit Acme Corp
  :as USER        switch user ({users})
  :now DATETIME   set the clock, e.g. :now 2026-11-20 17:30 (in the current user's zone)
  :run JOB        run a scheduled job now, e.g. :run checkin-reminder (set :now first)
  :home           open the current user's App Home (their dashboard)
  :click N        press button N of the last message
  :fill N TEXT    type TEXT into field N of the open form; :submit sends it, :cancel closes
  :users          who is who
  :help           this text        :quit  leave"""


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, so the console can wait for work done after the ack."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait(self, timeout: float = 10.0) -> None:
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.exception(timeout=timeout)


@dataclass
class Button:
    label: str
    action_id: str
    value: str
    response_url: str


class Console:
    def __init__(self, settings: Settings, out: TextIO, start_user: str | None) -> None:
        self.out = out
        self.pending_calls: list[Call] = []
        self.emulator = SlackEmulator(users=DEMO_USERS, on_call=self.pending_calls.append,
                                      team_id=WORKSPACE).start()
        self.secret = secrets.token_hex(16)
        database = settings.database_url if settings.database_url != Settings().database_url \
            else CONSOLE_DB
        self.settings = replace(settings, database_url=database, bot_token="xoxb-console",
                                signing_secret=self.secret, app_token=None, client_id=None,
                                client_secret=None, slack_api_url=self.emulator.api_url)
        self.clock = OffsetClock()
        if settings.clock_start is not None:  # PACER_NOW: a scripted month starts (and seeds) then
            self.clock.set(settings.clock_start)
        self.deps = Deps.build(self.settings, clock=self.clock)
        db.upgrade(self.deps.engine)
        self.seed()
        self.executor = TrackingExecutor()
        self.app = create_app(self.settings, self.deps, listener_executor=self.executor)
        self.user = start_user or "U0ALICE"
        self.buttons: list[Button] = []
        self.counter = 0
        self.modal: dict | None = None  # the open form, as views.open sent it
        self.answers: dict[str, str] = {}

    def seed(self) -> None:
        """A demo team on first start, so every command has someone to work for."""
        with self.deps.sessions() as session:
            if teams.list_teams(session, workspace_id=WORKSPACE):
                return
            teams.create_team(session, workspace_id=WORKSPACE, name=DEMO_TEAM,
                              channel_id=CHANNEL, managers=["U0MEI"],
                              members=["U0ALICE", "U0BO", "U0CARLOS"], tz="Asia/Shanghai",
                              currency="CNY", now=self.clock.now())
        self.say(f"Seeded the demo team '{DEMO_TEAM}' (#sales {CHANNEL}): manager U0MEI, "
                 "reps U0ALICE, U0BO, U0CARLOS.")

    # io ------------------------------------------------------------------
    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def prompt(self) -> str:
        return f"{self.user}> "

    def handle_line(self, line: str) -> bool:
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            self.slash(command, text.strip())
        elif line in (":quit", ":q", ":exit"):
            return False
        elif line.startswith(":as"):
            self.switch_user(line[3:].strip())
        elif line.startswith(":now"):
            self.set_now(line[4:].strip())
        elif line.startswith(":click"):
            self.click(line[6:].strip())
        elif line.startswith(":fill"):
            self.fill(line[5:].strip())
        elif line == ":submit":
            self.submit()
        elif line == ":cancel":
            self.modal = None
            self.say("Form closed.")
        elif line == ":users":
            for uid, info in DEMO_USERS.items():
                admin = "  (Slack admin: Pacer's admin)" if info.get("is_admin") else ""
                self.say(f"  {uid:10} {info['real_name']}  {info['tz']}  {info['locale']}{admin}")
        elif line.startswith(":run"):
            self.run_job(line[4:].strip())
        elif line == ":home":
            self.open_home()
        else:
            self.say(HELP.format(users=", ".join(DEMO_USERS)))
        return True

    def run_job(self, text: str) -> None:
        """`:run JOB [TEAM]`: the job once, at the console's clock, as `pacer jobs run` does."""
        from bot.jobs import registry as jobs

        name, _, team = text.partition(" ")
        now = self.clock.now()
        try:
            result = jobs.run_job(self.deps, name, now=now, team=team.strip() or None)
        except jobs.JobError as exc:
            self.say(str(exc))
            return
        except teams.TeamError as exc:
            self.say(team_error_text(exc, "en"))
            return
        while self.pending_calls:
            self.show_call(self.pending_calls.pop(0))
        zone = ZoneInfo(DEMO_USERS[self.user]["tz"])
        self.say(f"{name} at {now.astimezone(zone):%a %Y-%m-%d %H:%M} {zone.key}: "
                 f"{result.summary()}")
        for line in result.lines:
            self.say(f"  {line}")

    def open_home(self) -> None:
        """The current user clicks Pacer's Home tab (an app_home_opened event)."""
        event = {"type": "app_home_opened", "user": self.user, "tab": "home",
                 "channel": f"D{self.user}", "event_ts": f"{self.clock.now().timestamp():.6f}"}
        self._dispatch(event_body(event, team_id=WORKSPACE, event_id=f"Ev{secrets.token_hex(6)}",
                                  event_time=int(self.clock.now().timestamp())), event_headers)

    def switch_user(self, user: str) -> None:
        if user not in DEMO_USERS:
            self.say(f"Unknown user {user!r}; try one of {', '.join(DEMO_USERS)}")
            return
        self.user = user
        self.say(f"Now acting as {user} ({DEMO_USERS[user]['real_name']}).")

    def set_now(self, text: str) -> None:
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            self.say("Give a date and time, e.g. :now 2026-11-20 17:30")
            return
        zone = ZoneInfo(DEMO_USERS[self.user]["tz"])
        if at.tzinfo is None:
            at = at.replace(tzinfo=zone)
        self.clock.set(at)
        self.say(f"Clock set to {at.astimezone(zone):%a %Y-%m-%d %H:%M} {zone.key}.")

    # requests ------------------------------------------------------------
    def _dispatch(self, body: str, headers: Callable[[str, str], dict] = sign) -> None:
        response = self.app.dispatch(SlackRequest(body=body, headers=headers(self.secret, body)))
        if response.status != 200:
            self.say(f"[HTTP {response.status}] {response.body}")
        elif response.body:
            try:
                payload = json.loads(response.body)
            except ValueError:
                payload = {"text": response.body}
            self.show("reply (only you can see this)", payload, self._response_url())
        self.executor.wait()
        FOLLOW_UPS.wait()  # /log's confirmation comes from its own pool (handlers/log.py)
        while self.pending_calls:
            self.show_call(self.pending_calls.pop(0))

    def _response_url(self) -> str:
        return self.emulator.response_url(str(self.counter))

    def slash(self, command: str, text: str) -> None:
        self.counter += 1
        text = slack_escaped(text, mentions=command in ESCAPED_COMMANDS)
        self._dispatch(command_body(command, text, user_id=self.user, team_id=WORKSPACE,
                                    channel_id=CHANNEL, response_url=self._response_url()))

    def click(self, which: str) -> None:
        if not which.isdecimal() or not 0 < int(which) <= len(self.buttons):
            self.say("No such button; the last message's buttons are numbered [1], [2], …")
            return
        button = self.buttons[int(which) - 1]
        self._dispatch(action_body(user_id=self.user, team_id=WORKSPACE, channel_id=CHANNEL,
                                   action_id=button.action_id, value=button.value,
                                   response_url=button.response_url))

    def _inputs(self) -> list[dict]:
        return [b for b in (self.modal or {}).get("blocks", []) if b.get("type") == "input"]

    def fill(self, text: str) -> None:
        number, _, value = text.partition(" ")
        inputs = self._inputs()
        if not inputs:
            self.say("No form is open. Open one, e.g. /checkin")
        elif not number.isdecimal() or not 0 < int(number) <= len(inputs):
            self.say(f"Fields are numbered 1 to {len(inputs)}: :fill 1 3 visits, 5 calls")
        else:
            block = inputs[int(number) - 1]
            chosen = _choice(block["element"].get("options") or [], value.strip())
            self.answers[block["block_id"]] = chosen
            self.say(f"  ({number}) {block['label']['text']}: {chosen}")

    def submit(self) -> None:
        if self.modal is None:
            self.say("No form is open. Open one, e.g. /checkin")
            return
        body = view_submission_body(self.modal, self.answers, user_id=self.user,
                                    team_id=WORKSPACE)
        response = self.app.dispatch(SlackRequest(body=body, headers=sign(self.secret, body)))
        self.executor.wait()
        reply = json.loads(response.body) if response.body else {}
        if reply.get("response_action") == "errors":
            labels = {b["block_id"]: b["label"]["text"] for b in self._inputs()}
            self.say("── the form says ──")
            for block_id, error in reply["errors"].items():
                self.say(f"  {labels.get(block_id, block_id)}: {_plain(error)}")
            return
        self.modal, self.answers = None, {}
        if reply.get("response_action") == "update":
            self.show("form", reply["view"], "")
        else:
            self.say("Form submitted.")
        while self.pending_calls:
            self.show_call(self.pending_calls.pop(0))

    # printing ------------------------------------------------------------
    def show_call(self, call: Call) -> None:
        args = call.args
        if call.method == "response_url":
            label = "reply (only you can see this)" if args.get("response_type") != \
                "in_channel" else "reply in channel"
            if args.get("replace_original") in (True, "true"):
                label += ", replacing the message above"
            self.show(label, args, call.path and self.emulator.base + call.path)
        elif call.method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            channel = str(args.get("channel") or "")
            # Someone else's DM is shown, but `:click` keeps to what the current user sees.
            theirs = channel.startswith("D") and channel != f"D{self.user}"
            self.show(f"{call.method} to {channel}", args, "", clickable=not theirs)
        elif call.method.startswith("views."):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            if call.method == "views.open" and view.get("type") == "modal" and any(
                    b.get("type") == "input" for b in view.get("blocks", [])):
                self.modal, self.answers = view, {}
            self.show(f"form: {view.get('title', {}).get('text', '')}"
                      if view.get("type") == "modal" else call.method, view, "")

    def show(self, label: str, payload: dict, response_url: str,
             clickable: bool = True) -> None:
        """Print a message or view; its buttons become `:click N`'s, unless it is someone
        else's DM (listed, not pressable: `:as` its reader to press them)."""
        self.say(f"── {label} ──")
        blocks = payload.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not blocks:
            self.say(_plain(payload.get("text", "")))
            return
        buttons: list[Button] = []

        def button(element: dict) -> str:
            text = element["text"]["text"]
            if not clickable:
                return f"[{text}]"
            buttons.append(Button(text, element["action_id"], element.get("value", ""),
                                  response_url))
            return f"[{len(buttons)}] {text}"

        for block in blocks:
            kind = block.get("type")
            if kind in ("section", "header") and block.get("text"):
                self.say(_plain(block["text"]["text"]))
                accessory = block.get("accessory") or {}
                if accessory.get("type") == "button":
                    self.say(f"  {button(accessory)}" + ("   (:click N)" if clickable else ""))
            elif kind == "context":
                for element in block.get("elements", []):
                    self.say("  · " + _plain(element.get("text", "")))
            elif kind == "actions":
                labels = [button(e) for e in block.get("elements", [])]
                self.say("  " + "   ".join(labels) + ("   (:click N)" if clickable else
                                                       "   (:as its reader to press)"))
            elif kind == "divider":
                self.say("  ────")
            elif kind == "input":
                number = sum(1 for b in blocks[:blocks.index(block) + 1]
                             if b.get("type") == "input")
                element = block["element"]
                initial = (element.get("initial_value") or element.get("initial_date")
                           or element.get("initial_time") or element.get("initial_user"))
                options = element.get("options") or []
                initial = initial or (element.get("initial_option") or {}).get("value")
                hint = f" [{initial}]" if initial else ""
                optional = " (optional)" if block.get("optional") else ""
                self.say(f"  ({number}) {block['label']['text']}{optional}{hint}")
                if options:  # a select or radio buttons: what :fill may choose
                    self.say("      choose: " + " · ".join(
                        f"{o['value']} = {o['text']['text']}" for o in options))
        if any(b.get("type") == "input" for b in blocks):
            self.say("  :fill N TEXT to answer, :submit to send, :cancel to close")
        if clickable:
            self.buttons = buttons


def _choice(options: list[dict], typed: str) -> str:
    """What `:fill` puts in a select: an option's value, typed as its value, its label or its
    number in the list; anything else as typed (the form then says what is wrong)."""
    for n, option in enumerate(options, start=1):
        if typed.casefold() in (option["value"].casefold(), option["text"]["text"].casefold(),
                                str(n)):
            return option["value"]
    return typed


# The commands manifest.yaml declares with should_escape: Slack turns @names and #channels
# in their text into ids (tests/slack/test_console.py compares with the manifest).
ESCAPED_COMMANDS = frozenset({"/calibrate", "/lead", "/pacer", "/rate", "/review", "/scorecard",
                              "/target"})
# Who `@name` is in the console: a demo user's id (any case) or a word of their name.
_MENTIONS = {key.casefold(): uid for uid, info in DEMO_USERS.items()
             for key in [uid, *re.findall(r"[A-Za-z]+", info["real_name"].replace("manager", ""))]}
_MENTION_RE = re.compile(r"(?<![\w<|])@([A-Za-z0-9._-]+)")
_CHANNEL_RE = re.compile(r"(?<![\w<|&])#([A-Za-z0-9._-]+)")


def slack_escaped(text: str, *, mentions: bool) -> str:
    """Command text as Slack sends it: &, < and > escaped; with `mentions` (a command whose
    manifest entry says should_escape) also `@alice` -> `<@U0ALICE|u0alice>`, `#sales` ->
    `<#C0SALES|sales>`, @channel/@here -> `<!channel>`. Unknown names stay as typed, as in
    Slack."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not mentions:
        return text

    def user(m: re.Match) -> str:
        word = m[1].casefold()
        if word in ("channel", "here", "everyone"):
            return f"<!{word}>"
        uid = _MENTIONS.get(word)
        return f"<@{uid}|{uid.lower()}>" if uid else m[0]

    def channel(m: re.Match) -> str:
        known = m[1].casefold() in ("sales", CHANNEL.casefold())
        return f"<#{CHANNEL}|sales>" if known else m[0]

    return _CHANNEL_RE.sub(channel, _MENTION_RE.sub(user, text))


def _plain(text: str) -> str:
    return html.unescape(text)  # show what Slack displays, not its escapes


def run_console(settings: Settings, *, start_user: str | None, stdin: TextIO,
                stdout: TextIO) -> int:
    console = Console(settings, stdout, start_user)
    interactive = stdin.isatty()
    if interactive:
        console.say("Pacer console — :help for help, :quit to leave. You are "
                    f"{console.user} ({DEMO_USERS[console.user]['real_name']}).")
    try:
        while True:
            if interactive:
                console.out.write(console.prompt())
                console.out.flush()
            line = stdin.readline()
            if not line or not console.handle_line(line):
                break
    finally:
        console.emulator.stop()
        console.executor.shutdown(wait=True)
    return 0
