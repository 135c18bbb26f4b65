"""Data rights: the personal-data declaration, `pacer member export|forget`, notes retention.

Everything goes through the front door: people use the real app over signed HTTP requests
(/log, /lead, /checkin, /brief, /target, /rate and its anonymous form), the admin uses the
`pacer` command line, and the checks read the database and the CSV exports back.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.calendar.periods import parse_period
from bot.jobs import registry as jobs
from bot.services.reports import rules_for, team_report
from store import privacy, teams
from store.models import Activity, AuditEntry, Brief, Checkin, Member, PeerRating, TeamMember
from tests.conftest import NOW, WORKSPACE, Bot
from tests.handlers.test_rate import add_teammate, open_form, submit
from tests.services.test_exports import env, run  # noqa: F401 - the CLI's environment, and running it

KEY = "privacy-test-key"
ALICE = "U0ALICE"
ALIAS = privacy.pseudonym(KEY.encode(), workspace_id=WORKSPACE, user_id=ALICE)
# What Alice wrote, and what others wrote about her: none of it may survive a forget.
HER_WORDS = ("talked pricing with CFO", "signed after long talks", "chose a competitor",
             "my boss is slow", "closed Initech", "Acme signed", "Globex demo",
             "new territory", "missing contract copy", "3 visits, 5 calls")


pytestmark = pytest.mark.usefixtures("env")  # the CLI's environment: the tests' database


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACER_SECRET_KEY", KEY)  # the CLI's pseudonyms are keyed with it


def ok(reply) -> str:  # noqa: ANN001
    assert reply.status == 200
    return reply.text


def seed(bot: Bot, *, alice_rates: bool = True) -> None:
    """A team's month: Alice logs, leads, checks in, briefs; her manager sets a target and
    rates her; three teammates rate her anonymously; Bo mentions her in a note."""
    for user in ("U0CARLOS", "U0DIA"):
        add_teammate(bot, user)
    say = bot.command
    assert "Logged" in ok(say('visit "Acme Corp" yesterday "talked pricing with CFO"'))
    ok(say('deal "Acme Corp" 120k new "signed after long talks"'))
    ok(say("payment Acme Corp 50k of 80k due Nov 16"))
    ok(say("3 calls"))
    ok(say('visit Globex "met <@U0ALICE> there"', user="U0BO"))
    ok(say("deal Globex 80k new", user="U0BO"))
    ok(say("4 calls", user="U0CARLOS"))
    ok(say("add Initech key from trade show", command="/lead"))
    ok(say("lost Initech chose a competitor", command="/lead"))
    ok(say("add Hooli", command="/lead"))  # still open when she is forgotten
    ok(say("plan: 3 visits, 5 calls | yesterday: closed Initech | blockers: my boss is slow",
           command="/checkin"))
    ok(say("wins: Acme signed | next: Globex demo", command="/brief"))
    ok(say("set <@U0ALICE> sales 500k 2026-Q4 new territory", command="/target",
           user="U0MEI"))
    ok(say("<@U0ALICE> satisfaction 88", command="/rate", user="U0MEI"))
    ok(say("<@U0ALICE> compliance 5 missing contract copy", command="/rate", user="U0MEI"))
    ok(say("me tz Asia/Singapore", command="/pacer"))
    for rater, score in (("U0BO", "4"), ("U0CARLOS", "5"), ("U0DIA", "3")):
        submit(bot, open_form(bot, "<@U0ALICE>", rater), {"score": score}, rater)
    if alice_rates:
        rate_as_alice(bot)
    # The morning's check-in reminders (Alice now lives in Singapore: hers is due 01:30 UTC).
    assert jobs.run_job(bot.deps, "checkin-reminder", now=NOW).sent >= 1


def rate_as_alice(bot: Bot) -> None:
    submit(bot, open_form(bot, "<@U0BO>", ALICE), {"score": "2"}, ALICE)
    submit(bot, open_form(bot, "<@U0CARLOS>", ALICE), {"score": "5"}, ALICE)


def dump(bot: Bot) -> dict[str, list[tuple]]:
    """Every row of every table."""
    with bot.deps.sessions() as session:
        return {t.name: sorted(map(tuple, session.execute(sa_select(t)).all()), key=repr)
                for t in SQLModel.metadata.sorted_tables}


def strings(bot: Bot) -> list[tuple[str, str, str]]:
    """(table, column, value) for every string value in the database."""
    found = []
    for table, rows in dump(bot).items():
        columns = SQLModel.metadata.tables[table].columns.keys()
        for row in rows:
            found += [(table, c, v) for c, v in zip(columns, row, strict=True)
                      if isinstance(v, str)]
    return found


def csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def team_numbers(bot: Bot, capsys: pytest.CaptureFixture, alias: dict[str, str]) -> dict:
    """The team's numbers for its month, quarter and year: scorecards (CSV export),
    leaderboards, honours and the logs export without its notes; people as `alias` says."""
    def who(user: str) -> str:
        return alias.get(user, user)

    found: dict = {}
    for label in ("2026-11", "2026-Q4", "2026"):
        code, out, _ = run(capsys, "export", "scorecards", "--period", label, "--team", "East")
        assert code == 0
        found[f"cards {label}"] = sorted(tuple({**r, "user_id": who(r["user_id"])}.items())
                                         for r in csv_rows(out))
        with bot.deps.sessions() as session:
            team = teams.find_team(session, name="East")
            report = team_report(session, team=team, period=parse_period(label, NOW.date()),
                                 now=NOW)
            rules = rules_for(session, team.id)
        for metric in ("points", "sales", "new", "touches"):
            found[f"{metric} {label}"] = sorted(
                (s.rank, who(s.user_id), s.value) for s in report.board(metric, rules).standings)
        found[f"honours {label}"] = sorted(
            (h.kind, h.value, tuple(sorted(who(u) for u in h.user_ids)))
            for h in report.honours)
        found[f"funnel {label}"] = report.funnel
    code, out, _ = run(capsys, "export", "logs")
    found["logs"] = sorted(tuple((k, who(v) if k == "user_id" else v) for k, v in r.items()
                                 if k != "note") for r in csv_rows(out))
    assert len(found["logs"]) == 7
    return found


# ----------------------------------------------------------------- the declaration

PERSON_LIKE = re.compile(r"(^|_)(user|users|by|owner|author|actor|rater|ratee|mentor|manager|"
                         r"assignee|installer|person|people)(_|$)|(^|_)name$")
TEXT_LIKE = re.compile(r"note|text|reason|detail|comment|answer|minutes|blocker|plan|wins|"
                       r"focus|progress|summary|feedback|message|body|description|why|"
                       r"yesterday|customers|improve|strength|support")


def undeclared(metadata: MetaData) -> list[str]:
    missing = []
    for table in metadata.sorted_tables:
        decl = privacy.TABLES.get(table.name)
        if decl is None:
            missing.append(f"table {table.name}: add a line to store/privacy.py TABLES")
            continue
        covered = {*decl.people, *decl.text, *decl.personal, *decl.not_personal}
        for name in privacy.string_columns(table):
            length = getattr(getattr(table.c[name].type, "impl", table.c[name].type),
                             "length", None)
            looks = ("a person" if PERSON_LIKE.search(name) else
                     "free text" if TEXT_LIKE.search(name) or not length or length >= 300
                     else None)
            if looks and name not in covered:
                missing.append(f"{table.name}.{name} looks like {looks}: declare it")
    return missing


def test_every_table_and_every_personal_or_free_text_column_is_declared() -> None:
    """A new table, or a new column that looks like a person or like free text, fails here
    until store/privacy.py's TABLES says what it is (one line per table)."""
    assert undeclared(SQLModel.metadata) == []


