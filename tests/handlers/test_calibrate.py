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


def test_a_manager_starts_one_now_once_however_often_slack_sends_it(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-19 15:00"))
    reply = world.command("U0SAM", "now <@U0ALICE>")
    assert "🙏" in reply.text
    for _ in range(2):  # Slack retries the same request: the same trigger_id
        reply = world.command("U0MEI", "now <@U0SAM>", trigger_id="123.456.adhoc")
        assert reply.status == 200 and "开始" in reply.text
    world.wait_posts(2)
    assert world.count() == 2
    [sam] = world.posts("DU0SAM")
    assert "You started" not in sam["blocks"] and "<@U0MEI> started a calibration" in sam[
        "blocks"]
    [mei] = world.posts("DU0MEI")
    [ref] = buttons(mei["blocks"], render.MINUTES_ACTION)
    assert ref.startswith("1|U0SAM|adhoc:")
    view = world.press("U0MEI", render.MINUTES_ACTION, ref)
    world.at(local(SHANGHAI, "2026-11-19 15:40"))
    reply = world.submit("U0MEI", view, {"notes": "Quick check on Globex."})
    assert reply["response_action"] == "update"
    world.wait_posts(4)  # the summary to both
    # Held: no minutes prompt, no nudge; it is in the history as ad hoc.
    assert world.run("calibration", local(SHANGHAI, "2026-11-20 15:00")).sent == 0
    history = world.ask("U0SAM", "history")
    assert "Thu 19 Nov 15:00" in history and "(ad hoc)" in history
    assert "Quick check on Globex." in history


def test_several_fortnights_two_processes_each_message_once(world: World) -> None:
    import threading
    from datetime import timedelta

    from sqlmodel import select

    from bot.deps import Deps
    from bot.jobs import registry as jobs
    from bot.services import calibration as cal
    from bot.services.teams import team_infos
    from store import calibrations
    from store.models import Delivery

    other = Deps.build(world.settings, clock=world.clock)
    day = local(SHANGHAI, "2026-11-16 00:00")
    try:
        while day < local(SHANGHAI, "2026-12-22 00:00"):
            for hhmm in ("09:00", "10:00", "10:45"):
                at = day.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:]))
                world.at(at)
                threads = [threading.Thread(target=jobs.run_job, args=(d, "calibration"),
                                            kwargs={"now": at}) for d in (world.deps, other)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                if hhmm == "10:00":  # Sam's calibrations get minutes at once; no others
                    with world.deps.sessions() as s:
                        [info] = team_infos(world.deps, "East")
                        occ = cal.next_occurrence(s, cal.pair_of(s, info, "U0SAM"), at)
                        if occ is not None and occ.at == at:
                            calibrations.record_minutes(
                                s, row=cal.stored(s, occ, at),
                                minutes=calibrations.Minutes(notes="ok"), by="U0MEI", now=at)
            day += timedelta(days=1)
    finally:
        other.engine.dispose()
    with world.deps.sessions() as s:
        sent = [d for d in s.exec(select(Delivery)).all() if d.status == "sent"]
    assert len(sent) == world.count()  # every post is one ledger row: nothing twice
    kinds: dict[str, int] = {}
    for d in sent:
        what = d.period.split(":")[0]
        kinds[what] = kinds.get(what, 0) + 1
    # Three fortnights (17 Nov, 1 Dec, 15 Dec) of three pairs; Sam's get minutes at once.
    assert kinds["dayahead"] == 18 and kinds["hourbefore"] == 18
    assert kinds["minutes"] == 3 * 2  # Alice's and Mei's pairs each time (Sam's were held)
    assert kinds["nudge"] == 3 * 2 * 2  # both sides of those two pairs, once each
    # Mondays 23 Nov, 7 Dec, 21 Dec: to Dir (Alice's), and to HR (Mei's own, with Dir).
    assert kinds["digest"] == 3 * 2


def test_cadence_settings_history_and_the_csv_exports(world: World) -> None:
    import csv
    import io

    from bot.services.exports import EXPORTS

    # Mei moves the team's cadence: Wednesdays 15:00 from 25 Nov.
    world.at(local(SHANGHAI, "2026-11-18 12:00"))
    reply = world.command("U0SAM", "team calibration East 2026-11-25 15:00", command="/pacer")
    assert "🙏" in reply.text
    reply = world.command("U0MEI", "team calibration East 2026-11-25 15:00", command="/pacer")
    assert "2026" not in reply.text and "15:00" in reply.text, reply.text
    reply = world.command("U0MEI", "team calibration East someday", command="/pacer")
    assert "2026-11-24 10:00" in reply.text  # the corrected example
    assert "Wed 25 Nov 15:00" in world.ask("U0ALICE", "")
    # A held one, one that didn't happen, and one that went by without minutes.
    world.run("calibration", local(SHANGHAI, "2026-11-25 15:45"))
    view, _ = _minutes_form(world)
    world.at(local(SHANGHAI, "2026-11-25 16:00"))
    world.submit("U0MEI", view, {"notes": "=cmd|' /C calc'!A0", "a1_text": "Call Globex",
                                 "a1_due": "2026-12-04", "a1_measure": "meeting booked"})
    world.at(local(SHANGHAI, "2026-12-09 12:00"))
    world.ask("U0MEI", "skip <@U0SAM> on leave")
    world.at(local(SHANGHAI, "2026-12-24 12:00"))
    history = world.ask("U0SAM", "history")
    assert history.index("Wed 23 Dec") < history.index("Wed 9 Dec") < history.index("Wed 25 Nov")
    assert "didn't happen (on leave)" in history and "Call Globex" in history

    def export(what: str) -> list[dict]:  # `pacer export …` as of the script's clock
        out = io.StringIO()
        assert EXPORTS[what](world.deps, team="East", out=out) == 0
        return list(csv.DictReader(io.StringIO(out.getvalue())))

    rows = [r for r in export("calibrations") if r["rep"] == "U0SAM"]
    assert [(r["date"], r["time"], r["status"]) for r in rows] == [
        ("2026-11-25", "15:00", "held"), ("2026-12-09", "15:00", "skipped"),
        ("2026-12-23", "15:00", "missed")]
    assert rows[0]["notes"].startswith("'=")  # a formula is defused
    assert rows[0]["action_items"] == "1" and rows[1]["skip_reason"] == "on leave"
    [item] = export("actions")
    assert (item["owner"], item["due"], item["status"]) == ("U0SAM", "2026-12-04", "open")


def test_overdue_items_show_in_the_friday_report_and_the_next_data_pack(world: World) -> None:
    world.run("calibration", local(SHANGHAI, "2026-11-17 10:45"))
    view, _ = _minutes_form(world)
    world.at(local(SHANGHAI, "2026-11-17 11:00"))
    world.submit("U0MEI", view, {"notes": "Good talk.", "a1_text": "Call Globex's CFO",
                                 "a1_due": "2026-11-19", "a1_measure": "meeting booked",
                                 "a2_text": "Draft the Initech proposal",
                                 "a2_due": "2026-12-10", "a2_measure": "sent to Mei"})
    world.run("friday-report", local(SHANGHAI, "2026-11-20 17:00"))
    [week] = [p for p in world.posts("DU0SAM") if "Your week" in p["text"]]
    assert "Call Globex" in week["blocks"] and "overdue" in week["blocks"]
    assert "Initech" not in week["blocks"]  # due after next Friday
    world.run("calibration", local(SHANGHAI, "2026-11-30 10:00"))
    pack = [p for p in world.posts("DU0SAM") if "Calibration" in p["blocks"]][-1]["blocks"]
    assert "Agreed last time" in pack and "Call Globex" in pack and "overdue" in pack
    assert "Draft the Initech proposal" in pack


def test_an_open_improvement_plan_is_tracked_in_every_data_pack(world: World) -> None:
    from datetime import date

    from store import plans, reviews, teams

    at = local(SHANGHAI, "2026-11-16 09:30")
    with world.deps.sessions() as s:
        east = teams.get_team(s, workspace_id="T0ACME", name="East")
        review = reviews.open_review(s, workspace_id="T0ACME", team_id=east.id,
                                     user_id="U0SAM", period="2026-10",
                                     period_end=date(2026, 10, 31), self_due=date(2026, 11, 4),
                                     rating_due=date(2026, 11, 6), score_total=55.0,
                                     score_grade="D", now=at)
        plan = plans.open_plan_for(s, review=review, start=date(2026, 11, 10), now=at)
        plans.save_plan(s, plan=plan, targets="Win rate back to 20%", mentor="U0ALICE",
                        notes="", by="U0MEI", now=at)
        plans.save_check(s, plan=plan, month=1, status="partly", note="two maps done",
                         outcome=None, decision=None, decision_note="", by="U0MEI", now=at)
    world.run("calibration", local(SHANGHAI, "2026-11-16 10:00"))
    sam = world.posts("DU0SAM")[0]["blocks"]
    assert "Improvement plan Tue 10 Nov – Wed 10 Feb (after the 2026-10 review)" in sam
    assert "Win rate back to 20%" in sam and "mentor <@U0ALICE>" in sam
    assert "Month 1: partly on track · two maps done" in sam
    alice = world.posts("DU0ALICE")[0]["blocks"]
    assert "Improvement plan" not in alice  # only the rep's own pack, and their manager's
    assert any("改进计划" in p["blocks"] and "<@U0SAM>" in p["text"]
               for p in world.posts("DU0MEI"))


def test_jobs_list_shows_the_next_day_ahead_packs_in_the_team_zone(world: World) -> None:
    from bot.jobs import registry as jobs

    lines = jobs.describe(world.deps, now=local(SHANGHAI, "2026-11-18 12:00"), team="East")
    at = lines.index(next(line for line in lines if line.startswith("calibration\t")))
    # The next calibration is Tue 1 Dec: its packs go a working day ahead, Mon 30 Nov 10:00.
    assert lines[at + 1].endswith("next: Mon 2026-11-30 10:00 Asia/Shanghai (first: U0ALICE)")


def test_a_fortnight_on_postgresql(pg_url: str) -> None:
    """Packs, answers, minutes with an action item, a move and the export on the real
    PostgreSQL (its column limits and types, which SQLite does not enforce)."""
    import csv
    import io

    from bot.services.exports import EXPORTS

    world = World(pg_url)
    try:
        assert world.run("calibration", local(SHANGHAI, "2026-11-16 10:00")).sent == 6
        [ref] = buttons(world.posts("DU0SAM")[0]["blocks"], render.ANSWER_ACTION)
        view = world.press("U0SAM", render.ANSWER_ACTION, ref)
        assert world.submit("U0SAM", view, {"progress": "两个决策图谱"})[
            "response_action"] == "update"
        world.run("calibration", local(SHANGHAI, "2026-11-17 10:45"))
        view, _ = _minutes_form(world)
        world.at(local(SHANGHAI, "2026-11-17 11:00"))
        reply = world.submit("U0MEI", view, {"notes": "好", "a1_text": "Call Globex",
                                             "a1_due": "2026-11-20", "a1_measure": "booked"})
        assert reply["response_action"] == "update"
        assert "Moved" in world.ask("U0ALICE", "move 2026-11-19 10:00")
        assert world.run("actions", local(SINGAPORE, "2026-11-19 09:00")).sent == 1
        out = io.StringIO()
        EXPORTS["calibrations"](world.deps, team="East", out=out)
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert {(r["rep"], r["status"]) for r in rows} >= {("U0SAM", "held")}
        assert world.fake.problems == []
    finally:
        world.close()


def test_a_pack_names_the_reps_idle_leads(world: World) -> None:
    """A lead untouched for days shows in the pack (its line once crashed the pack: the
    catalogue's `key` placeholder clashed with the message key of t())."""
    world.at(local(SINGAPORE, "2026-11-11 10:00"))
    world.command("U0SAM", "visit Umbrella Corp", command="/log")
    result = world.run("calibration", local(SHANGHAI, "2026-11-16 10:00"))
    assert result.sent == 6 and result.failed == 0, result.lines
    [sam] = world.posts("DU0SAM")
    assert "Umbrella Corp" in sam["blocks"] and " h" in sam["blocks"]


def test_an_action_item_owner_away_on_its_due_day_gets_no_reminder_that_day(
        world: World) -> None:
    from datetime import date

    from store import away
    from tests.conftest import WORKSPACE

    world.run("calibration", local(SHANGHAI, "2026-11-17 10:45"))
    view, _ = _minutes_form(world)
    world.at(local(SHANGHAI, "2026-11-17 11:00"))
    world.submit("U0MEI", view, {"notes": "Good talk.", "a1_text": "Call Globex's CFO",
                                 "a1_due": "2026-11-20", "a1_measure": "meeting booked"})
    with world.deps.sessions() as s:  # Sam is away on Friday, the due day
        away.add(s, workspace_id=WORKSPACE, user_id="U0SAM", first=date(2026, 11, 20),
                 last=date(2026, 11, 20), reason="", set_by="U0MEI", now=world.clock.now())
    assert world.run("actions", local(SINGAPORE, "2026-11-19 09:00")).sent == 1  # day before
    assert world.run("actions", local(SINGAPORE, "2026-11-20 09:00")).sent == 0  # away
