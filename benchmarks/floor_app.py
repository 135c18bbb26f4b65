"""The floor for benchmarks/ack_vs_bolt.py: benchmarks/bare_bolt.py's Bolt app whose `/log`
also makes one durable write before its ack, as /log must: one INSERT of the command (its
trigger_id unique, a repeat ignored), committed, then ack(). Nothing else: no parse, no
profile, no confirmation. No app can answer a durable /log faster on this server and
database, so Pacer's /log is judged against this rather than against an ack alone.

SQLite (the default) is set up as Pacer sets it (store/db.py): WAL, the default synchronous
level, one writer at a time within the process; with DATABASE_URL=postgresql://… it writes
there instead (a table of its own, `floor_logs`).

Run: SLACK_SIGNING_SECRET=s SLACK_BOT_TOKEN=xoxb-x SLACK_API_URL=… PORT=… FLOOR_DB=path.db \
     python floor_app.py
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import Ack, App  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from waitress import serve  # noqa: E402

from bot.slack.server import wsgi_app  # noqa: E402

TABLE = """CREATE TABLE IF NOT EXISTS floor_logs (id {id}, workspace_id VARCHAR(32) NOT NULL,
    user_id VARCHAR(32) NOT NULL, text VARCHAR(1000) NOT NULL, source VARCHAR(128) NOT NULL,
    UNIQUE (workspace_id, source))"""
INSERT = ("INSERT INTO floor_logs (workspace_id, user_id, text, source) VALUES ({p}, {p}, {p}, "
          "{p}) ON CONFLICT DO NOTHING")


class Sqlite:
    def __init__(self, path: str) -> None:
        self.path, self.local, self.lock = path, threading.local(), threading.Lock()
        self.connection().execute(TABLE.format(id="INTEGER PRIMARY KEY"))

    def connection(self) -> sqlite3.Connection:
        if not hasattr(self.local, "db"):
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            self.local.db = db
        return self.local.db

    def insert(self, *values: str) -> None:
        db = self.connection()
        with self.lock:  # one writer at a time, as store/db.py queues them
            db.execute(INSERT.format(p="?"), values)
            db.commit()


class Postgres:
    """One connection per server thread (as a pool would hand out), each insert committed."""

    def __init__(self, url: str) -> None:
        self.url, self.local = url, threading.local()
        db = self.connection()
        db.execute(TABLE.format(id="SERIAL PRIMARY KEY"))
        db.commit()

    def connection(self):  # type: ignore[no-untyped-def]
        import psycopg

        if not hasattr(self.local, "db"):
            self.local.db = psycopg.connect(self.url)
        return self.local.db

    def insert(self, *values: str) -> None:
        db = self.connection()
        db.execute(INSERT.format(p="%s"), values)
        db.commit()


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    store = Postgres(url.replace("postgresql+psycopg://", "postgresql://")) if url.startswith(
        "postgres") else Sqlite(os.environ["FLOOR_DB"])
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)

    @app.command("/log")
    def handle_log(ack: Ack, command: dict) -> None:
        store.insert(command.get("team_id", ""), command.get("user_id", ""),
                     command.get("text", "")[:1000], command.get("trigger_id", "")[:128])
        ack()

    # The same WSGI wrapper and waitress settings as bot/server.serve_http.
    serve(wsgi_app(app), host="127.0.0.1", port=int(os.environ["PORT"]), threads=16,
          ident="floor-app")


if __name__ == "__main__":
    main()
