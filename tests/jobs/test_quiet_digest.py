"""Issue 17: each person's quiet hours and daily digest, through the scheduler's own tick
against the fake Slack over HTTP (tests/jobs/test_jobs.py's world: East in Shanghai, Bo in
Shanghai, Alice in New York). A person without preferences is what test_jobs.py covers,
unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, time, timedelta

import pytest
from sqlmodel import select

from bot.jobs import outbox
from bot.render.actions import DONE_ACTION
from bot.render.checkin import OPEN_ACTION
from bot.render.digest import digest_blocks
from bot.render.home import ORIGIN as HOME
from bot.services.teams import team_infos
from store import prefs, teams
from store.digests import Item
from store.models import DigestItem
from tests.conftest import WORKSPACE
from tests.fakes import FakeSlack, message_problems
from tests.jobs.test_jobs import NEW_YORK, SHANGHAI, World, key, local


@pytest.fixture
def world(database_url: str, fake_slack: FakeSlack) -> Iterator[World]:
    w = World(database_url, fake_slack)
    yield w
    w.close()
    assert fake_slack.problems == [], fake_slack.problems  # every message valid Block Kit


def quiet(world: World, user: str, start: time, end: time) -> None:
    with world.deps.sessions() as s:
        prefs.set_quiet(s, workspace_id=WORKSPACE, user_id=user, start=start, end=end,
                        now=world.clock.now())


def digest_at(world: World, user: str, at: time | None) -> None:
    with world.deps.sessions() as s:
        prefs.set_digest(s, workspace_id=WORKSPACE, user_id=user, at=at, now=world.clock.now())


def posts_to(world: World, user: str) -> list[dict]:
    return [c.args for c in world.fake.find("chat.postMessage")
            if c.status == 200 and c.args["channel"] == "D" + user]


# ----------------------------------------------------------------- quiet hours

def test_a_0930_reminder_with_quiet_until_1000_goes_at_1000_the_same_day(world: World) -> None:
    quiet(world, "U0BO", time(22), time(10))  # across midnight: 22:00 to 10:00
    result = world.tick(local(SHANGHAI, "2026-11-18 09:30"))
    assert (result.sent, result.held) == (0, 1)
    assert world.to("U0BO") == [] and world.ledger() == {}  # owed, claimed by nobody
    assert world.tick(local(SHANGHAI, "2026-11-18 09:59")).held == 1
    world.restart()  # nothing kept in memory: the ledger and the preferences decide
    assert world.tick(local(SHANGHAI, "2026-11-18 10:00")).sent == 1
    assert world.tick(local(SHANGHAI, "2026-11-18 10:05")).sent == 0
    assert len(world.to("U0BO")) == 1 and "11月18日" in world.to("U0BO")[0]
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("sent", 1)
    # Alice chose nothing: her reminder at her own 09:30, as ever.
    assert world.tick(local(NEW_YORK, "2026-11-18 09:30")).sent == 1


def test_quiet_hours_that_end_late_still_leave_a_full_catch_up_window(world: World) -> None:
    quiet(world, "U0BO", time(9), time(10))
    world.tick(local(SHANGHAI, "2026-11-18 09:30"))  # held; then the bot is down till 12:45
    # 3 h 15 after it fell due, but 2 h 45 after the quiet hours ended: still sent.
    assert world.tick(local(SHANGHAI, "2026-11-18 12:45")).sent == 1


def _alert_due(world: World, period: str, due_text: str) -> outbox.Due:
    [info] = team_infos(world.deps, None)
    return outbox.Due("alerts", info, "U0ALICE", period, local(NEW_YORK, due_text))


def _deliver(world: World, due: outbox.Due, at_text: str) -> outbox.RunResult:
    world.clock.set(local(NEW_YORK, at_text))
    result = outbox.RunResult()
    client = world.deps.client_for(WORKSPACE)
    outbox.deliver(world.deps, client, due, now=world.clock.now(), answered=False,
                   result=result, message=lambda: {"text": "idle leads",
                                                   "blocks": [{"type": "section", "text": {
                                                       "type": "mrkdwn", "text": "idle"}}]})
    return result


def test_an_alert_in_the_night_is_held_across_midnight_and_sent_when_quiet_ends(
        world: World) -> None:
    quiet(world, "U0ALICE", time(20), time(8))
    due = _alert_due(world, "idle48:t1:20261119T03", "2026-11-18 22:00")
    for at in ("2026-11-18 22:00", "2026-11-18 23:59", "2026-11-19 00:30",
               "2026-11-19 03:00", "2026-11-19 07:59"):  # 03:00: past the plain window
        result = _deliver(world, due, at)
        assert (result.sent, result.held, result.gave_up) == (0, 1, 0), (at, result.lines)
    assert "held U0ALICE" in result.lines[0] and "quiet hours until 2026-11-19 13:00 UTC" in (
        result.lines[0])
    assert _deliver(world, due, "2026-11-19 08:00").sent == 1
    assert _deliver(world, due, "2026-11-19 08:01").sent == 0
    assert len(world.to("U0ALICE")) == 1
    # Without quiet hours the same miss is given up, as before.
    quiet(world, "U0ALICE", None, None)
    late = _alert_due(world, "idle48:t1:20261120T03", "2026-11-19 22:00")
    assert _deliver(world, late, "2026-11-20 03:00").gave_up == 1


def test_a_days_reminder_held_past_its_day_is_dropped_not_sent_at_night(world: World) -> None:
    with world.deps.sessions() as s:
        teams.set_time(s, workspace_id=WORKSPACE, name="East", which="checkin", at="21:00")
    quiet(world, "U0ALICE", time(20), time(8))
    assert world.tick(local(NEW_YORK, "2026-11-18 21:00")).held == 1
    assert world.tick(local(NEW_YORK, "2026-11-18 23:30")).held == 1
    result = world.tick(local(NEW_YORK, "2026-11-19 00:30"))  # Wednesday is over
    assert result.gave_up == 1 and "held by quiet hours past its use" in result.lines[0]
    world.tick(local(NEW_YORK, "2026-11-19 08:00"))  # (Bo's Thursday reminder, 21:00 his)
    assert world.to("U0ALICE") == []
    assert world.ledger()[key("U0ALICE", "2026-11-18")] == ("gave_up", 0)


# ----------------------------------------------------------------- the digest

def test_the_digest_collects_and_sends_once_at_its_time_across_restarts(world: World) -> None:
    digest_at(world, "U0BO", time(17, 30))
    result = world.tick(local(SHANGHAI, "2026-11-18 09:30"))
    assert (result.sent, result.collected) == (0, 1)
    assert world.to("U0BO") == []
    assert world.ledger()[key("U0BO", "2026-11-18")] == ("digested", 1)
    assert world.tick(local(SHANGHAI, "2026-11-18 10:00")).collected == 0  # once
    assert world.tick(local(SHANGHAI, "2026-11-18 17:29"), "digest").sent == 0
    world.restart()
    assert world.tick(local(SHANGHAI, "2026-11-18 17:30"), "digest").sent == 1
    assert world.tick(local(SHANGHAI, "2026-11-18 17:30"), "digest").sent == 0
    world.restart()
    assert world.tick(local(SHANGHAI, "2026-11-18 17:31"), "digest").sent == 0
    assert world.tick(local(SHANGHAI, "2026-11-18 17:32")).sent == 0  # not alone either
    [post] = posts_to(world, "U0BO")
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    assert "你的摘要" in post["blocks"][0]["text"]["text"] and "签到提醒" in blocks
    assert f'"action_id": "{OPEN_ACTION}"' in blocks  # the check-in form opens from it
    digest_key = key("U0BO", "2026-11-18", job="digest")
    assert world.ledger()[digest_key] == ("sent", 1)
    with world.deps.sessions() as s:
        assert [(i.key, i.digest_key) for i in s.exec(select(DigestItem)).all()] == [
            (key("U0BO", "2026-11-18"), digest_key)]


def test_what_comes_after_the_digest_waits_for_the_next_one(world: World) -> None:
    digest_at(world, "U0BO", time(12))
    world.tick(local(SHANGHAI, "2026-11-20 09:30"))  # Friday's check-in reminder
    assert world.tick(local(SHANGHAI, "2026-11-20 12:00"), "digest").sent == 1
    assert world.tick(local(SHANGHAI, "2026-11-20 15:00"), "friday-brief").collected == 1
    assert world.tick(local(SHANGHAI, "2026-11-20 18:00"), "digest").sent == 0
    assert world.tick(local(SHANGHAI, "2026-11-21 12:00"), "digest").sent == 1  # Saturday
    first, second = posts_to(world, "U0BO")
    assert "签到提醒" in json.dumps(first["blocks"], ensure_ascii=False)
    assert "周五周报提醒" in json.dumps(second["blocks"], ensure_ascii=False)
    assert "签到提醒" not in json.dumps(second["blocks"], ensure_ascii=False)


def test_a_digest_missed_while_down_gives_its_items_to_the_next(world: World) -> None:
    digest_at(world, "U0BO", time(17, 30))
    world.tick(local(SHANGHAI, "2026-11-18 09:30"))
    # Down from 17:00 to 21:00: the 17:30 digest is past its window and given up.
    assert world.tick(local(SHANGHAI, "2026-11-18 21:00"), "digest").gave_up == 1
    world.tick(local(SHANGHAI, "2026-11-19 09:30"))
    assert world.tick(local(SHANGHAI, "2026-11-19 17:30"), "digest").sent == 1
    [post] = posts_to(world, "U0BO")
    assert "自上次摘要以来的 2 条" in json.dumps(post["blocks"], ensure_ascii=False)


def test_turning_the_digest_off_sends_what_it_holds_once(world: World) -> None:
    digest_at(world, "U0BO", time(17, 30))
    world.tick(local(SHANGHAI, "2026-11-18 09:30"))
    digest_at(world, "U0BO", None)
    assert world.tick(local(SHANGHAI, "2026-11-18 11:00"), "digest").sent == 1
    assert world.tick(local(SHANGHAI, "2026-11-18 11:01"), "digest").sent == 0
    assert world.tick(local(SHANGHAI, "2026-11-18 17:30"), "digest").sent == 0
    assert len(posts_to(world, "U0BO")) == 1
    assert world.tick(local(SHANGHAI, "2026-11-19 09:30")).sent == 1  # one by one again


def test_a_digest_in_quiet_hours_waits_for_their_end(world: World) -> None:
    digest_at(world, "U0BO", time(21))
    quiet(world, "U0BO", time(20), time(8))
    world.tick(local(SHANGHAI, "2026-11-18 09:30"))
    assert world.tick(local(SHANGHAI, "2026-11-18 21:00"), "digest").held == 1
    assert world.tick(local(SHANGHAI, "2026-11-19 02:00"), "digest").held == 1
    assert world.tick(local(SHANGHAI, "2026-11-19 08:00"), "digest").sent == 1
    assert world.tick(local(SHANGHAI, "2026-11-19 08:01"), "digest").sent == 0


def test_no_friday_brief_request_for_who_opted_out(world: World) -> None:
    with world.deps.sessions() as s:
        prefs.set_brief(s, workspace_id=WORKSPACE, user_id="U0BO", off=True,
                        now=world.clock.now())
    assert world.tick(local(SHANGHAI, "2026-11-20 15:00"), "friday-brief").sent == 0
    assert world.tick(local(NEW_YORK, "2026-11-20 15:00"), "friday-brief").sent == 1
    assert world.to("U0BO") == [] and len(world.to("U0ALICE")) == 1
    assert world.tick(local(SHANGHAI, "2026-11-21 10:00"), "friday-brief").gave_up == 0
    assert world.tick(local(SHANGHAI, "2026-11-20 09:30") + timedelta(days=7),
                      "friday-brief").sent == 0


# ----------------------------------------------------------------- the digest's blocks

def _item(n: int, blocks: list[dict], job: str = "actions") -> Item:
    return Item(key=f"k{n}", job=job, period="p", due_at=local(SHANGHAI, "2026-11-18 09:00"),
                text=f"item {n}", blocks=blocks)


def test_a_done_button_in_a_digest_acts_as_from_the_home_and_never_redraws_it() -> None:
    done = {"type": "section", "block_id": "same", "text": {"type": "mrkdwn", "text": "call"},
            "accessory": {"type": "button", "action_id": DONE_ACTION, "value": "dm:7",
                          "text": {"type": "plain_text", "text": "Done"}}}
    body = digest_blocks("en", items=[_item(1, [done]), _item(2, [done])],
                         day=date(2026, 11, 18), tz=SHANGHAI)
    assert message_problems(body) == []  # two items with one block_id: dropped, valid
    values = [b["accessory"]["value"] for b in body["blocks"] if "accessory" in b]
    assert values == [f"{HOME}:7", f"{HOME}:7"]


def test_a_long_digest_stays_within_slacks_50_blocks_and_lists_the_rest() -> None:
    many = [_item(n, [{"type": "section", "text": {"type": "mrkdwn", "text": f"alert {n}"}},
                      {"type": "context", "elements": [{"type": "mrkdwn", "text": "why"}]}],
                  job="alerts") for n in range(30)]
    body = digest_blocks("zh", items=many, day=date(2026, 11, 18), tz=SHANGHAI)
    assert message_problems(body) == [] and len(body["blocks"]) <= 50
    shown = json.dumps(body["blocks"], ensure_ascii=False)
    assert all(f"alert {n}" in shown or f"item {n}" in shown for n in range(30))  # none lost
