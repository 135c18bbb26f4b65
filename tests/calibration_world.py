"""A scripted world for calibrations: one database, the fake Slack, the real app over HTTP,
and the scheduler's jobs run at a fixed clock.

East: Shanghai time, China's public holidays, manager U0MEI (Shanghai, Chinese), reps U0SAM
(Singapore, English) and U0ALICE (New York, English). Leads: manager U0DIR, with U0MEI on it
as a plain member, so U0DIR is Mei's own manager (the digest's reader). U0HR is the
workspace's admin (HR). Created Monday
16 Nov 2026 at 09:00 Shanghai, so the default cadence is every other Tuesday 10:00 from the
17th.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.jobs import registry as jobs
from bot.slack.signing import sign, view_submission_body
from store import teams
from tests.conftest import SECRET, WORKSPACE, Bot, Reply, make_deps
from tests.fakes import FakeSlack, view_problems

SHANGHAI, SINGAPORE, NEW_YORK = (ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Singapore"),
                                 ZoneInfo("America/New_York"))
USERS = {
    "U0MEI": {"tz": "Asia/Shanghai", "locale": "zh-CN"},
    "U0SAM": {"tz": "Asia/Singapore", "locale": "en-GB"},
    "U0ALICE": {"tz": "America/New_York", "locale": "en-US"},
    "U0DIR": {"tz": "Asia/Shanghai", "locale": "en-US"},
    "U0HR": {"tz": "Asia/Shanghai", "locale": "en-US"},
}


def local(zone: ZoneInfo, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


CREATED = local(SHANGHAI, "2026-11-16 09:00").astimezone(UTC)  # clocks read UTC


class World:
    def __init__(self, database_url: str) -> None:
        self.fake = FakeSlack(users=USERS, team_id=WORKSPACE).start()
        self.clock = FixedClock(CREATED)
        self.settings, self.deps = make_deps(database_url, self.fake, self.clock)
        with self.deps.sessions() as s:
            teams.create_team(s, workspace_id=WORKSPACE, name="East", channel_id="C0SALES",
                              managers=["U0MEI"], members=["U0SAM", "U0ALICE"],
                              tz="Asia/Shanghai", currency="CNY", now=CREATED)
            teams.set_holiday_country(s, workspace_id=WORKSPACE, name="East", country="CN")
            teams.create_team(s, workspace_id=WORKSPACE, name="Leads", channel_id="C0LEADS",
                              managers=["U0DIR"], members=["U0MEI"], tz="Asia/Shanghai",
                              currency="CNY", now=CREATED)
            teams.set_role(s, workspace_id=WORKSPACE, user_id="U0HR", role="admin",
                           now=CREATED)
        self.bot = Bot(self.settings, self.deps, self.fake)

    def close(self) -> None:
        self.bot.close()
        self.deps.engine.dispose()
        self.fake.stop()

    # ---------------------------------------------------------------- time and jobs
    def at(self, when: datetime) -> None:
        self.clock.set(when)

    def run(self, job: str, when: datetime) -> jobs.RunResult:
        self.at(when)
        return jobs.run_job(self.deps, job, now=when)

    # ---------------------------------------------------------------- what reached Slack
    def posts(self, channel: str) -> list[dict]:
        """Messages Slack accepted in a channel (a DM is "D" + the user id)."""
        return [{"text": c.args["text"], "blocks": json.dumps(c.args["blocks"],
                                                               ensure_ascii=False)}
                for c in self.fake.find("chat.postMessage")
                if c.status == 200 and c.args["channel"] == channel]

    def dm_texts(self, user: str) -> list[str]:
        return [p["text"] for p in self.posts("D" + user)]

    def count(self) -> int:
        return len([c for c in self.fake.find("chat.postMessage") if c.status == 200])

    # ---------------------------------------------------------------- people acting
    def command(self, user: str, text: str, command: str = "/calibrate",
                trigger_id: str | None = None) -> Reply:
        return self.bot.command(text, user=user, command=command, trigger_id=trigger_id)

    def ask(self, user: str, text: str, command: str = "/calibrate") -> str:
        """A command's answer, whether in the ack or sent to response_url after it."""
        before = len(self.fake.find("response_url"))
        reply = self.command(user, text, command=command)
        assert reply.status == 200, reply
        if reply.body:
            return reply.text
        found = self.fake.wait_for("response_url", before + 1)
        return json.dumps(found[before].args, ensure_ascii=False)

    def responses(self) -> list[dict]:
        """What listeners sent to response_urls after their ack."""
        return [c.args for c in self.fake.find("response_url")]


    def form(self, user: str, command_text: str) -> dict:
        """A /calibrate command that opens a form: the form."""
        before = len(self.fake.find("views.open"))
        trigger = f"{int(time.time())}.{uuid.uuid4().hex}"
        reply = self.command(user, command_text, trigger_id=trigger)
        assert reply.status == 200, reply
        return self._view(before)

    def press(self, user: str, action_id: str, value: str) -> dict:
        """A button in a message: the form (or notice) it opens."""
        before = len(self.fake.find("views.open"))
        assert self.bot.click(action_id, value, user=user).status == 200
        return self._view(before)

    def _view(self, before: int) -> dict:
        call = self.fake.wait_for("views.open", before + 1)[-1]
        view = call.args["view"]
        return json.loads(view) if isinstance(view, str) else view

    def submit(self, user: str, view: dict, answers: dict[str, str]) -> dict:
        body = view_submission_body(view, answers, user_id=user, team_id=WORKSPACE)
        request = urllib.request.Request(self.bot.url + "/slack/events", data=body.encode(),
                                         headers=sign(SECRET, body), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"HTTP {exc.code}: {exc.read().decode()}") from exc
        parsed = json.loads(raw) if raw else {}
        if parsed.get("response_action") == "update":
            assert view_problems(parsed["view"]) == []
        return parsed

    def wait_posts(self, count: int, timeout: float = 30.0) -> None:
        """Until Slack has accepted `count` messages in all (work done after an ack)."""
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} posts, got {self.count()}")
            time.sleep(0.01)


def buttons(blocks: str | list, action_id: str) -> list[str]:
    """The values of the buttons with this action_id in a message's blocks."""
    found = json.loads(blocks) if isinstance(blocks, str) else blocks
    values = []
    for block in found:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                values.append(element["value"])
    return values
