"""Calibrations end to end: the `calibration` job scripted through fortnights with a fixed
clock (a manager in Shanghai, reps in Singapore and New York), and /calibrate's commands,
buttons and forms as signed requests to the real app, against the fake Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.render import calibrate as render
from tests.calibration_world import NEW_YORK, SHANGHAI, SINGAPORE, World, buttons, local


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    yield w
    w.close()
    assert w.fake.problems == [], w.fake.problems  # every message and view valid Block Kit


def test_packs_go_a_working_day_and_an_hour_ahead_once_each(world: World) -> None:
    assert world.run("calibration", local(SHANGHAI, "2026-11-16 09:59")).sent == 0
    result = world.run("calibration", local(SHANGHAI, "2026-11-16 10:00"))
    # Sam + Mei, Alice + Mei, and Mei + her own manager Dir (Mei is a rep on Leads).
    assert result.sent == 6, result.lines
    assert world.run("calibration", local(SHANGHAI, "2026-11-16 10:05")).sent == 0
    [sam] = world.posts("DU0SAM")
    assert "Your calibration with <@U0MEI>" in sam["text"] and "Tue 17 Nov 10:00" in sam["text"]
    assert buttons(sam["blocks"], render.ANSWER_ACTION) == ["1|U0SAM|2026-11-17"]
    alice = world.posts("DU0ALICE")[0]["text"]
    assert "Mon 16 Nov 21:00" in alice  # New York
    mei = world.posts("DU0MEI")
    assert len(mei) == 3 and all("双周校准" in p["text"] for p in mei)
    result = world.run("calibration", local(SHANGHAI, "2026-11-17 09:00"))
    assert result.sent == 6
    assert len(world.posts("DU0MEI")) == 6
    # As Sam's and Alice's manager, Mei's hour-before packs can record the minutes.
    assert [bool(buttons(p["blocks"], render.MINUTES_ACTION))
            for p in world.posts("DU0MEI")[3:]] == [True, True, False]


def test_the_rep_answers_the_four_questions_and_the_manager_sees_them(world: World) -> None:
    world.run("calibration", local(SHANGHAI, "2026-11-16 10:00"))
    [ref] = buttons(world.posts("DU0SAM")[0]["blocks"], render.ANSWER_ACTION)
    world.at(local(SHANGHAI, "2026-11-16 18:00"))
    view = world.press("U0SAM", render.ANSWER_ACTION, ref)
    assert view["callback_id"] == render.ANSWERS_FORM
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        "progress", "blockers", "support", "next_actions"]
    reply = world.submit("U0SAM", view, {})
    assert reply["response_action"] == "errors" and "progress" in reply["errors"]
    before = world.count()
    reply = world.submit("U0SAM", view, {"progress": "2 of 3 decision maps done",
                                         "support": "a call with Globex's CFO <!channel>"})
    assert reply["response_action"] == "update"
    assert "Thanks!" in json.dumps(reply["view"])
    world.wait_posts(before + 1)
    [notice] = world.posts("DU0MEI")[3:]
    assert "<@U0SAM>" in notice["text"] and "2 of 3 decision maps done" in notice["blocks"]
    assert "&lt;!channel&gt;" in notice["blocks"]  # typed text never pings anyone
    # An edit is kept, and not announced twice.
    view = world.press("U0SAM", render.ANSWER_ACTION, ref)
    assert "2 of 3 decision maps done" in json.dumps(view)
    world.submit("U0SAM", view, {"progress": "3 of 3 done"})
    world.run("calibration", local(SHANGHAI, "2026-11-17 09:00"))
    packs = [p for p in world.posts("DU0MEI") if "<@U0SAM>" in p["text"]]
    assert len(packs) == 3  # day ahead, the answers notice, hour before
    assert "3 of 3 done" in packs[-1]["blocks"] and "Globex" in packs[-1]["blocks"]


def test_only_the_rep_answers_and_strangers_see_nothing(world: World) -> None:
    world.run("calibration", local(SHANGHAI, "2026-11-16 10:00"))
    [ref] = buttons(world.posts("DU0SAM")[0]["blocks"], render.ANSWER_ACTION)
    view = world.press("U0ALICE", render.ANSWER_ACTION, ref)  # a forged click
    assert "callback_id" not in view and "Only the rep" in json.dumps(view)
    view = world.press("U0ALICE", render.MINUTES_ACTION, ref)
    assert "callback_id" not in view and "Only managers" in json.dumps(view)
    view = world.press("U0DIR", render.MOVE_ACTION, ref)
    assert "callback_id" not in view
    assert "🙏" in world.ask("U0SAM", "history <@U0ALICE>")
    with world.deps.sessions() as s:
        from store import audit

        denied = [e for e in audit.recent(s, workspace_id="T0ACME") if e.outcome == "denied"]
    assert {e.action for e in denied} >= {"calibrate.answers", "calibrate.minutes",
                                          "calibrate.history"}


def _minutes_form(world: World, *, rep: str = "U0SAM") -> tuple[dict, str]:
    prompts = [p for p in world.posts("DU0MEI") if buttons(p["blocks"], render.MINUTES_ACTION)
               and f"<@{rep}>" in p["text"]]
    ref = buttons(prompts[-1]["blocks"], render.MINUTES_ACTION)[0]
    return world.press("U0MEI", render.MINUTES_ACTION, ref), ref


def test_minutes_are_checked_field_by_field_then_summarised_to_both(world: World) -> None:
    world.run("calibration", local(SHANGHAI, "2026-11-17 10:00"))  # nothing: set up after
    assert world.run("calibration", local(SHANGHAI, "2026-11-17 10:44")).sent == 0
    result = world.run("calibration", local(SHANGHAI, "2026-11-17 10:45"))
    assert result.sent == 3  # Mei for Sam and Alice, Dir for Mei
    view, ref = _minutes_form(world)
    assert view["callback_id"] == render.MINUTES_FORM
    owner = next(b for b in view["blocks"] if b.get("block_id") == "a1_owner")
    assert owner["element"]["initial_user"] == "U0SAM"
    world.at(local(SHANGHAI, "2026-11-17 11:00"))
    reply = world.submit("U0MEI", view, {"a1_text": "Map the decision chain of Globex",
                                         "a2_measure": "3 maps", "a3_due": "2026-11-10"})
    assert reply["response_action"] == "errors"
    assert set(reply["errors"]) == {"notes", "a1_due", "a1_measure", "a2_text", "a2_due",
                                    "a3_text", "a3_measure", "a3_due"}
    assert "已经过去" in reply["errors"]["a3_due"]  # Mei reads Chinese
    assert world.run("calibration", local(SHANGHAI, "2026-11-17 11:00")).sent == 0
    before = world.count()
    reply = world.submit("U0MEI", view, {
        "notes": "Pipeline healthy; Globex stalled at the CFO.",
        "controllable": "Discovery with Globex too shallow",
        "uncontrollable": "Budget freeze at Initech",
        "a1_text": "Map the decision chain of Globex", "a1_due": "2026-11-27",
        "a1_measure": "a decision map reviewed together",
        "a2_text": "Send Sam the pricing approval", "a2_owner": "U0MEI",
        "a2_due": "2026-11-19", "a2_measure": "approval in Sam's inbox"})
    assert reply["response_action"] == "update", reply
    world.wait_posts(before + 2)
    [summary] = world.posts("DU0SAM")[-1:]
    assert "summary" in summary["text"] and "Map the decision chain" in summary["blocks"]
    assert "Budget freeze at Initech" in summary["blocks"]
    mei = world.posts("DU0MEI")[-1]
    assert "总结" in mei["text"] and "<@U0MEI>" in mei["blocks"]
    # Held: no nudge the next day for Sam, but one for Alice (no minutes), once.
    result = world.run("calibration", local(SHANGHAI, "2026-11-18 10:00"))
    nudged = {line.split()[1] for line in result.lines if line.startswith("sent")}
    assert nudged == {"U0ALICE", "U0MEI", "U0DIR"} and result.sent == 4
    assert world.run("calibration", local(SHANGHAI, "2026-11-18 10:01")).sent == 0
    # /actions: Sam's list, and Mei's own item with her team's.
    reply = world.command("U0SAM", "", command="/actions")
    assert "Map the decision chain of Globex" in reply.text
    assert "Send Sam the pricing approval" in reply.text  # about Sam, owned by Mei
    reply = world.command("U0MEI", "", command="/actions")
    assert reply.text.count("action_done") == 2


def test_action_items_are_reminded_then_done_from_the_dm(world: World) -> None:
    world.run("calibration", local(SHANGHAI, "2026-11-17 10:45"))
    view, _ = _minutes_form(world)
    world.at(local(SHANGHAI, "2026-11-17 11:00"))
    world.submit("U0MEI", view, {"notes": "Good talk.", "a1_text": "Call Globex's CFO",
                                 "a1_due": "2026-11-20", "a1_measure": "meeting booked"})
    # Fri 20 Nov: reminded Thursday 09:00 and Friday 09:00 in Sam's zone (Singapore).
    assert world.run("actions", local(SINGAPORE, "2026-11-19 08:59")).sent == 0
    assert world.run("actions", local(SINGAPORE, "2026-11-19 09:00")).sent == 1
    assert world.run("actions", local(SINGAPORE, "2026-11-19 12:00")).sent == 0
    assert "Due tomorrow" in world.dm_texts("U0SAM")[-1]
    assert world.run("actions", local(SINGAPORE, "2026-11-20 09:00")).sent == 1
    reminder = world.posts("DU0SAM")[-1]
    assert "Due today" in reminder["text"]
    [value] = buttons(reminder["blocks"], "action_done")
    assert world.bot.click("action_done", value, user="U0ALICE").status == 200  # not hers
    assert "🙏" in world.fake.wait_for("response_url", 1)[0].args["text"]
    assert world.bot.click("action_done", value, user="U0SAM").status == 200
    done = world.fake.wait_for("response_url", 2)[1].args
    assert done["replace_original"] is True and "action_reopen" in json.dumps(done)
    reply = world.command("U0SAM", "", command="/actions")
    assert "Call Globex" not in reply.text
    reply = world.command("U0SAM", "all", command="/actions")
    assert "Call Globex" in reply.text and "action_reopen" in reply.text
    # Done: no more reminders even if it were moved.
    assert world.run("actions", local(SINGAPORE, "2026-11-20 09:30")).sent == 0


def test_a_skipped_calibration_is_nudged_once_then_in_the_bosss_digest(world: World) -> None:
    world.run("calibration", local(SHANGHAI, "2026-11-17 10:45"))
    # Mei says Sam's didn't happen; Alice's simply gets no minutes.
    view, _ = _minutes_form(world)
    prompts = [p for p in world.posts("DU0MEI") if "<@U0SAM>" in p["text"]]
    [ref] = buttons(prompts[-1]["blocks"], render.SKIP_ACTION)
    view = world.press("U0MEI", render.SKIP_ACTION, ref)
    reply = world.submit("U0MEI", view, {"reason": "Sam on leave"})
    assert reply["response_action"] == "update"
    result = world.run("calibration", local(SHANGHAI, "2026-11-18 10:00"))
    assert sorted(line.split()[1] for line in result.lines if line.startswith("sent")) == [
        "U0ALICE", "U0DIR", "U0MEI", "U0MEI"]  # Alice's pair, and Mei's own with Dir
    nudge = world.posts("DU0ALICE")[-1]
    assert "has no minutes yet" in nudge["text"]
    assert buttons(nudge["blocks"], render.MINUTES_ACTION) == []  # the rep can only move it
    # The digest: Monday 23 Nov 09:00 Shanghai, to Mei's manager Dir, once.
    assert world.run("calibration", local(SHANGHAI, "2026-11-23 08:59")).sent == 0
    result = world.run("calibration", local(SHANGHAI, "2026-11-23 09:00"))
    digest = [p for p in world.posts("DU0DIR") if "didn't happen" in p["text"]]
    assert len(digest) == 1, result.lines
    text = digest[0]["blocks"]
    assert "<@U0SAM> with <@U0MEI>" in text and "Sam on leave" in text
    assert "<@U0ALICE> with <@U0MEI>" in text and "no minutes recorded" in text
    assert world.run("calibration", local(SHANGHAI, "2026-11-23 09:30")).sent == 0


def test_moving_in_ones_own_zone_and_the_other_side_hears(world: World) -> None:
    world.at(local(NEW_YORK, "2026-11-16 08:00"))  # 21:00 in Shanghai
    reply = world.command("U0ALICE", "move tomorrow 9:00")
    assert reply.status == 200 and "Moved the calibration" in reply.text
    assert "Tue 17 Nov 09:00" in reply.text and "America/New_York" in reply.text
    world.wait_posts(1)
    [notice] = world.posts("DU0MEI")
    assert "<@U0ALICE>" in notice["text"] and "11月17日 周二 22:00" in notice["blocks"]
    # Her day-ahead pack now falls at 09:00 Monday New York time, the hour-before one at
    # 08:00 Tuesday: each to both of them, once.
    def alices(result) -> list[str]:  # noqa: ANN001
        return sorted(line.split()[1] for line in result.lines
                      if line.startswith("sent") and ":U0ALICE:" in line)

    assert alices(world.run("calibration", local(NEW_YORK, "2026-11-16 08:59"))) == []
    assert alices(world.run("calibration", local(NEW_YORK, "2026-11-16 09:00"))) == [
        "U0ALICE", "U0MEI"]
    assert alices(world.run("calibration", local(NEW_YORK, "2026-11-17 07:59"))) == []
    assert alices(world.run("calibration", local(NEW_YORK, "2026-11-17 08:00"))) == [
        "U0ALICE", "U0MEI"]
    assert "Tue 17 Nov 09:00" in world.dm_texts("U0ALICE")[-1]
    world.at(local(NEW_YORK, "2026-11-16 08:00"))
    # Bad input gets a private, specific answer and changes nothing.
    for text, says in (("move yesterday 10:00", "has passed"),
                       ("move 2027-06-01 10:00", "60 days"),
                       ("move 2026-12-25 25:00", "can't read the time"),
                       ("move someday", "can't read a day"),
                       ("move 2026-11-21 10:00", "not a working day"),  # a Saturday
                       ("now <@U0SAM>", "🙏")):
        reply = world.command("U0ALICE", text)
        assert says in reply.text, (text, reply.text)
    assert "Tue 17 Nov 09:00" in world.ask("U0ALICE", "")


def test_days_off_are_skipped_and_this_and_following_moves_the_cadence(world: World) -> None:
    with world.deps.sessions() as s:
        from store import teams

        teams.add_day_off(s, workspace_id="T0ACME", name="East",
                          day=local(SHANGHAI, "2026-12-01 00:00").date())
    world.at(local(SHANGHAI, "2026-11-20 12:00"))
    shown = world.ask("U0SAM", "")
    assert "Tue 17 Nov" not in shown and "Wed 2 Dec 10:00" in shown  # 1 Dec: a day off
    # Day ahead of Wednesday is Monday 30 Nov (Tuesday is off).
    assert world.run("calibration", local(SHANGHAI, "2026-11-30 09:59")).sent == 0
    assert world.run("calibration", local(SHANGHAI, "2026-11-30 10:00")).sent == 6
    # Sam moves this and the following ones to Thursdays 14:00 (his own zone: same offset).
    view = world.form("U0SAM", "move")
    assert view["callback_id"] == render.MOVE_FORM
    reply = world.submit("U0SAM", view, {"day": "2026-12-03", "time": "14:00",
                                         "scope": "following"})
    assert reply["response_action"] == "update", reply
    assert "Thu 3 Dec 14:00" in world.ask("U0SAM", "")
    world.at(local(SHANGHAI, "2026-12-03 15:00"))
    assert "Thu 17 Dec 14:00" in world.ask("U0SAM", "")
    assert "Tue 15 Dec" in world.ask("U0ALICE", "")  # Alice's pair keeps the team's cadence
