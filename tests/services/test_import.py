"""`pacer import deals|payments|leads FILE.csv`: all or nothing, idempotent, bilingual."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.cli import main
from bot.clock import FixedClock
from store.models import Activity, Customer, Member, StageChange
from tests.conftest import NOW, Bot

DEALS = """external_id,date,user_id,customer,amount,new_customer,note
D-1,2026-11-02,U0ALICE,Acme Corp,"120,000",new,"signed, finally"
D-2,2026-11-05,U0BO,Globex,12万,,
D-3,2026-11-09,U0ALICE,acme corp,120k,,renewal
"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    # The CLI reads the system clock; pin it to the fixtures' Wednesday 18 Nov 2026.
    monkeypatch.setattr("bot.deps.SystemClock", lambda: FixedClock(NOW))
    return database_url


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> str:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return str(path)


def snapshot(bot: Bot) -> dict[str, object]:
    """Everything an import may touch, to prove a run wrote nothing."""
    with bot.deps.sessions() as s:
        return {
            "activities": [(a.source, a.user_id, a.customer, a.amount, a.new_customer, a.note,
                            a.occurred_on, a.customer_id, a.amount_due, a.due_on, a.text)
                           for a in s.exec(select(Activity).order_by(Activity.id)).all()],
            "customers": [(c.name, c.stage, c.tier, c.owner_user_id, c.external_id,
                           c.last_touched_at, c.created_at, c.source, c.lost_reason)
                          for c in s.exec(select(Customer).order_by(Customer.id)).all()],
            "stage_changes": s.exec(select(func.count()).select_from(StageChange)).one(),
            "members": s.exec(select(func.count()).select_from(Member)).one(),
        }


def deals(bot: Bot) -> dict[str, Activity]:
    with bot.deps.sessions() as s:
        rows = s.exec(select(Activity).where(Activity.source.like("import:%"))).all()
        return {a.source.rsplit(":", 1)[1]: a for a in rows}


def customer(bot: Bot, name: str) -> Customer:
    with bot.deps.sessions() as s:
        return s.exec(select(Customer).where(Customer.name == name)).one()


def test_deals_import_then_reimport_changes_nothing(env: str, bot: Bot, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, "deals.csv", DEALS)
    code, out, err = run(capsys, "import", "deals", path)
    assert code == 0, err
    assert "imported deals from deals.csv into team East: 3 new, 0 unchanged, 0 updated" in out
    assert "customers: 2 were created" in out
    rows = deals(bot)
    assert rows["D-1"].amount == Decimal("120000") and rows["D-1"].new_customer is True
    assert rows["D-2"].amount == Decimal("120000") and rows["D-2"].new_customer is True
    # Same customer, name folded; blank new_customer inferred from the earlier deal.
    assert rows["D-3"].new_customer is False
    assert rows["D-1"].customer_id == rows["D-3"].customer_id != rows["D-2"].customer_id
    assert {a.kind for a in rows.values()} == {"deal"} and {a.team_id for a in rows.values()}
    assert isinstance(rows["D-1"].amount, Decimal)
    assert customer(bot, "Acme Corp").stage == "won"
    before = snapshot(bot)

    code, out, _ = run(capsys, "import", "deals", path)
    assert code == 0
    assert "0 new, 3 unchanged, 0 updated" in out and "customers:" not in out
    assert snapshot(bot) == before


def test_a_changed_row_is_updated(env: str, bot: Bot, tmp_path: Path,
                                  capsys: pytest.CaptureFixture) -> None:
    run(capsys, "import", "deals", write(tmp_path, "deals.csv", DEALS))
    changed = DEALS.replace("D-2,2026-11-05,U0BO,Globex,12万,,",
                            "D-2,2026-11-06,U0BO,Globex,15万,existing,upsell")
    code, out, _ = run(capsys, "import", "deals", write(tmp_path, "deals2.csv", changed))
    assert code == 0 and "0 new, 2 unchanged, 1 updated" in out
    row = deals(bot)["D-2"]
    assert (row.amount, row.occurred_on, row.new_customer, row.note) == (
        Decimal("150000"), date(2026, 11, 6), False, "upsell")
    assert len(deals(bot)) == 3


def test_dry_run_reports_and_writes_nothing(env: str, bot: Bot, tmp_path: Path,
                                            capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path, "deals.csv", DEALS.replace("U0BO", "U0NEWBIE"))
    before = snapshot(bot)
    code, out, err = run(capsys, "import", "deals", path, "--dry-run")
    assert code == 0
    assert ("dry run, nothing written: deals from deals.csv into team East would be "
            "3 new, 0 unchanged, 0 updated") in out
    assert "customers: 2 would be created" in out
    assert "U0NEWBIE is not on team East" in err
    assert snapshot(bot) == before
    # A dry run after the real import predicts "unchanged".
    run(capsys, "import", "deals", path)
    code, out, _ = run(capsys, "import", "deals", path, "--dry-run", "--team", "East")
    assert code == 0 and "would be 0 new, 3 unchanged, 0 updated" in out


