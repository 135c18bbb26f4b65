"""The start-up migration check reads the head revision from the migration files and the
database's revision with plain SQL: Alembic is imported only when there is an upgrade to do."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from store import db

ROOT = Path(__file__).resolve().parents[2]


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert db.head_revision() == ScriptDirectory(str(db.MIGRATIONS)).get_current_head()


def test_heads_follow_down_revisions_not_file_names(tmp_path: Path) -> None:
    files = {"0001_a.py": ('"0001"', "None"), "0003_c.py": ('"0003"', '"0001"'),
             "0002_b.py": ('"0002"', '"0003"'),  # renumbered: 0002 comes after 0003
             "0004_d.py": ('"0004"', '"0001"'),  # a branch beside 0003 ...
             "0005_merge.py": ('"0005"', '("0002", "0004")')}  # ... merged
    for name, (revision, down) in files.items():
        (tmp_path / name).write_text(f'"""Revises: x"""\nrevision: str = {revision}\n'
                                     f"down_revision = {down}\nbranch_labels = None\n")
    assert db.heads_of(tmp_path) == {"0005"}
    (tmp_path / "0005_merge.py").unlink()
    assert db.heads_of(tmp_path) == {"0002", "0004"}


def test_a_database_at_an_older_revision_needs_the_upgrade(database_url: str) -> None:
    engine = db.make_engine(database_url)
    assert db.current_revisions(engine) == [] and not db.is_current(engine)  # never migrated
    command.upgrade(db.alembic_config(engine), "0021")
    assert db.current_revisions(engine) == ["0021"] and not db.is_current(engine)
    assert db.readiness(engine) == "database is not at the newest migration"
    db.upgrade(engine)
    assert db.current_revisions(engine) == [db.head_revision()] and db.is_current(engine)
    assert db.readiness(engine) is None
    engine.dispose()


def _fresh_process(code: str, database_url: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), database_url],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_a_current_database_starts_without_importing_alembic(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    out = _fresh_process("""
        import os, sys
        os.environ["DATABASE_URL"] = sys.argv[1]
        import bot.app, bot.jobs.registry, bot.jobs.scheduler, bot.slack.server  # as `pacer run`
        from bot.cli import main
        from store import db
        assert main(["db", "upgrade"]) == 0
        engine = db.make_engine(sys.argv[1])
        assert db.readiness(engine) is None
        # Neither is needed to serve one bot token: Alembic, cryptography (OAuth tokens).
        print(sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "cryptography"}))
    """, database_url)
    assert out.splitlines()[-1] == "[]"


def test_an_older_database_is_upgraded_by_a_fresh_process(database_url: str) -> None:
    engine = db.make_engine(database_url)
    command.upgrade(db.alembic_config(engine), "0021")
    out = _fresh_process("""
        import sys
        from store import db
        engine = db.make_engine(sys.argv[1])
        db.upgrade(engine)
        print(db.is_current(engine), "alembic" in sys.modules)
    """, database_url)
    assert out.splitlines()[-1] == "True True"
    assert db.is_current(engine)
    engine.dispose()