def test_the_declaration_check_catches_what_it_should() -> None:
    metadata = MetaData()
    Table("coaching_notes", metadata, Column("id", Integer, primary_key=True),
          Column("manager_user_id", String(32)), Column("minutes", Text))
    Table("checkins", metadata, Column("id", Integer, primary_key=True),
          Column("user_id", String(32)), Column("mood", String(2000)),
          Column("approved_by", String(32)), Column("day", String(10)))
    assert sorted(undeclared(metadata)) == [
        "checkins.approved_by looks like a person: declare it",
        "checkins.mood looks like free text: declare it",
        "table coaching_notes: add a line to store/privacy.py TABLES"]


def test_the_declaration_names_real_columns_and_every_table_reaches_a_workspace() -> None:
    for name, decl in privacy.TABLES.items():
        table = SQLModel.metadata.tables[name]
        for column in (*decl.people, *decl.text, *decl.personal, *decl.not_personal):
            assert column in table.c, f"{name}.{column} does not exist"
        if decl.workspace not in (None, "workspace_id"):
            assert decl.workspace in table.c, f"{name}.{decl.workspace} does not exist"
        if decl.text:
            assert decl.aged_by in table.c, f"{name}: text needs aged_by (a time column)"
            assert [c.name for c in table.primary_key] == ["id"], f"{name}: retention " \
                "blanks rows by their id"
        assert decl.forget in (privacy.KEEP, privacy.ERASE, privacy.PROFILE)
        if decl.workspace is None:
            assert not (decl.people or decl.text or decl.personal), f"{name} is personal"
        else:
            privacy.in_workspace(table, WORKSPACE)  # raises when a table cannot be scoped


