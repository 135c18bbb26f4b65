"""Who is admin and how each became one: an existing database's admins (made by typing /pacer
first) stay and are marked `legacy`; `pacer role` names and revokes admins from the command
line, audited; `pacer role list` says how each became admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from bot.cli import main
from store import db
from store.models import AuditEntry, Member
from tests.conftest import NOW


def run(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, url: str,
        *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_existing_databases_admins_stay_marked_legacy_and_are_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    command.upgrade(db.alembic_config(engine), "0012")  # the schema before issue 14
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO workspaces (id, name, created_at) "
                          "VALUES ('T0ACME', '', :now)"), {"now": NOW})
        for user, role in (("U0FIRST", "admin"), ("U0MEI", "manager"), ("U0BO", "rep")):
            conn.execute(text(
                "INSERT INTO members (workspace_id, user_id, role, joined_at, "
                "profile_checked_at) VALUES ('T0ACME', :user, :role, :now, :now)"),
                {"user": user, "role": role, "now": NOW})
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with sessions() as session:
        rows = {m.user_id: (m.role, m.admin_source, m.profile_checked_at)
                for m in session.exec(select(Member)).all()}
    assert rows == {"U0FIRST": ("admin", "legacy", None), "U0MEI": ("manager", None, None),
                    "U0BO": ("rep", None, None)}  # every Slack role is read again
    code, out, _ = run(capsys, monkeypatch, url, "role", "list")
    assert code == 0
    assert out.splitlines() == [
        "U0FIRST\tadmin\tthe first to use /pacer, before admins came from Slack",
        "U0MEI\tmanager"]


def test_pacer_role_names_and_revokes_admins_from_the_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out, _ = run(capsys, monkeypatch, url, "role", "U0HR", "admin", "--workspace",
                       "T0ACME")
    assert (code, out) == (0, "U0HR is now admin in workspace T0ACME\n")
    code, out, _ = run(capsys, monkeypatch, url, "role", "U0HR", "admin")
    assert out == "U0HR is already admin in workspace T0ACME\n"
    assert run(capsys, monkeypatch, url, "role", "list")[1] == (
        "U0HR\tadmin\tnamed on the command line\n")
    code, out, _ = run(capsys, monkeypatch, url, "role", "U0HR", "manager")
    assert (code, out) == (0, "U0HR is now manager in workspace T0ACME\n")
    engine = db.make_engine(url)
    with db.session_factory(engine)() as session:
        audit = [(e.actor_user_id, e.action, e.target, e.detail)
                 for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert audit == [("cli", "admin.grant", "U0HR", "cli"),
                     ("cli", "admin.revoke", "U0HR", "was cli; now manager")]
