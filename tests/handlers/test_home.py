"""The App Home end to end: signed app_home_opened events and Home-tab clicks into the real
app, views.publish calls validated by the fake Slack (a `home` view, at most 100 blocks), the
`home` job run at a fixed clock.

The world is tests/calibration_world.py's: East (Shanghai) managed by Mei (Chinese), reps Sam
(Singapore) and Alice (New York); Leads managed by Dir with Mei on it; Hr is the admin.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from bot.jobs import registry as jobs
from bot.render import actions as render_actions
from bot.render import calibrate as render_cal
from bot.render import checkin as render_checkin
from bot.render import home as render
from bot.render import log as log_render
from bot.render import review as render_review
from bot.slack.signing import sign
from store import teams
from store.models import HomeView
from tests.calibration_world import SHANGHAI, World, buttons, local
from tests.conftest import SECRET, WORKSPACE, Reply, make_deps
from tests.installs import deliver_event


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    yield w
    w.close()
    assert w.fake.problems == [], w.fake.problems  # every view valid: a home view, ≤100 blocks


def homes(world: World, user: str) -> list[dict]:
    """Every Home published for `user`, oldest first."""
    found = []
    for call in world.fake.find("views.publish"):
        if call.args.get("user_id") == user:
            view = call.args["view"]
            found.append(json.loads(view) if isinstance(view, str) else view)
    return found


def text_of(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


def wait_homes(world: World, user: str, count: int, timeout: float = 30.0) -> list[dict]:
    # A wait, not a speed check: a busy machine (two xdist workers and more) may take seconds.
    deadline = time.monotonic() + timeout
    while len(found := homes(world, user)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} Homes for {user}, got {len(found)}")
        time.sleep(0.01)
    return found


def settle() -> None:
    """Let listeners that run after their ack finish (for checks that nothing happened)."""
    time.sleep(0.4)


def open_home(world: World, user: str, *, event_id: str | None = None, shown: bool = False,
              retry: int = 0, wait: bool = True) -> dict | None:
    """The person clicks the Home tab; the Home published for it (when `wait`)."""
    before = len(homes(world, user))
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home",
             "event_ts": f"{time.time():.6f}"}
    if shown:  # Slack sends the Home it shows, once one was published
        event["view"] = {"id": "V0HOME", "type": "home"}
    reply = deliver_event(world.bot, event, team_id=WORKSPACE,
                          event_id=event_id or f"Ev{uuid.uuid4().hex[:10]}",
                          event_time=int(world.clock.now().timestamp()), retry=retry)
    assert reply.status == 200, reply
    return wait_homes(world, user, before + 1)[-1] if wait else None


def home_click(world: World, user: str, action_id: str, value: str) -> Reply:
    """A button pressed on the Home tab: a block_actions from a view, with no response_url."""
    payload = {
        "type": "block_actions", "team": {"id": WORKSPACE, "domain": "demo"},
        "user": {"id": user, "username": user.lower(), "team_id": WORKSPACE},
        "api_app_id": "A0PACER", "token": "deprecated",
        "container": {"type": "view", "view_id": "V0HOME"},
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex}",
        "view": {"id": "V0HOME", "type": "home", "team_id": WORKSPACE, "blocks": [],
                 "private_metadata": "", "callback_id": "", "hash": "1.home",
                 "app_id": "A0PACER", "bot_id": "B0BOT"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b",
                     "value": value, "action_ts": str(time.time())}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    return world.bot.post(body, sign(SECRET, body))


def test_a_rep_sees_their_week_month_calibration_and_quick_buttons(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-16 11:00"))
    for text in ("visit Acme Corp", "3 calls", "demo Acme Corp"):
        assert world.command("U0SAM", text, command="/log").status == 200
    world.command("U0ALICE", "visit Globex Secret", command="/log")
    view = open_home(world, "U0SAM")
    text = text_of(view)
    assert view["type"] == "home"
    assert "Your numbers · East" in text and "This week" in text and "This month" in text
    assert "Customer touches: 4" in text  # 1 visit + 3 calls
    assert "Targets (±15% counts as on target)" in text
    assert "Next with <@U0MEI>" in text and "Tue 17 Nov 10:00" in text
    assert buttons(view["blocks"], render_cal.ANSWER_ACTION) == ["1|U0SAM|2026-11-17"]
    assert buttons(view["blocks"], render_checkin.OPEN_ACTION) == ["open"]
    assert buttons(view["blocks"], render.LOG_ACTION) == ["open"]
    # Private: nothing of Alice's, no leaderboard, no team parts.
    assert "U0ALICE" not in text and "Globex" not in text and "🏆" not in text
    assert "Team East" not in text and "Setup" not in text
    # Times in the reader's zone: Alice in New York, with Mei's beside it.
    alice = text_of(open_home(world, "U0ALICE"))
    assert "*Mon 16 Nov 21:00* your time (America/New_York)" in alice
    assert "Tue 17 Nov 10:00 for <@U0MEI> (Asia/Shanghai)" in alice
    assert "Updated Sun 15 Nov 22:00 (America/New_York)" in alice


def minutes_with_items(world: World, view: dict, *items: tuple[str, str]) -> None:
    """Mei records Sam's minutes with these action items (text, owner)."""
    answers = {"notes": "Good talk."}
    for n, (text, owner) in enumerate(items, 1):
        answers |= {f"a{n}_text": text, f"a{n}_owner": owner, f"a{n}_due": "2026-11-27",
                    f"a{n}_measure": "done and shown"}
    reply = world.submit("U0MEI", view, answers)
    assert reply["response_action"] == "update", reply