# ----------------------------------------------------------------- export

def test_export_holds_everything_about_one_person_and_no_rater(bot: Bot,
                                                               capsys) -> None:  # noqa: ANN001
    seed(bot)
    code, out, err = run(capsys, "member", "export", ALICE)
    assert code == 0, err
    data = json.loads(out)
    assert (data["format"], data["user_id"], data["workspace_id"]) == (
        "pacer-member-export/1", ALICE, WORKSPACE)
    assert data["teams"] == [{"team": "East", "manager": False}]
    tables = data["tables"]
    assert set(tables) == {"members", "activities", "customers", "lead_stage_changes",
                           "checkins", "briefs", "audit_log", "targets", "ratings",
                           "deliveries"}
    member = tables["members"][0]
    assert (member["user_id"], member["tz_override"]) == (ALICE, "Asia/Singapore")
    assert sorted((a["kind"], a["note"]) for a in tables["activities"]) == [
        ("call", None), ("deal", "signed after long talks"), ("payment", None),
        ("visit", "talked pricing with CFO")]
    assert {c["name"] for c in tables["customers"]} == {"Acme Corp", "Initech", "Hooli"}
    assert tables["checkins"][0]["blockers"] == "my boss is slow"
    assert tables["briefs"][0]["next_focus"] == "Globex demo"
    assert (tables["targets"][0]["reason"], tables["targets"][0]["set_by"]) == (
        "new territory", "U0MEI")
    assert {r["kind"] for r in tables["ratings"]} == {"satisfaction", "compliance"}
    assert {a["action"] for a in tables["audit_log"]} >= {"target.set", "rate.satisfaction"}
    assert [(d["job"], d["status"]) for d in tables["deliveries"]] == [
        ("checkin-reminder", "sent")]
    # Collaboration as her scorecards show it: a mean and a count, never single scores.
    assert [(c["period"], c["mean"], c["ratings"]) for c in data["collaboration_received"]] \
        == [("2026", 4.0, 3), ("2026-Q4", 4.0, 3)]
    assert "cannot be" in data["notes"]["collaboration_given"]
    with bot.deps.sessions() as session:
        keys = session.exec(select(PeerRating.rater_key)).all()
    assert len(keys) == 5 and not any(k in out for k in keys)
    assert "met <@U0ALICE> there" not in out  # Bo's note is Bo's
    # Bo has one rating: his scorecard shows nothing, and neither does his export.
    bo = json.loads(run(capsys, "member", "export", "U0BO")[1])
    assert bo["collaboration_received"] == [] and "peer_ratings" not in bo["tables"]
    assert run(capsys, "member", "export", "U0NOBODY")[:3:2] == (
        1, "pacer: nothing about U0NOBODY is stored in workspace T0ACME\n")
    code, _, err = run(capsys, "member", "export", ALICE, "--workspace", "T0OTHER")
    assert code == 2 and "no workspace 'T0OTHER'; known: T0ACME" in err


