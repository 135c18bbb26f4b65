"""Personal data, table by table, and the SQL that exports it, forgets a person and ages
free text out (`pacer member export|forget`, the `retention` job: bot/privacy.py).

TABLES says, for every table, which columns name a person and which hold free text a person
wrote. tests/test_privacy.py reads SQLModel.metadata and fails while a table, or a column that
looks personal (user ids, `*_by`, names) or like free text (long strings, notes, reasons,
details, ...), is not declared here. A new table is one line, e.g.

    "calibrations": Table(people=("rep_user_id", "manager_user_id"), text=("minutes",),
                          aged_by="held_at"),

people        columns holding a Slack user id: a row is by or about a person when one of them
              is theirs. Forget re-keys them to the person's pseudonym.
text          free text a person wrote (notes, answers, reasons, details): blanked in rows by or
              about a forgotten person, and by the retention job once older than the setting.
aged_by       the time column whose age the retention setting is measured against.
forget        KEEP (default): the rows feed team numbers, so they stay, re-keyed, text blanked;
              ERASE: the rows are only about the person and are deleted; PROFILE: members.
personal      other facts about the person (their profile): emptied on forget.
not_personal  columns that look personal or like free text but are neither (why: a comment).
exported      False: never listed row by row in an export (anonymous peer ratings).

A row's workspace comes from its workspace_id column, else through its foreign keys
(targets -> teams -> workspace), so a line need not say how. A text column's retention is its
team's setting when the row has a team_id, else its workspace's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Column,
    Date,
    String,
    UniqueConstraint,
    and_,
    delete,
    exists,
    func,
    or_,
    update,
)
from sqlalchemy import Table as SqlTable
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, select

from store import audit
from store.models import Customer, Member, Team, TeamMember, Workspace

KEEP, ERASE, PROFILE = "keep", "erase", "profile"


@dataclass(frozen=True)
class Table:
    people: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    aged_by: str | None = None
    forget: str = KEEP
    personal: tuple[str, ...] = ()
    not_personal: tuple[str, ...] = ()
    exported: bool = True


TABLES: dict[str, Table] = {
    # Names of a workspace, a team, a holiday; a team's scoring rules (JSON).
    "workspaces": Table(not_personal=("name",)),
    "teams": Table(not_personal=("name", "rules")),
    "team_holidays": Table(not_personal=("name",)),
    "members": Table(people=("user_id",), forget=PROFILE, personal=(
        "name", "tz", "locale", "tz_override", "locale_override", "profile_checked_at")),
    "team_members": Table(),  # member ids: handled with the members row
    # A customer is a company: its name, as typed, and where the lead came from are the
    # team's business records, not words about a person.
    "activities": Table(people=("user_id",), text=("note", "text"), aged_by="recorded_at",
                        not_personal=("customer",)),
    "customers": Table(people=("owner_user_id",), text=("lost_reason",),
                       aged_by="stage_changed_at", not_personal=("name", "key", "source")),
    "lead_stage_changes": Table(people=("by_user_id",)),
    "checkins": Table(people=("user_id",), text=("key_customers", "plan", "yesterday",
                                                 "blockers"), aged_by="updated_at",
                      forget=ERASE),
    "briefs": Table(people=("user_id",), text=("progress", "wins", "blockers", "next_focus"),
                    aged_by="updated_at", forget=ERASE),
    # `target` is a user id, a team or a customer: rows whose target is the person are about
    # them.
    "audit_log": Table(people=("actor_user_id", "target"), text=("detail",), aged_by="at"),
    "targets": Table(people=("user_id", "set_by"), text=("reason",), aged_by="set_at"),
    "ratings": Table(people=("user_id", "by_user_id"), text=("note",), aged_by="at"),
    # rater_key is a keyed hash that differs per ratee and period: it names nobody, and
    # nothing here ever computes one, so no export or forget can link a rater to a rating.
    "peer_ratings": Table(people=("ratee_user_id",), not_personal=("rater_key",),
                          exported=False),
    # Messages to the person; claimed_by is a process (host:pid), last_error Slack's answer.
    "deliveries": Table(people=("user_id",), forget=ERASE,
                        not_personal=("claimed_by", "last_error")),
}

PSEUDONYM_PREFIX = "anon-"  # never the start of a Slack user id (U…, W…)
FORGET_ACTOR = "pacer"  # the audit entry's actor: the CLI has no Slack user


def pseudonym(key: bytes, *, workspace_id: str, user_id: str) -> str:
    """A forgotten person's stand-in: the same in every row (so their team's numbers still
    add up), not reversible without the key. Its message differs from ratings.rater_key's,
    so the two hashes can never be compared."""
    digest = hmac.new(key, f"pacer-forget:{workspace_id}:{user_id}".encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:20]


def is_pseudonym(user_id: str | None) -> bool:
    return bool(user_id) and user_id.startswith(PSEUDONYM_PREFIX)  # type: ignore[union-attr]


def sql_table(name: str) -> SqlTable:
    return SQLModel.metadata.tables[name]


def in_workspace(table: SqlTable, workspace_id: str) -> ColumnElement[bool]:
    """The rows of `table` in one workspace: by workspace_id, else through a foreign key."""
    if table.name == Workspace.__tablename__:
        return table.c.id == workspace_id
    if "workspace_id" in table.c:
        return table.c.workspace_id == workspace_id
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        return fk.parent.in_(select(fk.column).where(
            in_workspace(fk.column.table, workspace_id)))
    raise LookupError(f"table {table.name} has no workspace_id and no foreign key to one")


def _about(table: SqlTable, decl: Table, user_id: str) -> ColumnElement[bool]:
    return or_(*(table.c[name] == user_id for name in decl.people))


def _blanks(table: SqlTable, names: tuple[str, ...]) -> dict[str, str | None]:
    return {name: None if table.c[name].nullable else "" for name in names}


def _has_text(table: SqlTable, names: tuple[str, ...]) -> ColumnElement[bool]:
    return or_(*(and_(table.c[name].is_not(None), table.c[name] != "") for name in names))


def _is_string(column: Column) -> bool:
    # sqlmodel's AutoString is a TypeDecorator around String (Text is a String too).
    return isinstance(getattr(column.type, "impl", column.type), String)


def string_columns(table: SqlTable) -> list[str]:
    return [c.name for c in table.columns if _is_string(c)]


# ----------------------------------------------------------------- export

def rows_about(session: Session, *, workspace_id: str, user_id: str) -> dict[str, list[dict]]:
    """Every row by or about the person, table by table, every column (peer ratings aside)."""
    found: dict[str, list[dict]] = {}
    for name, decl in TABLES.items():
        if not decl.people or not decl.exported:
            continue
        table = sql_table(name)
        rows = session.execute(
            select(table).where(in_workspace(table, workspace_id), _about(table, decl, user_id))
            .order_by(*table.primary_key.columns)).mappings().all()
        if rows:
            found[name] = [dict(row) for row in rows]
    return found


def memberships(session: Session, *, workspace_id: str, user_id: str) -> list[tuple[Team, bool]]:
    """(team, manages it) for each team the person is on."""
    return list(session.exec(
        select(Team, TeamMember.is_manager)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .join(Member, Member.id == TeamMember.member_id)
        .where(Member.workspace_id == workspace_id, Member.user_id == user_id)
        .order_by(Team.name)).all())


def peer_rated(session: Session, *, workspace_id: str, user_id: str) -> list[tuple[Team, str]]:
    """(team, period) pairs in which someone rated the person: which scorecards to read."""
    table = sql_table("peer_ratings")
    return list(session.exec(
        select(Team, table.c.period).join(table, table.c.team_id == Team.id)
        .where(Team.workspace_id == workspace_id, table.c.ratee_user_id == user_id)
        .group_by(Team.id, table.c.period).order_by(Team.name, table.c.period)).all())


# ----------------------------------------------------------------- forget

@dataclass
class Forgotten:
    """What a forget did (or, rolled back, would do), table by table."""

    pseudonym: str
    erased: Counter[str] = field(default_factory=Counter)
    rekeyed: Counter[str] = field(default_factory=Counter)
    blanked: Counter[str] = field(default_factory=Counter)  # their free text emptied
    mentioned: Counter[str] = field(default_factory=Counter)  # their id inside other text
    rep_of: list[str] = field(default_factory=list)  # teams they stay on, as the pseudonym
    manager_of: list[str] = field(default_factory=list)  # teams they no longer manage
    open_leads: int = 0  # leads they owned that are still open

    @property
    def changed(self) -> bool:
        return any(sum(c.values()) for c in (self.erased, self.rekeyed, self.blanked,
                                             self.mentioned))


def forget(session: Session, *, workspace_id: str, user_id: str, pseudonym: str,
           now: datetime) -> Forgotten:
    """Erase or pseudonymise everything about one person in one workspace, in the caller's
    transaction. Rows that feed team numbers stay under `pseudonym` with their free text
    blanked, rows only about the person go, their id is replaced wherever else it appears,
    and the audit log records that a forget happened (not whom). A second run finds nothing.
    """
    out = Forgotten(pseudonym)
    _forget_member(session, workspace_id, user_id, pseudonym, out)
    for name, decl in TABLES.items():
        if not decl.people or decl.forget == PROFILE:
            continue
        table = sql_table(name)
        mine = and_(in_workspace(table, workspace_id), _about(table, decl, user_id))
        if decl.forget == ERASE:
            out.erased[name] += session.execute(delete(table).where(mine)).rowcount
            continue
        found = session.execute(select(func.count()).select_from(table).where(mine)).scalar()
        if not found:
            continue
        out.rekeyed[name] += found
        if decl.text:
            out.blanked[name] += session.execute(
                update(table).where(mine, _has_text(table, decl.text))
                .values(**_blanks(table, decl.text))).rowcount
        for column in decl.people:
            _drop_collisions(session, table, column, workspace_id, user_id, pseudonym)
            session.execute(update(table).where(in_workspace(table, workspace_id),
                                                table.c[column] == user_id)
                            .values({column: pseudonym}))
    _replace_mentions(session, workspace_id, user_id, pseudonym, out)
    customers = sql_table(Customer.__tablename__)
    out.open_leads = session.execute(
        select(func.count()).select_from(customers)
        .where(customers.c.workspace_id == workspace_id,
               customers.c.owner_user_id == pseudonym,
               customers.c.stage.not_in(("won", "lost")))).scalar() or 0
    if out.changed:
        audit.record(session, workspace_id=workspace_id, actor_user_id=FORGET_ACTOR,
                     action="member.forget", target=pseudonym, outcome="done", now=now,
                     detail=f"erased {sum(out.erased.values())} rows, pseudonymised "
                            f"{sum(out.rekeyed.values())}")
    session.flush()
    for counts in (out.erased, out.rekeyed, out.blanked, out.mentioned):
        counts -= Counter()  # drop the zeros
    return out


def _forget_member(session: Session, workspace_id: str, user_id: str, pseudonym: str,
                   out: Forgotten) -> None:
    """The person's own row: emptied and kept under the pseudonym while they are a rep on a
    team (so its members, targets and averages do not change), else deleted. They manage
    nothing any more."""
    member = session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                               Member.user_id == user_id)).first()
    if member is None:
        return
    earlier = session.exec(select(Member).where(Member.workspace_id == workspace_id,
                                                Member.user_id == pseudonym)).first()
    for link, team_name in session.exec(
            select(TeamMember, Team.name).join(Team, Team.id == TeamMember.team_id)
            .where(TeamMember.member_id == member.id).order_by(Team.name)).all():
        if link.is_manager:
            out.manager_of.append(team_name)
            session.delete(link)
            continue
        out.rep_of.append(team_name)
        if earlier is not None:  # forgotten before, and back since: one pseudonym, one row
            if session.get(TeamMember, (link.team_id, earlier.id)) is None:
                session.add(TeamMember(team_id=link.team_id, member_id=earlier.id))
            session.delete(link)
    session.flush()
    if out.rep_of and earlier is None:
        for name in TABLES["members"].personal:
            setattr(member, name, None)
        member.user_id, member.role = pseudonym, "rep"
        session.add(member)
        out.rekeyed["members"] += 1
    else:
        session.delete(member)
        out.erased["members"] += 1
    session.flush()


def _drop_collisions(session: Session, table: SqlTable, column: str, workspace_id: str,
                     user_id: str, pseudonym: str) -> None:
    """A person forgotten before and back since may have a row the pseudonym already has
    (a target for the same period): the newer one, theirs, replaces it, as it would have."""
    for constraint in table.constraints:
        if not isinstance(constraint, UniqueConstraint) or column not in constraint.columns:
            continue
        twin = table.alias("twin")
        same = [twin.c[c.name] == c for c in constraint.columns if c.name != column]
        session.execute(delete(table).where(
            in_workspace(table, workspace_id), table.c[column] == pseudonym,
            exists().where(twin.c[column] == user_id, *same)))


_ID_CHARS = "A-Za-z0-9"


def _replace_mentions(session: Session, workspace_id: str, user_id: str, pseudonym: str,
                      out: Forgotten) -> None:
    """Their id anywhere else (a teammate's note "<@U0ALICE>", a ledger key): the pseudonym.
    LIKE finds the candidates; the regex replaces only the whole id (U0BO is not U0BOB)."""
    pattern = re.compile(rf"(?<![{_ID_CHARS}]){re.escape(user_id)}(?![{_ID_CHARS}])")
    for table in SQLModel.metadata.sorted_tables:
        names = string_columns(table)
        if not names:
            continue
        keys = list(table.primary_key.columns)
        rows = session.execute(
            select(*keys, *(table.c[n] for n in names))
            .where(in_workspace(table, workspace_id),
                   or_(*(table.c[n].contains(user_id, autoescape=True) for n in names)))
        ).all()
        for row in rows:
            changes = {}
            for name, value in zip(names, row[len(keys):], strict=True):
                if value and pattern.search(value):
                    changes[name] = pattern.sub(pseudonym, value)
            if changes:
                session.execute(update(table).where(
                    *(k == v for k, v in zip(keys, row[:len(keys)], strict=True)))
                    .values(**changes))
                out.mentioned[table.name] += 1


# ----------------------------------------------------------------- retention

MIN_RETENTION_DAYS = 14  # this week's check-ins and briefs feed the Friday report


@dataclass(frozen=True)
class Retention:
    """How long free text is kept: the workspace's days (None: kept) and each team's own
    (None: the workspace's)."""

    workspace_id: str
    days: int | None
    teams: tuple[tuple[int, str, int | None], ...]  # (team id, name, own days)

    def for_team(self, team_id: int) -> int | None:
        own = next((d for i, _, d in self.teams if i == team_id), None)
        return own if own is not None else self.days

    @property
    def active(self) -> bool:
        return self.days is not None or any(d is not None for _, _, d in self.teams)

    @property
    def fingerprint(self) -> str:
        """Changes when the setting does, so the job applies a new setting the same day."""
        data = json.dumps([self.days, [[i, d] for i, _, d in self.teams if d is not None]])
        return hashlib.sha256(data.encode()).hexdigest()[:8]


def workspace_ids(session: Session) -> list[str]:
    return list(session.exec(select(Workspace.id).order_by(Workspace.id)).all())


def retention(session: Session, *, workspace_id: str) -> Retention:
    workspace = session.get(Workspace, workspace_id)
    rows = session.exec(select(Team.id, Team.name, Team.notes_retention_days)
                        .where(Team.workspace_id == workspace_id).order_by(Team.name)).all()
    return Retention(workspace_id, workspace.notes_retention_days if workspace else None,
                     tuple((i, n, d) for i, n, d in rows))


def set_retention(session: Session, *, workspace_id: str, days: int | None,
                  team_id: int | None = None) -> None:
    """Days, or None: for the workspace, keep free text; for a team, follow the workspace."""
    if days is not None and days < MIN_RETENTION_DAYS:
        raise ValueError(f"at least {MIN_RETENTION_DAYS} days")
    row = session.get(Team, team_id) if team_id else session.get(Workspace, workspace_id)
    if row is None:
        raise LookupError(f"no workspace {workspace_id}" if not team_id else "no such team")
    row.notes_retention_days = days
    session.add(row)
    session.flush()


def blank_old_text(session: Session, *, setting: Retention, now: datetime) -> Counter[str]:
    """Blank every declared free-text column older than its retention; numbers stay.
    Idempotent: rows already blank are not touched. Rows blanked, per table."""
    blanked: Counter[str] = Counter()
    for name, decl in TABLES.items():
        if not decl.text:
            continue
        table = sql_table(name)
        groups: list[tuple[ColumnElement[bool], int | None]] = []
        if "team_id" in table.c and any(fk.column.table.name == Team.__tablename__
                                        for fk in table.c.team_id.foreign_keys):
            by_days: dict[int | None, list[int]] = {}
            for team_id, _, _ in setting.teams:
                by_days.setdefault(setting.for_team(team_id), []).append(team_id)
            groups += [(table.c.team_id.in_(ids), days) for days, ids in by_days.items()]
            if table.c.team_id.nullable:
                groups.append((and_(table.c.team_id.is_(None),
                                    in_workspace(table, setting.workspace_id)), setting.days))
        else:
            groups.append((in_workspace(table, setting.workspace_id), setting.days))
        aged = table.c[decl.aged_by]
        for where, days in groups:
            if days is None:
                continue
            cutoff: date | datetime = now - timedelta(days=days)
            if isinstance(aged.type, Date):  # a day, not a moment (DateTime is no Date)
                cutoff = cutoff.date()  # type: ignore[union-attr]
            blanked[name] += session.execute(
                update(table).where(where, aged < cutoff, _has_text(table, decl.text))
                .values(**_blanks(table, decl.text))).rowcount
    session.flush()
    return +blanked
