"""Who: workspaces (a Slack team each), their teams and days off, the people Pacer knows
and who is on (and manages) which team.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models.columns import utc_column

ROLES = ("rep", "manager", "admin")


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    id: str = Field(primary_key=True, max_length=32)  # Slack team id, e.g. T0ACME
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    # Through the OAuth install; an uninstalled workspace keeps its data, and scheduled jobs
    # skip it until it is installed again.
    installed_at: datetime | None = Field(default=None, sa_column=utc_column())
    uninstalled_at: datetime | None = Field(default=None, sa_column=utc_column())
    # Free text older than this many days is blanked (store/privacy.py); None keeps it.
    notes_retention_days: int | None = Field(default=None)


class Team(SQLModel, table=True):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", index=True, max_length=32)
    name: str = Field(max_length=80)
    channel_id: str | None = Field(default=None, max_length=32)
    tz: str = Field(default="UTC", max_length=64)
    currency: str = Field(default="CNY", max_length=8)
    holiday_country: str | None = Field(default=None, max_length=8)  # `holidays` country code
    rules: str = Field(default="{}", max_length=20000)  # JSON overrides of scoring Rules
    # When the scheduled messages go out, local time ("HH:MM"; reps' own zones for the
    # check-in and brief requests, the team's for its report).
    checkin_time: str = Field(default="09:30", max_length=5)
    brief_time: str = Field(default="15:00", max_length=5)
    report_time: str = Field(default="17:00", max_length=5)
    # The Friday summary counts reps who logged nothing; it names them only if the team opts in.
    name_quiet_reps: bool = Field(default=False)
    # Bi-weekly calibrations run from this local date at calibration_time (team zone);
    # None: the first Tuesday on or after the team was created.
    calibration_anchor: date | None = Field(default=None)
    calibration_time: str = Field(default="10:00", max_length=5)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    notes_retention_days: int | None = Field(default=None)  # None: the workspace's setting
    # The language(s) of the team's channel posts (store.teams.CHANNEL_LANGS): "auto" (the
    # first manager's), "en", "zh", "both" (the first manager's first), "zh+en", "en+zh".
    channel_lang: str = Field(default="auto", max_length=8)


class TeamHoliday(SQLModel, table=True):
    """A team's own days off, on top of its country's public holidays."""

    __tablename__ = "team_holidays"

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    day: date = Field(primary_key=True)
    name: str = Field(default="", max_length=100)


class Member(SQLModel, table=True):
    """A person Pacer knows in a workspace; tz and locale come from Slack unless set here."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", max_length=32)
    user_id: str = Field(max_length=32)
    role: str = Field(default="rep", max_length=16)  # rep | manager | admin
    # How an admin became one (store/admins.py: slack, installer, named, cli, legacy), and
    # who made them one (a user id; "slack" or "cli" when no person did).
    admin_source: str | None = Field(default=None, max_length=16)
    admin_by: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=200)
    tz: str | None = Field(default=None, max_length=64)  # from Slack
    locale: str | None = Field(default=None, max_length=16)  # from Slack
    tz_override: str | None = Field(default=None, max_length=64)  # set in Pacer, wins
    locale_override: str | None = Field(default=None, max_length=16)
    profile_checked_at: datetime | None = Field(default=None, sa_column=utc_column())
    joined_at: datetime = Field(sa_column=utc_column(nullable=False))


class TeamMember(SQLModel, table=True):
    """Who is on which team, and who manages it."""

    __tablename__ = "team_members"
    # A person's teams by member: the primary key leads with the team, so without this a
    # lookup of one person's teams (store/teams.py team_for_user, every profile read; the
    # tick's stored profiles, store/rosters.py) scans every team's members.
    __table_args__ = (Index("ix_team_members_member", "member_id"),)

    team_id: int = Field(foreign_key="teams.id", primary_key=True)
    member_id: int = Field(foreign_key="members.id", primary_key=True)
    is_manager: bool = Field(default=False)