def test_neither_export_nor_forget_can_link_a_rater_to_a_rating(bot: Bot,
                                                                 capsys) -> None:  # noqa: ANN001
    seed(bot, alice_rates=False)
    exported = run(capsys, "member", "export", ALICE)[1]
    dry_run = run(capsys, "member", "forget", ALICE)[1]
    rate_as_alice(bot)  # Alice rates Bo and Carlos
    # Her export and her forget's plan are the same, byte for byte, whether she rated or not:
    # nothing they read depends on the ratings she gave.
    assert run(capsys, "member", "export", ALICE)[1] == exported
    assert run(capsys, "member", "forget", ALICE)[1] == dry_run
    with bot.deps.sessions() as session:
        given = sorted((r.ratee_user_id, r.period, r.rater_key, r.score)
                       for r in session.exec(select(PeerRating)).all()
                       if r.ratee_user_id != ALICE)
    assert run(capsys, "member", "forget", ALICE, "--yes")[0] == 0
    with bot.deps.sessions() as session:
        after = session.exec(select(PeerRating)).all()
    # The ratings she gave are untouched (forget cannot find them), those she received are
    # the pseudonym's, and no rater is named anywhere.
    assert sorted((r.ratee_user_id, r.period, r.rater_key, r.score) for r in after
                  if r.ratee_user_id != ALIAS) == given
    assert sorted(r.score for r in after if r.ratee_user_id == ALIAS) == [3, 4, 5]
    # And no privacy code computes a rater's hash, which is the only way to link one.
    for path in ("store/privacy.py", "store/personal_data.py", "bot/services/privacy.py"):
        tree = ast.parse((Path(__file__).parents[2] / path).read_text())
        called = {getattr(n.func, "attr", getattr(n.func, "id", "")) for n in ast.walk(tree)
                  if isinstance(n, ast.Call)}
        assert "rater_key" not in called, path


# ----------------------------------------------------------------- forget

def test_forget_keeps_team_totals_and_leaves_no_trace(bot: Bot,
                                                      capsys) -> None:  # noqa: ANN001
    seed(bot)
    before = team_numbers(bot, capsys, {ALICE: ALIAS})
    untouched = dump(bot)
    code, out, _ = run(capsys, "member", "forget", ALICE)
    assert code == 0 and out.startswith("dry run: forgetting U0ALICE in workspace T0ACME")
    assert f"pseudonym: {ALIAS}" in out and "erased: briefs 1, checkins 1, deliveries 1" in out
    assert dump(bot) == untouched  # a dry run changes nothing

    code, out, _ = run(capsys, "member", "forget", ALICE, "--yes")
    assert code == 0 and out.startswith("forgot U0ALICE in workspace T0ACME")
    assert f"still a rep of team East, as {ALIAS}" in out
    assert team_numbers(bot, capsys, {}) == before  # the same numbers, under the pseudonym

    leftovers = [(t, c, v) for t, c, v in strings(bot)
                 if ALICE in v or any(words in v for words in HER_WORDS)]
    assert leftovers == []
    with bot.deps.sessions() as session:
        assert session.exec(select(Checkin)).all() == []
        assert [b.user_id for b in session.exec(select(Brief)).all()] == []
        alias = session.exec(select(Member).where(Member.user_id == ALIAS)).one()
        assert (alias.name, alias.tz, alias.tz_override, alias.role) == (
            None, None, None, "rep")
        notes = session.exec(select(Activity.user_id, Activity.note)
                             .where(Activity.customer == "Globex")).all()
        forgets = session.exec(select(AuditEntry)
                               .where(AuditEntry.action == "member.forget")).all()
    assert ("U0BO", f"met <@{ALIAS}> there") in notes  # Bo's note keeps its meaning
    assert [(e.actor_user_id, e.target) for e in forgets] == [("pacer", ALIAS)]

    # Idempotent: a second forget finds nothing and changes nothing.
    forgotten = dump(bot)
    code, out, _ = run(capsys, "member", "forget", ALICE, "--yes")
    assert code == 0 and "nothing to do" in out
    assert dump(bot) == forgotten
    code, _, err = run(capsys, "member", "forget", ALIAS, "--yes")
    assert code == 2 and "is a pseudonym" in err


