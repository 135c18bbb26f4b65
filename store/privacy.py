"""Personal data, table by table, and the SQL that exports it, forgets a person and ages
free text out (`pacer member export|forget`, the `retention` job: bot/services/privacy.py).

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
personal      other things of the person's (their profile, a token of theirs): emptied on
              forget.
not_personal  columns that look personal or like free text but are neither (why: a comment).
exported      False: never listed row by row in an export (anonymous peer ratings).
workspace     the column holding the Slack workspace id when it is not `workspace_id` (e.g.
              slack_sdk's installation tables: "team_id"), or None for a table that is not
              per workspace and holds nothing personal. By default a row's workspace comes
              from its workspace_id column, else through its foreign keys (targets -> teams
              -> workspaces), so most lines need not say.

A text column's retention is its team's setting when the row has a team_id (a foreign key to
teams), else its workspace's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Sequence
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
    false,
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
    workspace: str | None = "workspace_id"


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
    # Calibrations and their action items: the rep's answers, the manager's minutes.
    "calibration_pairs": Table(people=("rep_user_id", "manager_user_id", "updated_by")),
    "calibrations": Table(people=("rep_user_id", "manager_user_id", "recorded_by", "moved_by"),
                          text=("progress", "blockers", "support", "next_actions", "notes",
                                "controllable", "uncontrollable", "skip_reason"),
                          aged_by="updated_at"),
    "action_items": Table(people=("rep_user_id", "owner_user_id", "done_by", "created_by"),
                          text=("text", "measure"), aged_by="updated_at"),
    # The review cycle and improvement plans.
    "reviews": Table(people=("user_id", "rated_by", "decided_by"),
                     text=("self_best", "self_improve", "self_support", "strengths",
                           "improvements", "next_plan", "comments", "appeal_reason",
                           "decision_comment"), aged_by="opened_at"),
    "review_events": Table(people=("actor_user_id",), text=("detail",), aged_by="at"),
    "improvement_plans": Table(people=("user_id", "mentor_user_id", "set_by"),
                               text=("targets", "notes"), aged_by="opened_at"),
    "plan_checks": Table(people=("by_user_id",), text=("note",), aged_by="at"),
    # The OAuth install (slack_sdk's tables, tokens sealed by store/installations.py).
    "seen_events": Table(),
    "slack_installations": Table(
        people=("user_id",), personal=("user_token", "user_scopes", "user_refresh_token"),
        workspace="team_id", not_personal=(
            "enterprise_name", "team_name", "bot_user_id", "bot_token", "bot_scopes",
            "bot_refresh_token", "incoming_webhook_url")),
    "slack_bots": Table(workspace="team_id", not_personal=(
        "enterprise_name", "team_name", "bot_user_id", "bot_token", "bot_scopes",
        "bot_refresh_token")),
    "slack_oauth_states": Table(workspace=None),
    # When the person opened and was last shown their App Home: only about them.
    "home_views": Table(people=("user_id",), forget=ERASE),
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
    """The rows of `table` in one workspace: by its workspace column, else through a foreign
    key; none for a table declared not per workspace."""
    decl = TABLES.get(table.name, Table())
    if table.name == Workspace.__tablename__:
        return table.c.id == workspace_id
    if decl.workspace is None:
        return false()
    if decl.workspace in table.c:
        return table.c[decl.workspace] == workspace_id
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
    # The one full scan first, before any write: SQLite has a single writer, and pysqlite
    # opens the write transaction at the first change, so the writes that follow hold it
    # for a moment rather than for the whole scan. The rows are read again before changing.
    mentions = _mentions(session, workspace_id, user_id)
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
        if words := (*decl.text, *decl.personal):
            out.blanked[name] += session.execute(
                update(table).where(mine, _has_text(table, words))
                .values(**_blanks(table, words))).rowcount
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
                                         _has_text(table, decl.text))
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
                            _has_text(table, decl.text))
        .values(**_blanks(table, decl.text))).rowcount
