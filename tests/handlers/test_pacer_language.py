"""A team's language for its channel posts (issue 17 item 4): `/pacer team language`, the
CLI's `pacer team language`, and the scheduled channel posts written in it (the DMs keep each
person's own language).

The job tests use tests/jobs/test_jobs.py's world: East in Shanghai, manager U0MEI (zh),
reps U0BO (zh) and U0ALICE (en), channel C0SALES.
"""

from __future__ import annotations

import json

import pytest

from bot.render.blocks import header, message, section
from bot.render.reports import MAX_BLOCKS, in_languages
from bot.services.teams import channel_langs
from store import teams
from tests import test_cli
from tests.conftest import WORKSPACE, Bot
from tests.fakes import message_problems
from tests.handlers.test_pacer import audit_rows, pacer, slack_admin, summary
from tests.jobs import test_job_reports
from tests.jobs.test_job_reports import CHANNEL, posts, run, seed_week
from tests.jobs.test_jobs import SHANGHAI, World, local
from tests.test_cli import run as cli

# The fixtures of the tests next door, under their own names.
world, september, env = test_job_reports.world, test_job_reports.september, test_cli.env

# ----------------------------------------------------------------- setting it


def test_a_manager_sets_the_channel_language_in_slack(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    text = pacer(bot, "team language East both", "U0MEI")  # Mei reads Chinese
    assert "频道消息中英双语" in text and "私信仍使用每个人自己的语言" in text
    assert summary(bot, "East").channel_lang == "both"
    assert "频道消息中英双语" in pacer(bot, "team list", "U0MEI")
    pacer(bot, "team language East 英文", "U0MEI")
    assert summary(bot, "East").channel_lang == "en"
    pacer(bot, "team language East en+zh", "U0MEI")
    assert summary(bot, "East").channel_lang == "en+zh"
    assert ("U0MEI", "team.language", "done") in audit_rows(bot)
    pacer(bot, "me lang en", "U0MEI")
    assert "channel posts in English, then Chinese" in pacer(bot, "team list", "U0MEI")


def test_a_bad_language_gets_an_example_built_from_what_was_typed(bot: Bot) -> None:
    slack_admin(bot, "U0STRAY")
    pacer(bot, "help", "U0STRAY")
    pacer(bot, "me lang en", "U0MEI")
    text = pacer(bot, "team language East french", "U0MEI")
    assert "(`french` isn't one)" in text and "`/pacer team language East both`" in text
    assert "`/pacer team language East both`" in pacer(bot, "team language East", "U0MEI")
    text = pacer(bot, "team language East zh en", "U0MEI")  # two words: zh+en meant?
    assert "`zh en` isn't one" in text
    assert summary(bot, "East").channel_lang == "auto"  # nothing changed
    assert "Only managers" in pacer(bot, "team language East en", "U0ALICE")
    assert summary(bot, "East").channel_lang == "auto"


def test_the_cli_sets_and_lists_the_channel_language(env: str,
                                                     capsys: pytest.CaptureFixture) -> None:
    cli(capsys, "team", "create", "East", "--channel", "C0EAST", "--manager", "U0MEI")
    code, out, _ = cli(capsys, "team", "language", "East", "zh+en")
    assert code == 0 and out.strip() == ("East: channel posts in Chinese, then English; direct "
                                         "messages stay in each person's own language")
    assert "\tlanguage=zh+en\t" in cli(capsys, "team", "list")[1]
    with pytest.raises(SystemExit) as exit_:
        cli(capsys, "team", "language", "East", "french")
    assert exit_.value.code == 2 and "invalid choice: 'french'" in capsys.readouterr().err
    code, _, err = cli(capsys, "team", "language", "West", "en")
    assert code == 2 and "no team named 'West'" in err


def test_the_store_refuses_a_value_it_does_not_know(bot: Bot) -> None:
    with bot.deps.sessions() as session, pytest.raises(teams.TeamError) as error:
        teams.set_channel_lang(session, workspace_id=WORKSPACE, name="East", value="fr")
    assert error.value.code == "bad_channel_lang"


# ----------------------------------------------------------------- choosing the languages

@pytest.mark.parametrize(("setting", "manager", "expected"), [
    ("auto", "zh", ("zh",)), ("auto", "en", ("en",)), ("en", "zh", ("en",)),
    ("zh", "en", ("zh",)), ("both", "zh", ("zh", "en")), ("both", "en", ("en", "zh")),
    ("zh+en", "en", ("zh", "en")), ("en+zh", "zh", ("en", "zh")),
    ("klingon", "zh", ("zh",)),  # stored by a newer version: as auto, never a stopped report
])
def test_channel_langs(setting: str, manager: str, expected: tuple[str, ...]) -> None:
    assert channel_langs(setting, manager) == expected


def _long(lang: str, count: int) -> dict:
    title = f"{lang} title"
    return message(title, [header(title), *[section(f"{lang} line {i}")
                                            for i in range(count - 1)]])


def test_both_languages_in_one_message_first_text_first() -> None:
    both = in_languages(("zh", "en"), lambda lang: _long(lang, 5))
    assert both["text"] == "zh title" and message_problems(both) == []
    kinds = [b["type"] for b in both["blocks"]]
    assert kinds == ["header", *["section"] * 4, "divider", "header", *["section"] * 4]
    assert in_languages(("en",), lambda lang: _long(lang, 5)) == _long("en", 5)


@pytest.mark.parametrize("count", [24, 25, 26, 30, 50])
def test_too_long_for_both_is_the_first_language_and_a_note(count: int) -> None:
    both = in_languages(("zh", "en"), lambda lang: _long(lang, count))
    assert message_problems(both) == [] and len(both["blocks"]) <= MAX_BLOCKS
    text = json.dumps(both, ensure_ascii=False)
    if 2 * count + 1 <= MAX_BLOCKS:  # both fit: all of both
        assert f"en line {count - 2}" in text and "only" not in text
    else:  # all of the first (as much as Slack takes), none of the second, and why
        assert f"zh line {min(count, MAX_BLOCKS - 1) - 2}" in text and "en line" not in text
        assert both["blocks"][-1]["elements"][0]["text"] == (
            "Too long for one Slack message in both languages: this post is in Chinese only.")


# ----------------------------------------------------------------- the posts


def _set(world: World, value: str) -> None:
    with world.deps.sessions() as session:
        teams.set_channel_lang(session, workspace_id=WORKSPACE, name="East", value=value)


def test_friday_summary_in_both_languages_dms_in_each_own(world: World) -> None:
    seed_week(world)
    _set(world, "en+zh")
    result = run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00"))
    assert (result.sent, result.failed) == (3, 0), result.lines
    [summary] = posts(world, CHANNEL)
    assert "East · week 47 of 2026" in summary["text"]  # the first language's
    blocks = summary["blocks"]
    english = blocks.index("1 of 2 reps logged nothing")
    chinese = blocks.index("2 名销售中有 1 名本周没有任何记录")
    assert english < blocks.index('"divider"') < chinese
    assert "你的一周" in posts(world, "DU0BO")[0]["text"]  # the DMs: each their own
    assert "Your week" in posts(world, "DU0ALICE")[0]["text"]


def test_friday_summary_in_english_only_for_a_chinese_manager(world: World) -> None:
    seed_week(world)
    _set(world, "en")
    run(world, "friday-report", local(SHANGHAI, "2026-11-20 17:00"))
    [summary] = posts(world, CHANNEL)
    assert "1 of 2 reps logged nothing" in summary["blocks"]
    assert "名销售" not in summary["blocks"] and "divider" not in summary["blocks"]


def test_month_end_board_both_follows_the_first_manager(september: World) -> None:
    world = september
    _set(world, "both")  # Mei reads Chinese: Chinese first
    result = run(world, "month-end", local(SHANGHAI, "2026-10-08 09:00"))
    assert (result.sent, result.failed) == (4, 0), result.lines
    [board] = posts(world, CHANNEL)
    assert "2026年9月" in board["text"]
    blocks = board["blocks"]
    assert blocks.index("2026年9月") < blocks.index('"divider"') < blocks.index(
        "September 2026")
    chinese, english = blocks.split('"divider"')  # the board and honours in each language
    assert chinese.count("<@U0BO>") == english.count("<@U0BO>") >= 2
    assert "Sales star: <@U0BO>" in english
    [overview] = posts(world, "DU0MEI")  # the manager's own DM: Chinese alone
    assert "September 2026" not in overview["blocks"]