def test_a_rep_home_in_chinese(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-16 11:00"))
    world.command("U0SAM", "me lang zh", command="/pacer")
    world.command("U0SAM", "拜访 阿里巴巴", command="/log")
    text = text_of(open_home(world, "U0SAM"))
    assert "你的数据 · East" in text and "本周" in text and "本月" in text
    assert "客户触达：1" in text and "目标（±15% 以内视为达成）" in text
    assert "下一次与 <@U0MEI>" in text and "11月17日 周二 10:00" in text
    assert "回答四个问题" in text and "记录一项工作" in text


def test_a_manager_sees_their_teams_and_only_theirs(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-16 11:00"))
    world.command("U0SAM", "3 visits Acme Corp", command="/log")
    world.command("U0ALICE", "call Globex", command="/log")
    world.command("U0MEI", "visit Initech", command="/log")  # Mei's own, on Leads
    world.at(local(SHANGHAI, "2026-11-19 12:00"))  # Thu: Tuesday's calibrations went by
    mei = open_home(world, "U0MEI")
    text = text_of(mei)
    # Chinese, her team East: who is behind, idle leads (72 h+), minutes waiting, top 5.
    assert "团队 East · 你是主管" in text
    assert "本周客户接触落后（2 人）" in text
    assert "<@U0SAM>：3（此时应为 7，目标 8）" in text
    assert "超过 72 个工作小时（已提醒主管）：*2* 条" in text and "Acme Corp · <@U0SAM>" in text
    assert "等你记录纪要（2 场）" in text
    assert buttons(mei["blocks"], render_cal.MINUTES_ACTION) == [
        "1|U0ALICE|2026-11-17", "1|U0SAM|2026-11-17"]
    assert "🏆 East" in text and "🥇 <@U0SAM>" in text
    # She is a rep on Leads too: her own numbers there, and her calibration with Dir.
    assert "你的数据 · Leads" in text and "下一次与 <@U0DIR>" in text
    assert "团队 Leads" not in text
    # Dir manages Leads (Mei) in English: nothing of East's reps.
    dir_view = open_home(world, "U0DIR")
    dir_home = text_of(dir_view)
    assert "Team Leads · you manage it" in dir_home and "<@U0MEI>" in dir_home
    assert buttons(dir_view["blocks"], render_cal.MINUTES_ACTION) == ["2|U0MEI|2026-11-17"]
    assert "U0SAM" not in dir_home and "U0ALICE" not in dir_home and "Acme" not in dir_home
    assert "Team East" not in dir_home and "Your numbers" not in dir_home
    # The Record-minutes button on the Home opens the existing minutes form.
    view = world.press("U0MEI", render_cal.MINUTES_ACTION, "1|U0SAM|2026-11-17")
    assert view["callback_id"] == render_cal.MINUTES_FORM


def test_done_from_the_home_marks_the_item_and_republishes_the_home(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-17 11:00"))
    sam = open_home(world, "U0SAM")
    assert "Nothing open" in text_of(sam)
    view = world.press("U0MEI", render_cal.MINUTES_ACTION, "1|U0SAM|2026-11-17")
    minutes_with_items(world, view, ("Call Globex's CFO", "U0SAM"),
                       ("Send Sam the pricing sheet", "U0MEI"))
    # The minutes marked Sam's Home stale: the job republishes it a minute after his open.
    assert world.run("home", local(SHANGHAI, "2026-11-17 11:00:59")).sent == 0
    result = world.run("home", local(SHANGHAI, "2026-11-17 11:01"))
    assert "published the Home of U0SAM (T0ACME)" in result.lines
    sam = homes(world, "U0SAM")[-1]
    values = buttons(sam["blocks"], render_actions.DONE_ACTION)
    assert len(values) == 2 and all(v.startswith("home:") for v in values)
    assert "Call Globex's CFO" in text_of(sam) and "Send Sam the pricing sheet" in text_of(sam)
    # Done, pressed on the Home tab (no response_url): the Home is republished at once.
    before = len(homes(world, "U0SAM"))
    assert home_click(world, "U0SAM", render_actions.DONE_ACTION, values[0]).status == 200
    sam = wait_homes(world, "U0SAM", before + 1)[-1]
    assert "Call Globex's CFO" not in text_of(sam)
    assert len(buttons(sam["blocks"], render_actions.DONE_ACTION)) == 1
    assert world.fake.find("response_url") == []
    reply = world.command("U0SAM", "all", command="/actions")
    assert "~Call Globex's CFO~ · done" in reply.text
    # Republished just now, with the change: the job has nothing left to do for Sam.
    assert world.run("home", local(SHANGHAI, "2026-11-17 11:05")).sent == 0


def test_a_log_marks_the_home_stale_and_the_job_republishes_it_once(world: World) -> None:
    t0 = local(SHANGHAI, "2026-11-16 11:00")
    world.at(t0)
    assert "Customer touches: 0" in text_of(open_home(world, "U0SAM"))
    assert "本周客户接触落后（2 人）" in text_of(open_home(world, "U0MEI"))
    for text in ("visit Acme Corp", "2 calls"):  # two logs within the minute
        assert world.command("U0SAM", text, command="/log").status == 200
    world.command("U0ALICE", "visit Globex", command="/log")  # never opened her Home
    with world.deps.sessions() as s:
        stale = {h.user_id: h.stale for h in s.exec(select(HomeView)).all()}
    assert stale == {"U0SAM": True, "U0MEI": True}
    # At most once a minute: nothing before the minute is up, then one each, then nothing.
    assert world.run("home", local(SHANGHAI, "2026-11-16 11:00:30")).sent == 0
    result = world.run("home", local(SHANGHAI, "2026-11-16 11:01"))
    assert sorted(result.lines) == ["published the Home of U0MEI (T0ACME)",
                                    "published the Home of U0SAM (T0ACME)"]
    assert "Customer touches: 3" in text_of(homes(world, "U0SAM")[-1])
    mei = text_of(homes(world, "U0MEI")[-1])  # Alice's visit was her Sunday (New York)
    assert "本周客户接触落后（1 人）" in mei and "<@U0ALICE>：0（此时应为 2" in mei
    assert world.run("home", local(SHANGHAI, "2026-11-16 11:05")).sent == 0
    assert homes(world, "U0ALICE") == []
    assert [len(homes(world, u)) for u in ("U0SAM", "U0MEI")] == [2, 2]
    # Mei's own log on Leads marks Dir's Home (he manages Leads), not Sam's.
    open_home(world, "U0DIR")
    world.command("U0MEI", "visit Initech", command="/log")
    result = world.run("home", local(SHANGHAI, "2026-11-16 11:10"))
    assert sorted(result.lines) == ["published the Home of U0DIR (T0ACME)",
                                    "published the Home of U0MEI (T0ACME)"]


def test_event_retries_and_quick_reopens_publish_once(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-16 11:00"))
    open_home(world, "U0SAM", event_id="Ev0HOME1")
    open_home(world, "U0SAM", event_id="Ev0HOME1", retry=1, wait=False)  # Slack retries
    open_home(world, "U0SAM", shown=True, wait=False)  # back to the tab: nothing changed
    settle()
    assert len(homes(world, "U0SAM")) == 1
    # Slack shows no Home (a new device, say): published whatever the minute says.
    open_home(world, "U0SAM")
    # A minute on, an open refreshes it (pace moves with the clock), and only then.
    world.at(local(SHANGHAI, "2026-11-16 11:01"))
    open_home(world, "U0SAM", shown=True)
    assert len(homes(world, "U0SAM")) == 3
    # Someone Pacer doesn't know gets the welcome.
    welcome = text_of(open_home(world, "U0STRANGER"))
    assert "Welcome to Pacer" in welcome and "/pacer team add East @you" in welcome
    assert "Your numbers" not in welcome


def open_log_form(world: World, user: str) -> dict:
    before = len(world.fake.find("views.open"))
    assert home_click(world, user, render.LOG_ACTION, "open").status == 200
    view = world.fake.wait_for("views.open", before + 1)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_the_log_form_on_the_home_logs_once_and_refreshes_it(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-16 11:00"))
    sam = open_home(world, "U0SAM")
    assert buttons(sam["blocks"], render.LOG_ACTION) == ["open"]
    form = open_log_form(world, "U0SAM")
    assert form["callback_id"] == render.LOG_FORM
    reply = world.submit("U0SAM", form, {"entry": "visit Acme tomorrow"})
    assert reply["response_action"] == "errors"
    assert "Try:" in reply["errors"]["entry"]
    reply = world.submit("U0SAM", form, {"entry": "undo"})
    assert "/log undo" in reply["errors"]["entry"]
    reply = world.submit("U0SAM", form, {"entry": "3 visits Acme Corp"})
    assert reply["response_action"] == "update"
    assert "Logged *3 visits* with Acme Corp" in text_of(reply["view"])
    sam = wait_homes(world, "U0SAM", 2)[-1]
    assert "Customer touches: 3" in text_of(sam)
    # The same form sent twice records it once.
    reply = world.submit("U0SAM", form, {"entry": "3 visits Acme Corp"})
    assert "already" in text_of(reply["view"]).lower()
    assert "3 visits" in world.command("U0SAM", "list", command="/log").text
    assert "Customer touches: 3" in text_of(wait_homes(world, "U0SAM", 3)[-1])
    # A name close to a customer's: the question goes to the DM, where its buttons work.
    form = open_log_form(world, "U0SAM")
    reply = world.submit("U0SAM", form, {"entry": "call Acme"})
    assert "I sent you the question in a DM" in text_of(reply["view"])
    [question] = world.fake.wait_for("chat.postMessage")
    assert question.args["channel"] == "DU0SAM"
    [pick, new] = buttons(question.args["blocks"], f"{log_render.PICK_ACTION}:0") + buttons(
        question.args["blocks"], f"{log_render.PICK_ACTION}:1")
    assert new.endswith(":new")
    assert world.bot.click(f"{log_render.PICK_ACTION}:0", pick, user="U0SAM").status == 200
    linked = world.fake.wait_for("response_url")[-1].args
    assert "Logged *1 call* with Acme" in linked["text"]  # linked: no question any more
    assert log_render.PICK_ACTION not in text_of(linked) and log_render.UNDO_ACTION in text_of(
        linked)


def test_an_admin_sees_the_setup_status(world: World) -> None:
    with world.deps.sessions() as s:
        teams.create_team(s, workspace_id=WORKSPACE, name="West", channel_id=None,
                          managers=[], members=[], tz="Asia/Shanghai", currency="CNY",
                          now=world.clock.now())
    world.at(local(SHANGHAI, "2026-11-16 11:00"))
    hr = text_of(open_home(world, "U0HR"))
    assert "Setup (admin)" in hr
    assert "*West* has no manager: `/pacer team manager West @someone`" in hr
    assert "*West* has no channel: `/pacer team channel West #channel`" in hr
    assert "*Leads* has no public-holiday calendar: `/pacer team holidays Leads CN`" in hr
    assert "*East* has no public-holiday" not in hr  # East follows China's
    assert "Running on one bot token" in hr and "No message failed" in hr
    assert "Your numbers" not in hr and "Team East" not in hr  # no numbers for admins
    # A stranger opens Pacer's Home; a reminder DM fails: the admin's Home shows both.
    open_home(world, "U0STRANGER")
    world.fake.scripted["chat.postMessage"] = [(200, {"ok": False,
                                                      "error": "channel_not_found"}, {})]
    assert world.run("checkin-reminder", local(SHANGHAI, "2026-11-16 11:00")).failed == 1
    world.command("U0HR", "me lang zh", command="/pacer")
    result = world.run("home", local(SHANGHAI, "2026-11-16 11:01"))
    assert "published the Home of U0HR (T0ACME)" in result.lines
    hr = text_of(homes(world, "U0HR")[-1])
    assert "设置（管理员）" in hr
    assert "1 人不在任何团队：<@U0STRANGER>" in hr
    assert "`checkin-reminder`：1 条待重试，0 条已放弃" in hr and "channel_not_found" in hr


def test_review_steps_show_on_the_homes_of_those_they_wait_for(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-30 18:00"))
    open_home(world, "U0SAM")
    open_home(world, "U0MEI")
    assert world.run("review", local(SHANGHAI, "2026-12-01 09:00")).sent >= 2
    world.run("home", local(SHANGHAI, "2026-12-01 09:01"))
    sam = homes(world, "U0SAM")[-1]
    [review_id] = buttons(sam["blocks"], render_review.SELF_OPEN)
    assert "Waiting for you in the review cycle" in text_of(sam)
    form = world.press("U0SAM", render_review.SELF_OPEN, review_id)
    reply = world.submit("U0SAM", form, {"best": "Closed Acme", "improve": "Discovery"})
    assert reply["response_action"] == "update"
    world.run("home", local(SHANGHAI, "2026-12-01 09:02"))
    mei = homes(world, "U0MEI")[-1]
    assert buttons(mei["blocks"], render_review.RATE_OPEN) == [review_id]
    assert buttons(homes(world, "U0SAM")[-1]["blocks"], render_review.SELF_OPEN) == []


def test_two_processes_on_postgres_publish_a_stale_home_once(pg_url: str) -> None:  # noqa: F811
    world = World(pg_url)
    _, other = make_deps(pg_url, world.fake, world.clock)
    try:
        world.at(local(SHANGHAI, "2026-11-16 11:00"))
        open_home(world, "U0SAM")
        open_home(world, "U0MEI")
        assert world.command("U0SAM", "visit Acme Corp", command="/log").status == 200
        at = local(SHANGHAI, "2026-11-16 11:01")
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda deps: jobs.run_job(deps, "home", now=at),
                                    [world.deps, other] * 2))
        assert sum(r.sent for r in results) == 2 and sum(r.failed for r in results) == 0
        assert [len(homes(world, u)) for u in ("U0SAM", "U0MEI")] == [2, 2]
        assert "Customer touches: 1" in text_of(homes(world, "U0SAM")[-1])
    finally:
        other.engine.dispose()
        world.close()
    assert world.fake.problems == []


def test_a_home_with_more_than_fits_is_cut_at_slacks_100_blocks(world: World) -> None:
    with world.deps.sessions() as s:
        for n in range(25):
            teams.create_team(s, workspace_id=WORKSPACE, name=f"Region {n:02d}",
                              channel_id=None, managers=["U0DIR"], members=[f"U0R{n:02d}"],
                              tz="Asia/Shanghai", currency="CNY", now=world.clock.now())
    view = open_home(world, "U0DIR")  # the fake Slack checks it: a valid home view
    assert len(view["blocks"]) == 100
    assert "There is more than this page can show" in text_of(view["blocks"][-2])
    assert "`/log`" in text_of(view["blocks"][-1])  # the footer stays