def test_a_forgotten_rep_gets_no_messages(bot: Bot, capsys) -> None:  # noqa: ANN001
    seed(bot)
    run(capsys, "member", "forget", ALICE, "--yes")
    bot.fake.clear()
    # Thursday's reminders, and the hour her open lead (Hooli) has idled 48 hours.
    for at, job in ((NOW + timedelta(days=1), "checkin-reminder"),
                    (NOW + timedelta(hours=49), "alerts")):
        result = jobs.run_job(bot.deps, job, now=at)
        assert result.failed == 0 and not [x for x in result.lines if ALIAS in x], result.lines
    opened = [c.args.get("users") for c in bot.fake.find("conversations.open")]
    assert "U0BO" in opened and ALIAS not in opened and ALICE not in opened
    assert not [c for c in bot.fake.find("users.info") if c.args.get("user") == ALIAS]


def test_someone_forgotten_who_comes_back_and_is_forgotten_again_is_one_pseudonym(
        bot: Bot, capsys) -> None:  # noqa: ANN001
    ok(bot.command("set <@U0ALICE> sales 300k 2026-Q4 first", command="/target", user="U0MEI"))
    ok(bot.command('visit Acme "first visit"'))
    run(capsys, "member", "forget", ALICE, "--yes")
    ok(bot.command('visit Acme "back again"'))  # still in Slack, still on the team
    with bot.deps.sessions() as session:
        teams.add_members(session, workspace_id=WORKSPACE, name="East", user_ids=[ALICE],
                          now=NOW)
    ok(bot.command("set <@U0ALICE> sales 400k 2026-Q4 second", command="/target", user="U0MEI"))
    code, out, _ = run(capsys, "member", "forget", ALICE, "--yes")
    assert code == 0 and f"pseudonym: {ALIAS}" in out
    with bot.deps.sessions() as session:
        members = session.exec(select(Member).where(Member.user_id == ALIAS)).all()
        links = session.exec(select(TeamMember)
                             .where(TeamMember.member_id == members[0].id)).all()
        visits = session.exec(select(Activity.user_id)).all()
    assert len(members) == 1 and len(links) == 1 and visits == [ALIAS, ALIAS]
    code, out, _ = run(capsys, "export", "logs")
    assert "back again" not in out and ALICE not in out
    assert ALICE not in json.dumps([v for _, _, v in strings(bot)])
    with bot.deps.sessions() as session:
        from store.models import TargetRow

        rows = session.exec(select(TargetRow.user_id, TargetRow.value)).all()
    assert [(u, int(v)) for u, v in rows] == [(ALIAS, 400000)]  # the newer one stands


# ----------------------------------------------------------------- retention

def log_at(bot: Bot, at: datetime, text: str, user: str = ALICE) -> None:
    bot.deps.clock.set(at)  # type: ignore[attr-defined]
    ok(bot.command(text, user=user))