def test_one_bad_row_writes_nothing_and_names_line_and_column(
        env: str, bot: Bot, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text = (DEALS
            + "D-4,2026-11-10,U0ALICE,Initech,12x,,\n"
            + "D-5,2026/11/11,alice,Hooli,5000,maybe,\n"
            + "D-6,2026-12-01,U0BO,,0,,\n"
            + "D-1,2026-11-12,U0BO,Umbrella,1.234,,\n"
            + "D-7,2026-11-12,U0BO,Acme, Inc.,5000,,\n")
    before = snapshot(bot)
    code, out, err = run(capsys, "import", "deals", write(tmp_path, "bad.csv", text))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert 'line 5, column amount: "12x" is not an amount; write 120000, 120k or 12万' in lines
    assert any(line.startswith('line 6, column user_id: "alice" is not a Slack user id')
               for line in lines)
    assert any(line.startswith('line 6, column new_customer: "maybe" is not new or existing')
               for line in lines)
    assert "line 7, column date: 2026-12-01 is in the future (today is 2026-11-18)" in lines
    assert "line 7, column customer: is empty; every deal needs a customer" in lines
    assert 'line 7, column amount: "0" is not more than 0' in lines
    assert 'line 8, column external_id: "D-1" is already on line 2' in lines
    assert 'line 8, column amount: "1.234" has more than 2 decimals' in lines
    assert any(line.startswith("line 9: has 8 values but the header has 7 columns")
               for line in lines)
    assert "nothing imported from bad.csv: 5 rows with errors" in err
    assert snapshot(bot) == before


def test_bom_and_chinese_headers(env: str, bot: Bot, tmp_path: Path,
                                 capsys: pytest.CaptureFixture) -> None:
    text = ("编号,日期,销售,客户,金额,新老客户,备注\r\n"
            "HT-001,2026年11月3日,U0BO,腾讯,12万,新客户,首单\r\n"
            "HT-002,2026/11/10,U0BO,腾讯,¥50,000,老客户,\r\n")
    text = text.replace("¥50,000", '"¥50,000"')
    code, out, err = run(capsys, "import", "deals", write(tmp_path, "合同.csv", text, bom=True))
    assert code == 0, err
    assert "2 new, 0 unchanged, 0 updated" in out
    rows = deals(bot)
    assert (rows["HT-001"].customer, rows["HT-001"].amount, rows["HT-001"].new_customer,
            rows["HT-001"].note) == ("腾讯", Decimal("120000"), True, "首单")
    assert rows["HT-002"].amount == Decimal("50000") and rows["HT-002"].new_customer is False
    # Errors name the column as the file spells it.
    code, _, err = run(capsys, "import", "deals", write(
        tmp_path, "坏.csv", "编号,日期,销售,客户,金额\nX-1,2026-11-03,U0BO,腾讯,很多\n", bom=True))
    assert code == 1 and 'line 2, column 金额 (amount): "很多" is not an amount' in err


def test_missing_required_column_and_unknown_columns(env: str, bot: Bot, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "import", "deals", write(
        tmp_path, "d.csv", "External ID,Date,Customer,Amount,Stage\nD-1,2026-11-03,Acme,5k,x\n"))
    assert code == 1
    assert "header: missing column user_id; the deals columns are external_id, date" in err
    assert 'warning: ignoring column "Stage": not a deals column' in err
    code, _, err = run(capsys, "import", "deals", write(tmp_path, "e.csv", ""))
    assert code == 1 and "the file is empty" in err
    (tmp_path / "gbk.csv").write_bytes("编号,日期\n".encode("gbk"))
    code, _, err = run(capsys, "import", "deals", str(tmp_path / "gbk.csv"))
    assert code == 1 and "is not UTF-8" in err


def test_new_or_existing_is_inferred_from_earlier_deals(env: str, bot: Bot, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    bot.command("deal Initech 80k new")  # a deal logged in Slack before the import
    text = ("external_id,date,user_id,customer,amount\n"
            "D-1,2026-11-18,U0BO,initech,10k\n"  # Initech already had a deal: existing
            "D-3,2026-11-12,U0BO,Hooli,10k\n"  # Hooli's first deal, though listed later
            "D-2,2026-11-02,U0BO,Hooli,10k\n")
    code, _, err = run(capsys, "import", "deals", write(tmp_path, "d.csv", text))
    assert code == 0, err
    rows = deals(bot)
    assert rows["D-1"].new_customer is False
    assert rows["D-2"].new_customer is True and rows["D-3"].new_customer is False


def test_leads_then_a_deal_moves_the_lead_to_won(env: str, bot: Bot, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    leads = ("external_id,customer,owner,stage,tier,source,created,lost_reason\n"
             "L-1,Acme Corp,U0ALICE,demo,重点,trade show,2026-10-01,\n"
             "L-2,Globex,U0BO,丢单,普通,referral,2026-10-05,price\n"
             "L-3,Initech,,,,,,\n")
    path = write(tmp_path, "leads.csv", leads)
    code, out, err = run(capsys, "import", "leads", path)
    assert code == 0, err
    assert "imported leads from leads.csv into team East: 3 new, 0 unchanged, 0 updated" in out
    acme = customer(bot, "Acme Corp")
    assert (acme.stage, acme.tier, acme.owner_user_id, acme.source, acme.external_id) == (
        "demo", "key", "U0ALICE", "trade show", "L-1")
    assert acme.created_at.date() == date(2026, 9, 30)  # midnight in Shanghai, UTC
    globex = customer(bot, "Globex")
    assert (globex.stage, globex.lost_reason) == ("lost", "price")
    assert customer(bot, "Initech").stage == "lead"
    before = snapshot(bot)
    code, out, _ = run(capsys, "import", "leads", path)
    assert code == 0 and "0 new, 3 unchanged, 0 updated" in out
    assert snapshot(bot) == before

    code, out, err = run(capsys, "import", "deals", write(tmp_path, "deals.csv", DEALS))
    assert code == 0, err
    # Globex was lost: a won deal revives it.
    assert "customers: 0 were created, 2 were moved to won" in out
    acme = customer(bot, "Acme Corp")
    assert acme.stage == "won" and acme.last_touched_at is not None
    assert deals(bot)["D-1"].customer_id == acme.id
    with bot.deps.sessions() as s:
        causes = s.exec(select(StageChange.cause).where(StageChange.customer_id == acme.id,
                                                        StageChange.to_stage == "won")).all()
    assert len(causes) == 1 and causes[0].startswith("import")

    # The CRM renames a lead and moves another: updated, matched by external id.
    code, out, _ = run(capsys, "import", "leads", write(
        tmp_path, "leads2.csv", "external_id,customer,stage\nL-3,Initech Ltd,proposal\n"))
    assert code == 0 and "0 new, 0 unchanged, 1 updated" in out
    initech = customer(bot, "Initech Ltd")
    assert initech.stage == "proposal" and initech.external_id == "L-3"


def test_lead_rows_that_clash_with_pacer_customers(env: str, bot: Bot, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    run(capsys, "import", "leads", write(tmp_path, "a.csv", "external_id,customer\nL-1,Acme\n"))
    before = snapshot(bot)
    code, _, err = run(capsys, "import", "leads", write(
        tmp_path, "b.csv", "external_id,customer,stage,lost_reason\nL-9,Globex,,\n"
        "L-2,ACME,,\nL-3,Hooli,demo,too pricey\nL-4,Umbrella,someday,\n"))
    assert code == 1
    assert 'line 3, column customer: "ACME" is already in Pacer as CRM id "L-1"' in err
    assert "line 4, column lost_reason: is only for lost leads" in err
    assert 'line 5, column stage: "someday" is not a stage; write one of lead, contacted' in err
    assert snapshot(bot) == before  # Globex, valid on its own, was not written either


def test_payments_with_amounts_due_and_due_dates(env: str, bot: Bot, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    text = ("external_id,date,user_id,customer,amount,amount_due,due_date,note\n"
            "P-1,2026-11-10,U0ALICE,Acme Corp,50k,50k,2026-11-15,late\n"
            "P-2,2026-11-16,U0ALICE,Acme Corp,30000,80000,2026-12-31,partial\n"
            "P-3,2026-11-17,U0BO,Globex,1.5万,,,\n")
    path = write(tmp_path, "payments.csv", text)
    code, out, err = run(capsys, "import", "payments", path)
    assert code == 0, err
    assert "3 new, 0 unchanged, 0 updated" in out
    with bot.deps.sessions() as s:
        rows = {a.source: a for a in s.exec(select(Activity)).all()}
    p1, p2, p3 = (rows[f"import:payments:P-{i}"] for i in (1, 2, 3))
    assert (p1.kind, p1.amount, p1.amount_due, p1.due_on) == (
        "payment", Decimal("50000"), Decimal("50000"), date(2026, 11, 15))
    assert p2.due_on == date(2026, 12, 31)  # a due date may be ahead; the payment may not
    assert (p3.amount, p3.amount_due, p3.due_on, p3.new_customer) == (
        Decimal("15000"), None, None, None)
    assert customer(bot, "Acme Corp").stage == "won"
    code, out, _ = run(capsys, "import", "payments", path)
    assert "0 new, 3 unchanged, 0 updated" in out


def test_people_not_on_the_team_become_members_with_a_warning(
        env: str, bot: Bot, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    text = "external_id,date,user_id,customer,amount\nD-1,2026-11-10,<@u0stray>,Acme,5k\n"
    code, out, err = run(capsys, "import", "deals", write(tmp_path, "d.csv", text))
    assert code == 0 and "1 new" in out
    assert "warning: U0STRAY is not on team East" in err
    with bot.deps.sessions() as s:
        assert s.exec(select(Member).where(Member.user_id == "U0STRAY")).one()
    assert deals(bot)["D-1"].user_id == "U0STRAY"


def test_usage_errors_exit_2(env: str, bot: Bot, tmp_path: Path,
                             capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "import", "deals", str(tmp_path / "nope.csv"))
    assert code == 2 and "cannot read" in err and "nope.csv" in err
    path = write(tmp_path, "d.csv", DEALS)
    code, _, err = run(capsys, "import", "deals", path, "--team", "West")
    assert code == 2 and "pacer import: no team named 'West'\n" in err
    run(capsys, "team", "create", "West", "--channel", "C0WEST", "--manager", "U0LEE")
    code, _, err = run(capsys, "import", "deals", path)
    assert code == 2 and "several teams (East, West): add --team NAME" in err
    code, out, _ = run(capsys, "import", "deals", path, "--team", "West")
    assert code == 0 and "into team West: 3 new" in out
    # The same CRM ids imported for East would steal West's rows: refused.
    code, _, err = run(capsys, "import", "deals", path, "--team", "East")
    assert code == 1 and '"D-1" was already imported for team West' in err


def test_export_logs_shows_imported_deals(env: str, bot: Bot, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    run(capsys, "import", "deals", write(tmp_path, "deals.csv", DEALS))
    code, out, _ = run(capsys, "export", "logs", "--team", "East")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert [(r["date"], r["user_id"], r["kind"], r["customer"], r["amount"], r["new_customer"],
             r["note"], r["team"]) for r in table] == [
        ("2026-11-02", "U0ALICE", "deal", "Acme Corp", "120000.00", "new", "signed, finally",
         "East"),
        ("2026-11-05", "U0BO", "deal", "Globex", "120000.00", "new", "", "East"),
        ("2026-11-09", "U0ALICE", "deal", "acme corp", "120000.00", "existing", "renewal",
         "East"),
    ]


def test_imported_past_deals_seed_the_rolling_forecast(env: str, bot: Bot, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    """Issue 12: a CRM import of past deals is history like any other: with three months or
    more behind the quarter it seeds the trailing-12-month forecast, rounded; with less it
    does not, and the card says how much history there is."""
    with bot.deps.sessions() as s:  # on the team (and in the CRM) since January
        for member in s.exec(select(Member)).all():
            member.joined_at = datetime(2026, 1, 1, tzinfo=UTC)
            s.add(member)
    rows = ["external_id,date,user_id,customer,amount,new_customer,note",
            "H-1,2026-08-10,U0BO,Initech,120k,new,"]
    run(capsys, "import", "deals", write(tmp_path, "one.csv", "\n".join(rows) + "\n"))
    bot.command("2026-11", command="/target", user="U0BO")
    card = json.dumps(bot.fake.wait_for("response_url", 1)[0].args, ensure_ascii=False)
    assert "暂无目标" in card  # one month before Q4: no forecast
    bot.command("2026-11", command="/scorecard", user="U0BO")
    card = json.dumps(bot.fake.wait_for("response_url", 2)[1].args, ensure_ascii=False)
    assert "滚动预测需要 3 个月历史数据，目前只有 2 个月" in card  # August and September
    rows += ["H-2,2026-07-03,U0BO,Umbrella,100k,new,", "H-3,2026-09-20,U0BO,Initech,110k,,"]
    code, out, err = run(capsys, "import", "deals", write(tmp_path, "three.csv",
                                                          "\n".join(rows) + "\n"))
    assert code == 0, err
    bot.command("2026-11", command="/target", user="U0BO")
    card = json.dumps(bot.fake.wait_for("response_url", 3)[2].args, ensure_ascii=False)
    # July to September: (100k + 120k + 110k) / 3 = 110,000 a month.
    assert "销售额：¥0 / ¥110,000（滚动预测）· 进度：目前应达 ¥68,095 · 落后于进度" in card
    bot.command("2026-Q4", command="/target", user="U0BO")
    card = json.dumps(bot.fake.wait_for("response_url", 4)[3].args, ensure_ascii=False)
    assert "销售额：¥0 / ¥330,000（滚动预测）" in card
