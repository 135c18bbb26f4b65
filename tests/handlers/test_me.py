"""`/pacer me quiet|digest|brief` (issue 17): each person sets their own, in their own zone,
in English or Chinese; bad input gets a corrected example from what they typed; the App Home
shows the settings with the commands to change them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time

import pytest

from store import prefs
from tests.calibration_world import SHANGHAI, World, local
from tests.conftest import WORKSPACE, Bot
from tests.handlers.test_home import homes, open_home, text_of
from tests.handlers.test_pacer import pacer


def own(bot: Bot, user: str) -> prefs.Prefs:
    with bot.deps.sessions() as s:
        return prefs.get(s, workspace_id=WORKSPACE, user_id=user)


def test_quiet_hours_digest_and_brief_are_set_turned_off_and_shown(bot: Bot) -> None:
    assert own(bot, "U0ALICE") == prefs.Prefs()  # the default: nothing chosen
    text = pacer(bot, "me quiet 20:00-08:00", "U0ALICE")
    assert "Quiet hours 20:00–08:00 (America/New_York)" in text
    assert own(bot, "U0ALICE").quiet_start == time(20)
    assert "One digest a day at 17:30 (America/New_York)" in pacer(bot, "me digest 5:30pm",
                                                                  "U0ALICE")
    assert "No Friday brief request" in pacer(bot, "me brief off", "U0ALICE")
    assert own(bot, "U0ALICE") == prefs.Prefs(time(20), time(8), time(17, 30), True)
    shown = pacer(bot, "me", "U0ALICE")
    assert "Quiet hours: *20:00–08:00*" in shown and "*daily at 17:30*" in shown
    assert "Friday brief request: *off* · `/pacer me brief on`" in shown
    pacer(bot, "me quiet off", "U0ALICE")
    pacer(bot, "me digest off", "U0ALICE")
    assert "again" in pacer(bot, "me brief on", "U0ALICE")
    assert own(bot, "U0ALICE") == prefs.Prefs()
    assert "none · `/pacer me quiet 20:00-08:00`" in pacer(bot, "me show", "U0ALICE")
    assert own(bot, "U0BO") == prefs.Prefs()  # only one's own, nobody else's


def test_in_chinese_with_chinese_words(bot: Bot) -> None:
    assert "免打扰时段 22:00–07:00（Asia/Shanghai）" in pacer(bot, "me 免打扰 22:00到07:00",
                                                          "U0BO")
    assert "每天 18:00（Asia/Shanghai）一份摘要" in pacer(bot, "me 摘要 18点", "U0BO")
    assert "已取消免打扰" in pacer(bot, "me 免打扰 关", "U0BO")
    assert own(bot, "U0BO") == prefs.Prefs(None, None, time(18), False)
    # Two times side by side read as from and to.
    pacer(bot, "me quiet 21:00 07:30", "U0BO")
    assert own(bot, "U0BO").quiet_end == time(7, 30)


@pytest.mark.parametrize(("typed", "expected"), [
    ("me quiet 25:00-08:00", "`25:00-08:00` isn't a span of hours. Try: "
                             "`/pacer me quiet 20:00-08:00`"),
    ("me quiet 22", "Try: `/pacer me quiet 22:00-08:00`"),
    ("me quiet 9-9", "Try: `/pacer me quiet 09:00-21:00`"),
    ("me quiet", "Try: `/pacer me quiet 20:00-08:00`"),
    ("me digest 25:30", "`25:30` isn't a time of day. Try: `/pacer me digest 17:00`"),
    ("me digest 18 30", "Try: `/pacer me digest 18:00`"),
    ("me brief maybe", "`maybe`? Try: `/pacer me brief off`"),
    ("me holidays", "/pacer me quiet 20:00-08:00"),
])
def test_bad_input_gets_a_corrected_example(bot: Bot, typed: str, expected: str) -> None:
    assert expected in pacer(bot, typed, "U0ALICE")
    assert own(bot, "U0ALICE") == prefs.Prefs()  # nothing changed


def test_bad_input_in_chinese(bot: Bot) -> None:
    text = pacer(bot, "me 免打扰 晚上", "U0BO")
    assert "`晚上` 不是一段时间" in text and "`/pacer me 免打扰 20:00-08:00`" in text


# ----------------------------------------------------------------- the App Home

@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = World(database_url)
    yield w
    w.close()
    assert w.fake.problems == [], w.fake.problems


def test_the_home_shows_the_settings_and_follows_a_change(world: World) -> None:
    world.at(local(SHANGHAI, "2026-11-16 11:00"))
    text = text_of(open_home(world, "U0SAM"))
    assert "Quiet hours: none · `/pacer me quiet 20:00-08:00`" in text
    assert "Digest: off, each message on its own · `/pacer me digest 17:30`" in text
    world.command("U0SAM", "me quiet 21:00-07:30", command="/pacer")
    world.command("U0SAM", "me digest 18:00", command="/pacer")
    assert world.run("home", local(SHANGHAI, "2026-11-16 11:01")).sent == 1
    text = text_of(homes(world, "U0SAM")[-1])
    assert "Quiet hours: *21:00–07:30*" in text and "*daily at 18:00*" in text
    assert "(Asia/Singapore)" in text  # his own zone
    mei = text_of(open_home(world, "U0MEI"))  # a manager sees her own, in Chinese
    assert "免打扰：未设置" in mei
