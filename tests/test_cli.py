"""The `pacer` CLI: db upgrade, teams, and the CSV export read back."""

from __future__ import annotations

import csv
import io

import pytest

from bot.cli import main
from tests.conftest import Bot


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return database_url


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_is_idempotent(env: str, capsys: pytest.CaptureFixture) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "db", "upgrade")[0] == 0


def test_team_create_add_list(env: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "team", "create", "East", "--channel", "C0EAST", "--manager",
                       "U0MEI,U0LEE", "--members", "U0ALICE,U0BO", "--tz", "Asia/Shanghai",
                       "--currency", "cny")
    assert code == 0 and "created team East" in out
    assert run(capsys, "team", "add", "East", "U0CARLOS", "U0DIA", "U0GONE")[0] == 0
    assert run(capsys, "team", "remove", "East", "U0GONE")[0] == 0
    assert run(capsys, "team", "manager", "East", "U0KAI")[0] == 0
    assert run(capsys, "team", "channel", "East", "C0NEW")[0] == 0
    assert run(capsys, "team", "tz", "East", "Asia/Singapore")[0] == 0
    code, out, _ = run(capsys, "team", "holidays", "East", "--country", "sg", "--add",
                       "2026-12-24", "--add", "2026-12-31", "--remove", "2026-12-31")
    assert out.strip() == "East: holidays of SG; days off: 2026-12-24"
    code, out, _ = run(capsys, "team", "list")
    assert out.strip() == ("East\tchannel=C0NEW\ttz=Asia/Singapore\tcurrency=CNY\t"
                           "language=auto\tmanagers=U0KAI,U0LEE,U0MEI\tmembers=U0ALICE,U0BO,U0CARLOS,U0DIA")


def test_team_errors_are_named_and_exit_2(env: str, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "team", "create", "East", "--channel", "C1", "--manager", "U1",
                       "--tz", "Mars/Olympus")
    assert code == 2 and "unknown time zone 'Mars/Olympus'" in err
    run(capsys, "team", "create", "East", "--channel", "C1", "--manager", "U1")
    code, _, err = run(capsys, "team", "create", "East", "--channel", "C1", "--manager", "U1")
    assert code == 2 and "already exists" in err
    code, _, err = run(capsys, "team", "add", "West", "U2")
    assert code == 2 and "no team named 'West'" in err


def test_cli_team_is_found_by_slack_requests(env: str, capsys: pytest.CaptureFixture,
                                             bot: Bot) -> None:
    # The bot fixture's workspace exists already; a CLI team lands in it without --workspace.
    run(capsys, "team", "create", "West", "--channel", "C0WEST", "--manager", "U0LEE",
        "--members", "U0STRAY", "--currency", "USD")
    reply = bot.command("deal Initech 1.2m existing", user="U0STRAY")
    assert "$1,200,000" in reply.text and "not on a Pacer team" not in reply.text


def test_export_logs_csv_reads_back(env: str, capsys: pytest.CaptureFixture, bot: Bot) -> None:
    bot.command("visit Acme Corp no objections")
    bot.command('deal "Acme, Inc." 120k new "signed, finally"')
    bot.command("电话 3 前天", user="U0BO")
    bot.command("call Undone")
    bot.command("undo")
    code, out, _ = run(capsys, "export", "logs")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert list(table[0])[:7] == ["date", "user_id", "kind", "count", "customer", "amount",
                                  "new_customer"]
    assert [(r["date"], r["user_id"], r["kind"], r["count"], r["customer"], r["amount"],
             r["note"], r["team"]) for r in table] == [
        ("2026-11-16", "U0BO", "call", "3", "", "", "", "East"),
        ("2026-11-17", "U0ALICE", "visit", "1", "Acme Corp", "", "", "East"),
        ("2026-11-17", "U0ALICE", "deal", "1", "Acme, Inc.", "120000.00", "signed, finally",
         "East"),
    ]
    assert table[2]["new_customer"] == "new"
    # The no-objections flag (seed 001's objection KBI) travels with the row.
    assert [r["no_objections"] for r in table] == ["", "yes", ""]
    _, out, _ = run(capsys, "export", "logs", "--team", "East", "--from", "2026-11-17",
                    "--to", "2026-11-17")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 2
    code, _, err = run(capsys, "export", "logs", "--team", "Nope")
    assert code == 2 and "no team named 'Nope'" in err


def test_rules_show_set_import_reset(env: str, capsys: pytest.CaptureFixture,
                                     tmp_path) -> None:  # noqa: ANN001
    run(capsys, "team", "create", "East", "--channel", "C1", "--manager", "U1")
    code, out, _ = run(capsys, "rules", "show")
    assert code == 0 and "overridden: nothing" in out and "visit_day_points = 20" in out
    code, out, _ = run(capsys, "rules", "set", "points.visit_day_points", "25", "--team", "East")
    assert code == 0 and "visit_day_points = 25" in out
    assert "overridden: points.visit_day_points" in out
    code, _, err = run(capsys, "rules", "set", "points.visit_points", "25")
    assert code == 2 and "unknown key 'points.visit_points'" in err
    code, _, err = run(capsys, "rules", "set", "grades.a", "lots")
    assert code == 2 and "grades.a" in err
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[grades]\na = 80\n[bonus]\ns = '1.3'\n")
    code, out, _ = run(capsys, "rules", "import", str(rules_file))
    assert code == 0 and "a = 80" in out and "visit_day_points = 20" in out
    code, out, _ = run(capsys, "rules", "reset")
    assert "overridden: nothing" in out and "a = 85" in out


def test_team_times(env: str, capsys: pytest.CaptureFixture) -> None:
    run(capsys, "team", "create", "East", "--channel", "C1", "--manager", "U1", "--tz",
        "Asia/Shanghai")
    code, out, _ = run(capsys, "team", "times", "East", "--checkin", "9:05", "--report", "18:00")
    assert code == 0 and out.strip() == (
        "East: check-in reminder 09:05 (each rep's zone), brief request Fridays 15:00 "
        "(each rep's zone), Friday report 18:00 (Asia/Shanghai)")
    code, _, err = run(capsys, "team", "times", "East", "--brief", "noon")
    assert code == 2 and "'noon' is not a time of day" in err


def test_pacer_now_sets_the_running_bots_clock() -> None:
    from datetime import UTC, datetime

    from bot.cli import _run_clock
    from bot.config import ConfigError, Settings

    settings = Settings.from_env({"PACER_NOW": "2026-12-01T09:00:00+08:00"})
    clock = _run_clock(settings)
    assert clock is not None
    assert abs((clock.now() - datetime(2026, 12, 1, 1, tzinfo=UTC)).total_seconds()) < 5
    assert _run_clock(Settings.from_env({})) is None
    with pytest.raises(ConfigError, match="PACER_NOW"):
        Settings.from_env({"PACER_NOW": "next tuesday"})
