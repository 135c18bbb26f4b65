"""How many times each team's logs have changed, kept by the database itself (triggers of
migration 0025), so what is computed from them can be remembered until they change."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ActivityRevision(SQLModel, table=True):
    """Bumped by a trigger on every insert and delete of a team's activities row, and on every
    update of a column the scoring reads: whatever wrote it (/log, undo, imports, the customer
    link after a /log, personal data rewrites, retention). No foreign key: a deleted team's
    count must not go back to zero while a report remembers it (team ids can be reused)."""

    __tablename__ = "activity_revisions"

    team_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    revision: int = Field(default=0)
