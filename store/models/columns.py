"""What the tables share: aware UTC time columns, and how long a text column is."""

from __future__ import annotations

from sqlalchemy import Column, DateTime
from sqlmodel import SQLModel


def utc_column(**kw: object) -> Column:
    return Column(DateTime(timezone=True), **kw)


def max_length(model: type[SQLModel], field: str) -> int:
    """How many characters a text column holds (PostgreSQL enforces it, SQLite does not)."""
    return model.__table__.columns[field].type.length
