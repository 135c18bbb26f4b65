"""Issue 12's smaller truths about calibrations, each at its boundary: a data pack with a
lead idle over 48 hours (it crashed on a catalogue parameter named like t()'s own), and
`/calibrate skip` after a missed meeting (it skipped the next one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.calibration_world import SHANGHAI, World, local


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    yield w
    w.close()
    assert w.fake.problems == [], w.fake.problems  # every message and view valid Block Kit


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
    assert "Globex (key) 168 h" in sam["blocks"] and "Initech 168 h" in sam["blocks"]
    assert "Initech (key)" not in sam["blocks"]
    mei = [p for p in world.posts("DU0MEI") if "<@U0SAM>" in p["text"]]
    assert len(mei) == 1 and "Globex（重点） 168 小时" in mei[0]["blocks"]
    # Alice has no idle lead: her pack says so rather than naming Sam's.
    [alice] = world.posts("DU0ALICE")
    assert "Globex" not in alice["blocks"]


def test_calibrate_pack_shows_the_manager_the_idle_leads(world: World) -> None:
    _idle_leads(world)
    world.at(local(SHANGHAI, "2026-11-16 15:00"))
    text = world.ask("U0MEI", "pack <@U0SAM>")
    assert "🙏" not in text  # not the internal-error apology
    assert "Globex（重点） 173 小时" in text and "Initech 173 小时" in text
    text = world.ask("U0SAM", "pack")  # the rep's own pack, in English
    assert "Globex (key) 173 h" in text
