"""Issue 12's smaller truths about calibrations, each at its boundary: a data pack with a
lead idle over 48 hours (it crashed on a catalogue parameter named like t()'s own), and
`/calibrate skip` after a missed meeting (it skipped the next one)."""

from __future__ import annotations

import json

import pytest

from bot.render import calibrate as render
from tests.calibration_world import SHANGHAI, World, buttons, local
from tests.handlers.test_calibrate import world

__all__ = ["world"]  # the fixture: every message and view checked against Block Kit


def _idle_leads(world: World) -> None:
    """Sam adds two leads on Monday 9 Nov and never follows up: by Monday 16 Nov both have
    waited far more than 48 hours (working hours or not)."""
    world.at(local(SHANGHAI, "2026-11-09 10:00"))
    assert "Added *Globex*" in world.ask("U0SAM", "add Globex key", command="/lead")
    assert "Added *Initech*" in world.ask("U0SAM", "add Initech", command="/lead")


def test_the_day_ahead_packs_name_the_idle_leads(world: World) -> None:
    _idle_leads(world)
    result = world.run("calibration", local(SHANGHAI, "2026-11-16 10:00"))
    assert result.sent == 6 and result.failed == 0, result.lines
    [sam] = world.posts("DU0SAM")
    # Mon 10:00 to Mon 10:00 with a weekend between: 14 + 24 × 3 + 10 = 120 working hours.
    assert "Globex (key) 120 working h" in sam["blocks"]
    assert "Initech 120 working h" in sam["blocks"]
    assert "Initech (key)" not in sam["blocks"]
    mei = [p for p in world.posts("DU0MEI") if "<@U0SAM>" in p["text"]]
    assert len(mei) == 1 and "Globex（重点） 120 个工作小时" in mei[0]["blocks"]
    # Alice has no idle lead: her pack says so rather than naming Sam's.
    [alice] = world.posts("DU0ALICE")
    assert "Globex" not in alice["blocks"]
    # The week before the team existed had no working day of theirs: no "/0" target.
    assert "Week of Mon 9 Nov: nothing logged · 0 points · touches –\\n" in sam["blocks"]
    assert "Week of Mon 16 Nov (to date): nothing logged · 0 points · touches 0/8 behind" in (
        sam["blocks"])


def test_calibrate_pack_shows_the_manager_the_idle_leads(world: World) -> None:
    _idle_leads(world)
    world.at(local(SHANGHAI, "2026-11-16 15:00"))
    text = world.ask("U0MEI", "pack <@U0SAM>")
    assert "🙏" not in text  # not the internal-error apology
    assert "Globex（重点） 125 个工作小时" in text and "Initech 125 个工作小时" in text
    text = world.ask("U0SAM", "pack")  # the rep's own pack, in English
    assert "Globex (key) 125 working h" in text


# ----------------------------------------------------------------- /calibrate skip

def _skipped(world: World) -> list[tuple[str, str]]:
    """(rep, slot) of every calibration marked as not happened."""
    from sqlmodel import select

    from store.models import Calibration

    with world.deps.sessions() as s:
        return sorted((r.rep_user_id, r.slot) for r in s.exec(
            select(Calibration).where(Calibration.status == "skipped")).all())


@pytest.mark.parametrize("at", ["2026-11-17 10:44", "2026-11-17 10:46", "2026-11-17 11:00",
                                "2026-11-18 09:00", "2026-11-24 10:00"])
def test_skip_after_a_missed_meeting_marks_the_missed_one(world: World, at: str) -> None:
    """Sam's calibration was Tue 17 Nov 10:00 and no minutes were recorded: until the next
    one (Tue 1 Dec) is nearer, `/calibrate skip` means the missed one."""
    world.at(local(SHANGHAI, at))
    text = world.ask("U0MEI", "skip <@U0SAM> Sam was at a customer's")
    assert "11月17日" in text, text  # Mei reads Chinese: the day it marked
    assert _skipped(world) == [("U0SAM", "2026-11-17")]
    # Once settled, the next skip is the next meeting.
    text = world.ask("U0MEI", "skip <@U0SAM> on leave")
    assert "12月1日" in text, text
    assert _skipped(world) == [("U0SAM", "2026-11-17"), ("U0SAM", "2026-12-01")]


@pytest.mark.parametrize(("at", "slot"), [("2026-11-17 09:59", "2026-11-17"),
                                          ("2026-11-24 10:01", "2026-12-01"),
                                          ("2026-11-30 17:00", "2026-12-01")])
def test_skip_before_a_meeting_marks_the_coming_one(world: World, at: str, slot: str) -> None:
    """Before the first meeting, and once the next one is nearer than the one missed (the
    day-ahead pack for Tue 1 Dec is out on Mon 30 Nov), skip means the coming one."""
    world.at(local(SHANGHAI, at))
    world.ask("U0MEI", "skip <@U0SAM> on leave")
    assert _skipped(world) == [("U0SAM", slot)]


def test_a_held_meeting_is_not_skipped_afterwards(world: World) -> None:
    """Minutes recorded: the one just held is settled, so skip means the next one."""
    world.run("calibration", local(SHANGHAI, "2026-11-17 10:45"))
    world.at(local(SHANGHAI, "2026-11-17 11:00"))
    prompts = [p for p in world.posts("DU0MEI") if "<@U0SAM>" in p["text"]]
    [ref] = buttons(prompts[-1]["blocks"], render.MINUTES_ACTION)
    view = world.press("U0MEI", render.MINUTES_ACTION, ref)
    assert world.submit("U0MEI", view, {"notes": "Good talk."})["response_action"] == "update"
    world.at(local(SHANGHAI, "2026-11-18 09:00"))
    world.ask("U0MEI", "skip <@U0SAM> on leave")
    assert _skipped(world) == [("U0SAM", "2026-12-01")]


def test_the_skip_form_names_the_missed_meeting(world: World) -> None:
    """`/calibrate skip @rep` with no reason opens the form, for the one just missed."""
    world.at(local(SHANGHAI, "2026-11-18 09:00"))
    view = world.form("U0MEI", "skip <@U0SAM>")
    assert view["callback_id"] == render.SKIP_FORM
    assert json.loads(view["private_metadata"])["ref"].endswith("|U0SAM|2026-11-17")
    assert "11月17日" in json.dumps(view, ensure_ascii=False)
    reply = world.submit("U0MEI", view, {"reason": "Sam was ill"})
    assert reply["response_action"] == "update"
    assert _skipped(world) == [("U0SAM", "2026-11-17")]
