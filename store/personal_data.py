"""The SQL behind a person's data rights and free-text retention, driven by store/privacy.py's
declaration of what is personal: export everything about a person (`pacer member export`),
forget them (`pacer member forget`), and blank free text older than the setting (`pacer
retention`, the `retention` job). bot/services/privacy.py runs them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Column, Date, UniqueConstraint, and_, delete, exists, func, or_, update
from sqlalchemy import Table as SqlTable
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, select

from store import audit
from store.models import Customer, Member, Team, TeamMember, Workspace
from store.privacy import (
    ERASE,
    PROFILE,
    TABLES,
    Table,
    about,
    blanks,
    has_text,
    in_workspace,
    sql_table,
    string_columns,
)

FORGET_ACTOR = "pacer"  # the audit entry's actor: the CLI has no Slack user


# ----------------------------------------------------------------- export

def rows_about(session: Session, *, workspace_id: str, user_id: str) -> dict[str, list[dict]]:
    """Every row by or about the person, table by table, every column (peer ratings aside)."""
    found: dict[str, list[dict]] = {}
    for name, decl in TABLES.items():
        if not decl.people or not decl.exported:
            continue
        table = sql_table(name)
        rows = session.execute(
            select(table).where(in_workspace(table, workspace_id), about(table, decl, user_id))
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
    # The one full scan first, before any write: SQLite has a single writer, and pysqlite
    # opens the write transaction at the first change, so the writes that follow hold it
    # for a moment rather than for the whole scan. The rows are read again before changing.
    mentions = _mentions(session, workspace_id, user_id)
    _forget_member(session, workspace_id, user_id, pseudonym, out)
    for name, decl in TABLES.items():
        if not decl.people or decl.forget == PROFILE:
            continue
        table = sql_table(name)
        mine = and_(in_workspace(table, workspace_id), about(table, decl, user_id))
        if decl.forget == ERASE:
            out.erased[name] += session.execute(delete(table).where(mine)).rowcount
            continue
        found = session.execute(select(func.count()).select_from(table).where(mine)).scalar()
        if not found:
            continue
        out.rekeyed[name] += found
        if words := (*decl.text, *decl.personal):
            out.blanked[name] += session.execute(
                update(table).where(mine, has_text(table, words))
                .values(**blanks(table, words))).rowcount
        for column in decl.people:
            _drop_collisions(session, table, column, workspace_id, user_id, pseudonym)
            session.execute(update(table).where(in_workspace(table, workspace_id),
                                                table.c[column] == user_id)
                            .values({column: pseudonym}))
    _replace_mentions(session, mentions, user_id, pseudonym, out)
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
    # Admins this person named keep their role; who named them becomes the pseudonym.
    session.execute(update(Member).where(Member.workspace_id == workspace_id,
                                         Member.admin_by == user_id)
                    .values(admin_by=pseudonym))
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


def _mentions(session: Session, workspace_id: str, user_id: str) -> dict[str, list[tuple]]:
    """The rows that hold their id inside a string (a teammate's note "<@U0ALICE>", a ledger
    key), by primary key: found with LIKE, every string column of every table."""
    found: dict[str, list[tuple]] = {}
    for table in SQLModel.metadata.sorted_tables:
        names = string_columns(table)
        people = TABLES.get(table.name, Table()).people
        if not names:
            continue
        keys = list(table.primary_key.columns)
        # A people column that is exactly their id is re-keyed anyway; inside text it counts.
        inside = [and_(table.c[n].contains(user_id, autoescape=True), table.c[n] != user_id)
                  if n in people else table.c[n].contains(user_id, autoescape=True)
                  for n in names]
        rows = session.execute(
            select(*keys).where(in_workspace(table, workspace_id), or_(*inside))).all()
        if rows:
            found[table.name] = [tuple(row) for row in rows]
    return found


def _replace_mentions(session: Session, mentions: dict[str, list[tuple]], user_id: str,
                      pseudonym: str, out: Forgotten) -> None:
    """Their whole id (U0BO, not the start of U0BOB) becomes the pseudonym in those rows."""
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(user_id)}(?![A-Za-z0-9])")
    for name, pks in mentions.items():
        table = sql_table(name)
        keys, names = list(table.primary_key.columns), string_columns(table)
        for pk in pks:
            where = [k == v for k, v in zip(keys, pk, strict=True)]
            row = session.execute(select(*(table.c[n] for n in names)).where(*where)).first()
            changes = {n: pattern.sub(pseudonym, v) for n, v in zip(names, row or (),
                                                                       strict=False)
                       if v and pattern.search(v)}
            if changes:
                session.execute(update(table).where(*where).values(**changes))
                out.mentioned[name] += 1


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


@dataclass(frozen=True)
class Due:
    """Rows of one table whose free text is older than `cutoff`: to be blanked."""

    table: str
    cutoff: date | datetime
    ids: tuple[int, ...]


def old_text(session: Session, *, setting: Retention, now: datetime) -> list[Due]:
    """What the retention setting blanks now, table by table: a read, so the writes that
    follow can go in short batches (SQLite has one writer; a long one would hold /log up)."""
    found = []
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
        for where, days in groups:
            if days is None:
                continue
            cutoff = _cutoff(table.c[decl.aged_by], now - timedelta(days=days))
            ids = session.execute(
                select(table.c.id).where(where, table.c[decl.aged_by] < cutoff,
                                         has_text(table, decl.text))
                .order_by(table.c.id)).scalars().all()
            if ids:
                found.append(Due(name, cutoff, tuple(ids)))
    return found


def _cutoff(aged: Column, moment: datetime) -> date | datetime:
    return moment.date() if isinstance(aged.type, Date) else moment  # DateTime is no Date


def blank_text(session: Session, *, due: Due, ids: Sequence[int]) -> int:
    """Blank the free text of these rows of `due.table`, if still older than its cutoff (an
    edit since the read makes it new again); numbers stay. Rows blanked."""
    decl, table = TABLES[due.table], sql_table(due.table)
    return session.execute(
        update(table).where(table.c.id.in_(list(ids)), table.c[decl.aged_by] < due.cutoff,
                            has_text(table, decl.text))
        .values(**blanks(table, decl.text))).rowcount
