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

with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        # Several bot processes may start at once: one migrates, the others wait here.
        connection.execute(text("SELECT pg_advisory_xact_lock(8151)"))
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
