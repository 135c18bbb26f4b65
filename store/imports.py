"""The SQL behind `pacer import` (CRM rows: deals, payments, leads); exports' is in
store/exports.py.

The importer validates a whole file first (bot/services/importer.py, no SQL); the functions
here apply validated rows inside the caller's one session, so a single bad row rolls
everything back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from store import customers, teams
from store.models import Activity, Customer, Member, Team, TeamMember, Workspace


@dataclass(frozen=True)
class ActivityRow:
    """One validated deals or payments line."""

    line: int
    external_id: str
    day: date
    user_id: str
    customer: str
    amount: Decimal
    new_customer: bool | None = None  # deals; None = let Pacer decide
    note: str | None = None
    amount_due: Decimal | None = None  # payments
    due_on: date | None = None  # payments


@dataclass(frozen=True)
class LeadRow:
    """One validated leads line; None means "not given": keep what Pacer has."""

    line: int
    external_id: str
    customer: str
    owner: str | None = None
    stage: str | None = None
    tier: str | None = None
    source: str | None = None
    created: date | None = None
    lost_reason: str | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # the canonical column name
    message: str


@dataclass
class Outcome:
    new: int = 0
    unchanged: int = 0
    updated: int = 0
    customers_created: int = 0
    moved_to_won: int = 0
    errors: list[RowError] = field(default_factory=list)


# --------------------------------------------------------------------------- teams


class TeamChoiceError(ValueError):
    """No team, or more than one, fits --team/--workspace; the message says which to give."""


def resolve_team(session: Session, *, name: str | None, workspace_id: str | None) -> Team:
    """--team NAME (in --workspace, if given), else the only team there is; TeamChoiceError
    if none or more than one could be meant."""
    if workspace_id and session.get(Workspace, workspace_id) is None:
        raise TeamChoiceError(f"no workspace {workspace_id!r}")
    query = select(Team).order_by(Team.workspace_id, Team.name)
    if workspace_id:
        query = query.where(Team.workspace_id == workspace_id)
    if name:
        query = query.where(Team.name == name)
    found = list(session.exec(query).all())
    if name:
        if not found:
            raise TeamChoiceError(f"no team named {name!r}")
        if len(found) > 1:
            spaces = ", ".join(t.workspace_id for t in found)
            raise TeamChoiceError(f"teams named {name!r} are in several workspaces ({spaces});"
                                  " add --workspace")
        return found[0]
    if not found:
        raise TeamChoiceError("no teams yet: pacer team create NAME --channel C… --manager U…")
    if len(found) > 1:
        names = ", ".join(t.name for t in found)
        raise TeamChoiceError(f"several teams ({names}): add --team NAME")
    return found[0]


def not_on_team(session: Session, *, team: Team, user_ids: Sequence[str],
                now: datetime) -> list[str]:
    """Make sure every named person is a member of the workspace; return those not on the
    team (their rows still count for it, but the importer warns)."""
    for user_id in user_ids:
        teams.ensure_member(session, workspace_id=team.workspace_id, user_id=user_id, now=now)
    on_team = set(session.exec(
        select(Member.user_id).join(TeamMember, TeamMember.member_id == Member.id)
        .where(TeamMember.team_id == team.id, Member.user_id.in_(list(user_ids)))
    ).all())
    return sorted(set(user_ids) - on_team)


# --------------------------------------------------------------------------- deals, payments


def day_start(day: date, tz: str) -> datetime:
    """Local midnight of a date in the team's zone, as aware UTC."""
    return datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the offset


def had_deal_by(session: Session, *, customer_id: int, day: date) -> bool:
    """Whether the customer already had a live deal on or before `day`."""
    return session.exec(
        select(func.count()).select_from(Activity)
        .where(Activity.customer_id == customer_id, Activity.kind == "deal",
               Activity.deleted_at.is_(None), Activity.occurred_on <= day)
    ).one() > 0


def by_sources(session: Session, *, workspace_id: str,
               sources: Sequence[str]) -> dict[str, Activity]:
    """The rows already recorded under these sources, looked up in batches."""
    found: dict[str, Activity] = {}
    for i in range(0, len(sources), 500):
        for row in session.exec(select(Activity).where(
                Activity.workspace_id == workspace_id,
                Activity.source.in_(list(sources[i:i + 500])))).all():
            found[row.source] = row
    return found