def test_retention_settings_from_the_command_line(bot: Bot,
                                                  capsys) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, "retention", "show")
    assert code == 0 and out.startswith("workspace T0ACME: free text kept (no retention)")
    code, _, err = run(capsys, "retention", "notes", "7")
    assert code == 2 and "'7' is not a retention" in err and "at least 14" in err
    assert "pacer retention notes 365" in err
    code, _, err = run(capsys, "retention", "notes", "off", "--team", "East")
    assert code == 2 and "pacer retention notes default --team East" in err
    code, _, err = run(capsys, "retention", "notes", "default")
    assert code == 2 and "'default' is for a team" in err
    code, _, err = run(capsys, "retention", "notes", "30", "--team", "Nope")
    assert code == 2 and "no team named 'Nope'" in err
    code, out, _ = run(capsys, "retention", "notes", "365")
    assert code == 0 and "free text that is due now: 0 row(s)" in out
    code, out, _ = run(capsys, "retention", "notes", "30", "--team", "East")
    assert "  team East: 30 days (its own setting)" in out
    code, out, _ = run(capsys, "retention", "notes", "default", "--team", "East")
    assert "  team East: 365 days (the workspace's)" in out
    code, out, _ = run(capsys, "jobs", "list")
    assert "retention\tavailable\tblanks free text" in out
    assert "team East: daily at 03:00 UTC" in out and "next: Wed 2026-11-18 11:00" in out


def test_the_retention_job_blanks_old_text_and_keeps_the_numbers(bot: Bot,
                                                                 capsys) -> None:  # noqa: ANN001
    with bot.deps.sessions() as session:
        teams.create_team(session, workspace_id=WORKSPACE, name="West", channel_id="C0WEST",
                          managers=["U0LEE"], members=["U0STRAY"], tz="Europe/London",
                          currency="GBP", now=NOW)
    old = NOW - timedelta(days=40)
    log_at(bot, old, 'deal Acme 120k new "old words"')
    log_at(bot, old, 'visit Wayne "old west words"', user="U0STRAY")
    bot.deps.clock.set(old)  # type: ignore[attr-defined]
    ok(bot.command("plan: call Acme | blockers: old blocker", command="/checkin"))
    log_at(bot, NOW - timedelta(days=10), 'visit Acme "recent words"')
    sums = run(capsys, "export", "logs")[1]

    # East keeps 30 days, the workspace (so West) a year.
    run(capsys, "retention", "notes", "365")
    code, out, _ = run(capsys, "retention", "notes", "30", "--team", "East")
    assert "free text that is due now: 2 row(s), activities 1, checkins 1" in out
    code, out, err = run(capsys, "jobs", "run", "retention", "--at", "2026-11-18T03:30:00Z")
    assert code == 0, err  # no Slack token needed: it only writes to the database
    assert "applied workspace T0ACME: free text blanked in 2 row(s) (activities 1, " \
           "checkins 1)" in out
    with bot.deps.sessions() as session:
        notes = session.exec(select(Activity.kind, Activity.customer, Activity.note)
                             .order_by(Activity.id)).all()
        texts = session.exec(select(Activity.text).order_by(Activity.id)).all()
        checkin = session.exec(select(Checkin)).one()
    assert notes == [("deal", "Acme", None), ("visit", "Wayne", "old west words"),
                     ("visit", "Acme", "recent words")]
    assert texts == ["", 'visit Wayne "old west words"', 'visit Acme "recent words"']
    assert (checkin.plan, checkin.blockers) == ("", "")
    # The numbers stay: the logs export differs only in the blanked note.
    assert run(capsys, "export", "logs")[1] == sums.replace("old words", "")

    # Once a day: the same day again is skipped; a changed setting applies at once.
    code, out, _ = run(capsys, "jobs", "run", "retention", "--at", "2026-11-18T09:00:00Z")
    assert "skipped workspace T0ACME: applied already on 2026-11-18" in out
    run(capsys, "retention", "notes", "30")
    code, out, _ = run(capsys, "jobs", "run", "retention", "--at", "2026-11-18T09:01:00Z")
    assert "applied workspace T0ACME: free text blanked in 1 row(s) (activities 1)" in out
    # The scheduler's own tick, the next day: nothing left to blank, nothing changed.
    from bot.jobs.scheduler import Scheduler

    bot.deps.clock.set(datetime(2026, 11, 19, 3, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    before = dump(bot)
    result = Scheduler(bot.deps).tick("retention")
    assert result is not None and result.lines == [
        "applied workspace T0ACME: free text blanked in 0 row(s)"]
    changed = {t for t in before if dump(bot)[t] != before[t]}
    assert changed == {"deliveries"}  # only the ledger's note of the run
