"""`pacer console` as a person would use it: a script on standard input, text out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def console(tmp_path: Path, script: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'console.db'}"
    result = subprocess.run([sys.executable, "-m", "bot", "console"], input=script, text=True,
                            capture_output=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_console_runs_log_for_demo_users_and_buttons(tmp_path: Path) -> None:
    out = console(tmp_path, "\n".join([
        # A fixed clock first: the script's week must not depend on the day the test runs.
        ":now 2026-11-19 10:00",
        "/log visit Acme Corp",
        "/log 3 calls yesterday",
        ":click 1",
        ":as U0BO",
        "/log 签约 腾讯 12万 新客户",
        "/log vist Acme",
        ":now 2026-11-20 17:30",
        "/log list",
        ":bogus",
    ]) + "\n")
    assert "Seeded the demo team" in out
    assert "Logged *1 visit* with Acme Corp" in out
    assert "[1] Undo" in out
    assert "Undone: 3 calls" in out and "replacing the message above" in out
    assert "Now acting as U0BO" in out
    assert "已记录 *签约 1 次* · 客户 腾讯" in out and "¥120,000" in out
    assert "不是已知的活动类型" in out
    assert "Clock set to Fri 2026-11-20 17:30 Asia/Shanghai" in out
    assert "你本周的记录" in out
    assert ":as USER" in out  # unknown input shows the help


def test_console_seeds_once_and_keeps_data_between_runs(tmp_path: Path) -> None:
    console(tmp_path, "/log visit Acme\n")
    out = console(tmp_path, "/log list\n")
    assert "Seeded" not in out and "Acme" in out


def test_console_fills_and_submits_forms(tmp_path: Path) -> None:
    out = console(tmp_path, "\n".join([
        "/checkin", ":fill 2 lots", ":submit", ":fill 2 3", ":fill 1 Acme, Globex", ":submit",
        ":submit",
    ]) + "\n")
    assert "── form: Daily check-in ──" in out and "(2) Planned visits" in out
    assert "Planned visits: Enter a whole number from 0 to 100." in out
    assert "✅ Checked in for" in out and "3 visits" in out
    assert out.rstrip().endswith("No form is open. Open one, e.g. /checkin")


def test_console_opens_the_app_home_and_presses_its_buttons(tmp_path: Path) -> None:
    out = console(tmp_path, "\n".join([
        ":now 2026-11-19 10:00", ":home", ":click 2", ":fill 1 3 calls", ":submit",
        ":as U0MEI", ":home",
    ]) + "\n")
    assert "── views.publish ──" in out and "Your numbers · Demo Sales" in out
    assert "[2] Log an activity" in out and "── form: Log an activity ──" in out
    assert "Logged *3 calls*" in out
    assert "团队 Demo Sales · 你是主管" in out


def test_console_plays_a_quarter_end_review_as_rep_and_manager(tmp_path: Path) -> None:
    """Seed 000's conversation as a team plays it in the console: Bo (zh) assesses himself,
    Mei rates him, he hears of the talk but not the grade, she gets the pack a working day
    ahead, he moves the talk, she records it, he confirms with a comment, the appeal window
    opens."""
    out = console(tmp_path, "\n".join([
        ":as U0BO", ":now 2026-12-10 10:00", "/log deal Acme 120k new",
        ":now 2027-01-04 09:00", ":run review", ":click 1",
        ":fill 1 签下 Acme 大单", ":fill 2 回款跟进不够及时", ":fill 3 法务审核慢", ":submit",
        ":as U0MEI", ":now 2027-01-04 15:00", "/review", ":click 1",
        ":fill 1 C", *(f":fill {n} solid" for n in range(2, 13, 2)),
        *(f":fill {n} 例子{n}" for n in range(3, 14, 2)),
        ":fill 14 Acme 的技术方案", ":fill 15 回款率", ":fill 17 客户预算冻结", ":submit",
        ":as U0BO", "/review", ":click 1", ":fill 2 15:00", ":submit",
        ":as U0MEI", ":now 2027-01-05 15:00", ":run review",
        ":now 2027-01-06 15:31", "/review", ":click 2",  # rate Alice, record Bo's talk, ...
        ":fill 2 能把技术功能讲成客户价值", ":fill 3 Acme 演示", ":fill 6 回款跟进",
        ":fill 7 Globex 逾期 40 天", ":fill 10 每周五核对应收", ":fill 11 2027-01-29",
        ":fill 12 逾期应收为 0", ":fill 20 售前顾问方向", ":submit",
        ":as U0BO", "/review", ":click 1", ":fill 1 回款慢是客户流程变更", ":submit",
    ]) + "\n")
    note = out[out.index("🗓️ 你和 <@U0MEI> 关于2026年第4季度的绩效面谈"):]
    note = note[:note.index("Now acting as")]
    assert "1月6日 周三 10:00" in note and "请准备" in note and "等级" not in note
    assert "choose: S = S · 卓越" in out  # the console lists a select's choices
    pack = out[out.index("面谈资料包："):]
    assert pack.index("法务审核慢") < pack.index("· 团队平均") < pack.index("等级 *C*")
    assert "面谈四忌" in pack and "1月6日 周三 15:00" in pack  # moved by Bo, pack after
    assert "调整了绩效面谈的时间" in out
    assert "*等级：* *C*" in out and "Acme 演示" in out  # the record, after the talk
    assert "面谈记录已确认，你的意见经理可以看到" in out
    assert "可以在 1月11日 周一 结束前向人力资源申诉" in out
    assert "回款慢是客户流程变更" in out[out.rindex("已确认2026年第4季度的面谈记录"):]


def test_the_console_escapes_mentions_and_channels_as_slack_does() -> None:
    from bot.slack.console import slack_escaped

    text = "team create East #sales tz Asia/Shanghai @U0BO @alice @nobody #random a<b & c"
    assert slack_escaped(text, mentions=True) == (
        "team create East <#C0SALES|sales> tz Asia/Shanghai <@U0BO|u0bo> <@U0ALICE|u0alice> "
        "@nobody #random a&lt;b &amp; c")
    assert slack_escaped("visit AT&T @bo", mentions=False) == "visit AT&amp;T @bo"
    assert slack_escaped("hi @here", mentions=True) == "hi <!here>"


def test_the_consoles_escaped_commands_are_the_manifests() -> None:
    import yaml

    from bot.slack.console import ESCAPED_COMMANDS

    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    declared = {c["command"] for c in manifest["features"]["slash_commands"]
                if c.get("should_escape")}
    assert declared == ESCAPED_COMMANDS


def test_the_readmes_team_create_line_works_in_the_console(tmp_path: Path) -> None:
    out = console(tmp_path, "\n".join([
        ":now 2026-11-19 10:00",
        # Only admins create teams (SPEC §5b): the demo manager, a Slack admin, names Alice.
        ":as U0MEI",
        "/pacer role @alice admin",
        ":as U0ALICE",
        "/pacer team create East #sales tz Asia/Shanghai currency CNY",
        "/pacer team add East @U0BO @carlos",
        "/pacer team create West Coast #sales tz America/Los_Angeles currency USD @mei",
        "/pacer team list",
    ]) + "\n")
    assert "Created team *East*, posting in <#C0SALES>" in out
    assert "Added <@U0BO>, <@U0CARLOS> to *East*" in out
    assert "*West Coast* · <#C0SALES> · America/Los_Angeles · USD · managers <@U0MEI>" in out
