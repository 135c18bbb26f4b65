"""Alembic environment: runs against the engine Pacer hands over (or DATABASE_URL)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.db import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine(
    os.environ.get("DATABASE_URL", "sqlite:///pacer.db")
)

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a table's constraints by rebuilding it (copy, drop, rename), and
        # with foreign keys enforced, dropping a table that other rows refer to fails. Its
        # docs' procedure: enforcement off (only possible outside a transaction, so before
        # it begins), migrate, check the keys, enforcement back on for the pooled connection.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            if connection.dialect.name == "postgresql":
                # Several bot processes may start at once: one migrates, the others wait here.
                connection.execute(text("SELECT pg_advisory_xact_lock(8151)"))
            context.configure(
                connection=connection,
                target_metadata=SQLModel.metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left rows without their parents: {broken}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
