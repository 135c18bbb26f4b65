"""`pacer export checkins|leads`: CSV with a header row, filtered in SQL, read back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import FixedClock
from bot.services.exports import CHECKIN_COLUMNS, LEAD_COLUMNS
from store import teams
from store.models import Checkin
from tests.conftest import NOW, WORKSPACE, Bot


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("bot.deps.SystemClock", lambda: FixedClock(NOW))
    return database_url


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def table(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def add_checkins(bot: Bot) -> None:
    """Check-ins straight into the table (the /checkin modal is another module's job)."""
    with bot.deps.sessions() as s:
        west = teams.create_team(s, workspace_id=WORKSPACE, name="West", channel_id="C0WEST",
                                 managers=["U0LEE"], members=["U0STRAY"], tz="Europe/London",
                                 currency="GBP", now=NOW)
        east = teams.find_team(s, name="East", workspace_id=WORKSPACE)
        at = datetime(2026, 11, 17, 1, 30, tzinfo=UTC)
        for user_id, team_id, day, visits, calls, keys, plan, yesterday, blockers in (
                ("U0BO", east.id, date(2026, 11, 17), 3, 10, "腾讯, 阿里巴巴", "拜访腾讯",
                 "签了一单", ""),
                ("U0ALICE", east.id, date(2026, 11, 16), 2, None, "Acme", "demo for Acme,\n"
                 "then \"pricing\" call", "", "legal is slow"),
                ("U0ALICE", east.id, date(2026, 11, 17), None, 5, "", "calls", "demo went ok",
                 ""),
                ("U0STRAY", west.id, date(2026, 11, 17), 1, 1, "", "", "", ""),
        ):
            s.add(Checkin(workspace_id=WORKSPACE, team_id=team_id, user_id=user_id, day=day,
                          planned_visits=visits, planned_calls=calls, key_customers=keys,
                          plan=plan, yesterday=yesterday, blockers=blockers, created_at=at,
                          updated_at=at))


def test_export_checkins_reads_back(env: str, bot: Bot, capsys: pytest.CaptureFixture) -> None:
    add_checkins(bot)
    code, out, _ = run(capsys, "export", "checkins")
    assert code == 0
    assert out.splitlines()[0] == ",".join(CHECKIN_COLUMNS) == (
        "date,user_id,team,planned_visits,planned_calls,key_customers,plan,yesterday,"
        "blockers,updated_at")
    rows = table(out)
    assert [(r["date"], r["user_id"], r["team"]) for r in rows] == [
        ("2026-11-16", "U0ALICE", "East"), ("2026-11-17", "U0ALICE", "East"),
        ("2026-11-17", "U0BO", "East"), ("2026-11-17", "U0STRAY", "West")]
    alice = rows[0]
    assert (alice["planned_visits"], alice["planned_calls"], alice["plan"],
            alice["blockers"]) == ("2", "", 'demo for Acme,\nthen "pricing" call',
                                   "legal is slow")
    assert alice["updated_at"] == "2026-11-17T01:30:00+00:00"
    assert rows[2]["key_customers"] == "腾讯, 阿里巴巴" and rows[2]["yesterday"] == "签了一单"

    code, out, _ = run(capsys, "export", "checkins", "--team", "East", "--from", "2026-11-17",
                       "--to", "2026-11-17")
    assert code == 0
    assert [(r["date"], r["user_id"]) for r in table(out)] == [
        ("2026-11-17", "U0ALICE"), ("2026-11-17", "U0BO")]
    code, out, _ = run(capsys, "export", "checkins", "--to", "2026-11-15")
    assert code == 0 and out.strip() == ",".join(CHECKIN_COLUMNS)


def test_export_unknown_team_exits_2(env: str, bot: Bot, capsys: pytest.CaptureFixture) -> None:
    for name in ("checkins", "leads"):
        code, out, err = run(capsys, "export", name, "--team", "Nope")
        assert code == 2 and "no team named 'Nope'" in err and out == ""


def test_export_leads_reads_back(env: str, bot: Bot, tmp_path: Path,
                                 capsys: pytest.CaptureFixture) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("external_id,customer,owner,stage,tier,source,created,lost_reason\n"
                     "L-1,Acme Corp,U0ALICE,demo,key,trade show,2026-10-01,\n"
                     "L-2,Globex,U0BO,lost,standard,referral,2026-10-05,\"price, again\"\n"
                     "L-3,腾讯,U0BO,线索,重点,,2026-11-10,\n")
    assert run(capsys, "import", "leads", str(leads))[0] == 0
    deals = tmp_path / "deals.csv"
    deals.write_text("external_id,date,user_id,customer,amount\n"
                     "D-1,2026-11-12,U0ALICE,Acme Corp,120k\n")
    assert run(capsys, "import", "deals", str(deals))[0] == 0

    code, out, _ = run(capsys, "export", "leads")
    assert code == 0
    assert out.splitlines()[0] == ",".join(LEAD_COLUMNS) == (
        "customer,team,tier,owner,stage,source,external_id,created_at,last_touched_at,"
        "stage_changed_at,lost_reason")
    rows = {r["customer"]: r for r in table(out)}
    assert list(rows) == ["Acme Corp", "Globex", "腾讯"]  # by creation
    acme = rows["Acme Corp"]
    assert (acme["team"], acme["tier"], acme["owner"], acme["stage"], acme["source"],
            acme["external_id"]) == ("East", "key", "U0ALICE", "won", "trade show", "L-1")
    # Local midnight in Shanghai, in UTC; the deal's day touched it and moved it to won.
    assert acme["created_at"] == "2026-09-30T16:00:00+00:00"
    assert acme["last_touched_at"] == "2026-11-11T16:00:00+00:00"
    assert acme["stage_changed_at"] == "2026-11-11T16:00:00+00:00"
    assert (rows["Globex"]["stage"], rows["Globex"]["lost_reason"]) == ("lost", "price, again")
    assert (rows["腾讯"]["stage"], rows["腾讯"]["tier"], rows["腾讯"]["last_touched_at"]) == (
        "lead", "key", "")

    # --from/--to select by the creation date in the team's own time zone.
    _, out, _ = run(capsys, "export", "leads", "--team", "East", "--from", "2026-10-01",
                    "--to", "2026-10-05")
    assert [r["customer"] for r in table(out)] == ["Acme Corp", "Globex"]
    _, out, _ = run(capsys, "export", "leads", "--to", "2026-09-30")
    assert table(out) == []
    _, out, _ = run(capsys, "export", "leads", "--from", "2026-11-01")
    assert [r["customer"] for r in table(out)] == ["腾讯"]


def test_exports_defuse_spreadsheet_formulas(env: str, capsys, bot) -> None:  # noqa: ANN001
    bot.command('visit "=HYPERLINK(1)" "+cmd|calc"')
    assert main(["export", "logs"]) == 0
    row = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))[0]
    assert row["customer"] == "'=HYPERLINK(1)" and row["note"] == "'+cmd|calc"


def test_export_scorecards_for_a_month_and_a_quarter(env: str, capsys, bot) -> None:  # noqa: ANN001
    for text in ("visit Acme", "visit Globex", "visit Initech", "report Acme"):
        bot.command(text)  # today: no lead has been idle for 48 hours yet
    assert main(["export", "scorecards", "--period", "2026-11", "--team", "East"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0])[:10] == ["user_id", "team", "period", "behaviour_points",
                                  "behaviour_score", "results_score", "qualitative_score",
                                  "total", "grade", "bonus_multiplier"]
    alice = next(r for r in rows if r["user_id"] == "U0ALICE")
    assert (alice["period"], alice["behaviour_points"]) == ("2026-11", "50")
    assert alice["grade"] in "SABCD" and alice["redistributed"] == "sales"
    assert main(["export", "scorecards", "--period", "2026-Q4"]) == 0
    quarter = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["period"] for r in quarter} == {"2026-Q4"}
    assert main(["export", "scorecards", "--period", "soon"]) == 2