def apply_activities(session: Session, *, team: Team, kind: str, source_prefix: str,
                     rows: Sequence[ActivityRow], text: str, now: datetime) -> Outcome:
    """Create or update one Activity per row under `source_prefix + external_id`, linked to
    its customer (created when no customer has exactly that name), oldest first so that
    "new customer" is inferred in the order the deals happened."""
    out = Outcome()
    existing_rows = by_sources(session, workspace_id=team.workspace_id,
                               sources=[source_prefix + r.external_id for r in rows])
    known: dict[str, Customer | None] = {}  # name key -> the team's customer, this run
    for row in sorted(rows, key=lambda r: (r.day, r.line)):
        source = source_prefix + row.external_id
        existing = existing_rows.get(source)
        if existing is not None and existing.team_id != team.id:
            other = session.get(Team, existing.team_id) if existing.team_id else None
            out.errors.append(RowError(
                row.line, "external_id",
                f'"{row.external_id}" was already imported for team '
                f'{other.name if other else "(none)"}; external ids are unique per workspace'))
            continue
        at = day_start(row.day, team.tz)
        key = customers.name_key(row.customer)
        if key not in known:
            known[key] = customers.match(session, team_id=team.id, name=row.customer).exact
        customer = known[key]
        desired: dict[str, object] = {
            "user_id": row.user_id, "kind": kind, "count": 1, "customer": row.customer,
            "amount": row.amount, "note": row.note, "occurred_on": row.day,
            "amount_due": row.amount_due, "due_on": row.due_on, "deleted_at": None,
        }
        if row.new_customer is not None:
            desired["new_customer"] = row.new_customer
        if existing is not None and customer is not None and existing.customer_id == customer.id \
                and all(getattr(existing, k) == v for k, v in desired.items()):
            out.unchanged += 1
            continue
        if customer is None:
            customer = known[key] = customers.create(
                session, workspace_id=team.workspace_id, team_id=team.id, name=row.customer,
                owner_user_id=row.user_id, now=at, stage="won", cause="import")
            out.customers_created += 1
        target = existing
        if target is None:
            if kind == "deal" and row.new_customer is None:
                desired["new_customer"] = not had_deal_by(session, customer_id=customer.id,
                                                          day=row.day)
            # One transaction for the whole file: a concurrent import of the same ids fails
            # on the unique source and rolls back, and a re-run reports them unchanged.
            target = Activity(workspace_id=team.workspace_id, team_id=team.id, source=source,
                              recorded_at=now, text="", occurred_on=row.day, user_id=row.user_id,
                              kind=kind)
            out.new += 1
        else:
            out.updated += 1
        for k, v in desired.items():
            setattr(target, k, v)
        target.customer_id = customer.id
        target.text = f"{text} line {row.line}"[:1000]
        session.add(target)
        session.flush()
        moved = customers.touch(session, customer, kind=kind, at=at, by_user_id=row.user_id,
                                cause=f"import:{target.id}")
        if moved == "won":
            out.moved_to_won += 1
    return out


# --------------------------------------------------------------------------- leads


def apply_leads(session: Session, *, team: Team, rows: Sequence[LeadRow],
                now: datetime) -> Outcome:
    """Upsert customers by (team, external id), else by name; blank optional columns keep
    what Pacer already has."""
    out = Outcome()
    for row in rows:
        customer = session.exec(
            select(Customer).where(Customer.team_id == team.id,
                                   Customer.external_id == row.external_id)).first()
        if customer is None:
            by_name = customers.match(session, team_id=team.id, name=row.customer).exact
            if by_name is not None and by_name.external_id not in (None, row.external_id):
                out.errors.append(RowError(
                    row.line, "customer",
                    f'"{row.customer}" is already in Pacer as CRM id "{by_name.external_id}";'
                    " Pacer keeps one record per customer name"))
                continue
            customer = by_name
        if customer is None:
            created = customers.create(
                session, workspace_id=team.workspace_id, team_id=team.id, name=row.customer,
                owner_user_id=row.owner, now=now, stage=row.stage or "lead",
                source=row.source, tier=row.tier or "standard", cause="import",
                external_id=row.external_id)
            if row.created is not None:
                created.created_at = min(day_start(row.created, team.tz), now)
            if created.stage == "lost":
                created.lost_reason = row.lost_reason
            session.add(created)
            out.new += 1
            out.customers_created += 1
            continue
        changed = False
        if customer.name != row.customer:
            clash = customers.match(session, team_id=team.id, name=row.customer).exact
            if clash is not None and clash.id != customer.id:
                out.errors.append(RowError(
                    row.line, "customer",
                    f'"{row.customer}" is already another customer in Pacer (CRM id '
                    f'"{clash.external_id or "none"}"); Pacer keeps one record per name'))
                continue
            customer.name, customer.key = row.customer, customers.name_key(row.customer)
            changed = True
        for attr, value in (("external_id", row.external_id), ("owner_user_id", row.owner),
                            ("tier", row.tier), ("source", row.source)):
            if value is not None and getattr(customer, attr) != value:
                setattr(customer, attr, value)
                changed = True
        if row.created is not None:
            local = _aware(customer.created_at).astimezone(ZoneInfo(team.tz)).date()
            if local != row.created:
                customer.created_at = min(day_start(row.created, team.tz), now)
                changed = True
        session.add(customer)
        session.flush()
        if row.stage is not None:
            reason = row.lost_reason if row.stage == "lost" else None
            if customers.set_stage(session, customer, stage=row.stage, now=now,
                                   by_user_id=None, cause="import", lost_reason=reason):
                changed = True
        if changed:
            out.updated += 1
        else:
            out.unchanged += 1
    session.flush()
    return out
