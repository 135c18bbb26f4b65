"""Customers and their leads: one record per customer per team, matched forgivingly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.idle import _DayEnds
from store.models import STAGES, TIERS, Activity, Customer, StageChange, Team

OPEN_STAGES = STAGES[:6]
# Stages a log makes obvious (SPEC §1: "logs advance the stage where it is obvious").
STAGE_FOR_KIND = {"call": "contacted", "visit": "contacted", "email": "contacted",
                  "followup": "contacted", "objection": "contacted", "discovery": "discovery",
                  "report": "discovery", "demo": "demo", "deal": "won", "payment": "won",
                  "receivable": "won"}  # a customer who owes money has signed


def name_key(name: str) -> str:
    """Case- and space-insensitive: 'Acme  Corp', 'acme corp' and 'AcmeCorp' are one."""
    return re.sub(r"\s+", "", name).casefold()


@dataclass(frozen=True)
class Match:
    exact: Customer | None
    candidates: tuple[Customer, ...]  # close names when there is no exact one

    @property
    def ambiguous(self) -> bool:
        return self.exact is None and len(self.candidates) > 0


def match(session: Session, *, team_id: int, name: str, limit: int = 5) -> Match:
    """The customer with this name, else those whose names contain it (or it contains)."""
    key = name_key(name)
    exact = session.exec(_BY_KEY, params={  # type: ignore[call-overload]
        "team_id": team_id, "key": key}).first()
    if exact is not None or not key:
        return Match(exact, ())
    pattern = "%" + key.replace("\\", "").replace("%", "").replace("_", "") + "%"
    close = session.exec(_CLOSE, params={  # type: ignore[call-overload]
        "team_id": team_id, "pattern": pattern, "limit": limit}).all()
    return Match(None, tuple(close))


# Built once: each /log's follow-up looks its customer up by name (and, with no exact one,
# at the close names).
_BY_KEY = select(Customer).where(Customer.team_id == bindparam("team_id"),
                                 Customer.key == bindparam("key"))
_CLOSE = (select(Customer).where(Customer.team_id == bindparam("team_id"),
                                 col(Customer.key).like(bindparam("pattern")))
          .order_by(Customer.name).limit(bindparam("limit")))


def exact_many(session: Session, *, team_id: int, names: list[str]) -> dict[str, Customer]:
    """`match`'s exact answers for several names in one read, by name key (a name with no
    exact customer is not among them): the /log follow-ups queued together read their
    customers at once, before linking any (each `match` after a link flushed it first)."""
    keys = sorted({k for k in map(name_key, names) if k})
    if not keys:
        return {}
    return {customer.key: customer for customer in session.exec(  # type: ignore[call-overload]
        _BY_KEYS, params={"team_id": team_id, "keys": keys}).all()}


_BY_KEYS = select(Customer).where(Customer.team_id == bindparam("team_id"),
                                  col(Customer.key).in_(bindparam("keys", expanding=True)))


def names_in(session: Session, *, team_id: int, text: str) -> list[str]:
    """The names of the team's customers that `text` contains (case and spaces ignored): the
    ones a /log line may name, for its grammar to anchor on, longest first."""
    key = name_key(text)
    rows = session.exec(select(Customer.name, Customer.key).where(Customer.team_id == team_id))
    return sorted((name for name, k in rows if k and k in key), key=len, reverse=True)


def names_and_keys(session: Session, *, team_id: int) -> list[tuple[str, str]]:
    """Every (name, key) of a team's customers: what `names_in` looks through, for /log's
    cache of them (bot/services/log_cache.py)."""
    return [(name, key) for name, key in session.exec(
        select(Customer.name, Customer.key).where(Customer.team_id == team_id))]


def get(session: Session, *, team_id: int, customer_id: int) -> Customer | None:
    customer = session.get(Customer, customer_id)
    return customer if customer is not None and customer.team_id == team_id else None


def create(session: Session, *, workspace_id: str, team_id: int, name: str,
           owner_user_id: str | None, now: datetime, stage: str = "lead",
           source: str | None = None, tier: str = "standard", by_user_id: str | None = None,
           cause: str = "manual", external_id: str | None = None) -> Customer:
    customer = Customer(workspace_id=workspace_id, team_id=team_id, name=name.strip(),
                        key=name_key(name), tier=tier, owner_user_id=owner_user_id,
                        stage=stage, source=source, external_id=external_id, created_at=now,
                        stage_changed_at=now)
    session.add(customer)
    session.flush()
    session.add(StageChange(customer_id=customer.id, from_stage=None, to_stage=stage,
                            by_user_id=by_user_id, cause=cause, at=now))
    return customer


def set_stage(session: Session, customer: Customer, *, stage: str, now: datetime,
              by_user_id: str | None, cause: str = "manual",
              lost_reason: str | None = None) -> bool:
    """Move a lead to a stage, recording the move; False if it was already there."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    if customer.stage == stage and (stage != "lost" or customer.lost_reason == lost_reason):
        return False
    session.add(StageChange(customer_id=customer.id, from_stage=customer.stage, to_stage=stage,
                            by_user_id=by_user_id, cause=cause, at=now))
    customer.stage = stage
    customer.stage_changed_at = now
    customer.lost_reason = lost_reason if stage == "lost" else None
    session.add(customer)
    session.flush()
    return True


def touch(session: Session, customer: Customer, *, kind: str, at: datetime,
          by_user_id: str, cause: str) -> str | None:
    """A log touched this customer: note when, and advance the stage if the log makes it
    obvious (forward only; a won deal revives a lost lead). Returns the new stage if moved."""
    if customer.last_touched_at is None or _aware(customer.last_touched_at) < at:
        customer.last_touched_at = at
        session.add(customer)
    target = STAGE_FOR_KIND.get(kind)
    if target is None or target == customer.stage:
        return None
    if customer.stage == "won" or (customer.stage == "lost" and target != "won"):
        return None
    if target != "won" and STAGES.index(target) < STAGES.index(customer.stage):
        return None
    set_stage(session, customer, stage=target, now=at, by_user_id=by_user_id, cause=cause)
    return target


def has_won_before(session: Session, *, customer_id: int, exclude_activity_id: int) -> bool:
    """Whether this customer already had a deal, to tell new from existing business."""
    return session.exec(
        select(func.count()).select_from(Activity)
        .where(Activity.customer_id == customer_id, Activity.kind == "deal",
               Activity.deleted_at.is_(None), Activity.id != exclude_activity_id)
    ).one() > 0


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the offset


def list_for(session: Session, *, team_id: int, owner_user_id: str | None = None,
             open_only: bool = True, limit: int = 50) -> list[Customer]:
    query = select(Customer).where(Customer.team_id == team_id)
    if owner_user_id:
        query = query.where(Customer.owner_user_id == owner_user_id)
    if open_only:
        query = query.where(Customer.stage.in_(OPEN_STAGES))
    return list(session.exec(
        query.order_by(Customer.last_touched_at.is_(None).desc(),
                       Customer.last_touched_at, Customer.name).limit(limit)
    ).all())


@dataclass(frozen=True)
class Link:
    """What linking a log to its customer did."""

    customer: Customer | None = None
    created: bool = False
    moved_to: str | None = None
    candidates: tuple[Customer, ...] = ()  # when the name is ambiguous: ask which


def link_activity(session: Session, row: Activity, *, team_id: int, touched_at: datetime,
                  customer: Customer | None = None, new: bool = False) -> Link:
    """Tie a log to its customer (found by name, picked, or `new`), touch the lead and move
    its stage; with close names and no exact one, link nothing and return the candidates."""
    created = False
    if customer is None and not new:
        found = match(session, team_id=team_id, name=row.customer or "")
        if found.ambiguous:
            return Link(candidates=found.candidates)
        customer = found.exact
    cause = f"log:{row.id}"
    if customer is None:
        customer, created = _create_unless_made(session, row, team_id=team_id,
                                                touched_at=touched_at, cause=cause)
    row.customer_id = customer.id
    if row.kind == "deal" and row.new_customer is None:
        row.new_customer = not has_won_before(session, customer_id=customer.id,
                                              exclude_activity_id=row.id)
    session.add(row)
    moved = touch(session, customer, kind=row.kind, at=touched_at, by_user_id=row.user_id,
                  cause=cause)
    return Link(customer=customer, created=created, moved_to=moved)


def _create_unless_made(session: Session, row: Activity, *, team_id: int,
                        touched_at: datetime, cause: str) -> tuple[Customer, bool]:
    """The log's new customer, and True; or, when another transaction made one of that name
    in the meantime (two reps' follow-ups settling the same new name at once, in two
    processes or on two follow-up threads), that one, and False. Both read the name as new
    before either wrote; the second INSERT then waits for the first transaction (SQLite's
    one writer, PostgreSQL's row lock) and meets the unique key. The savepoint keeps the
    rest of the transaction: before, the whole batch of follow-ups failed, was settled again
    log by log, and logged an ERROR with a traceback."""
    try:
        with session.begin_nested():
            return create(session, workspace_id=row.workspace_id, team_id=team_id,
                          name=row.customer or "", owner_user_id=row.user_id,
                          now=touched_at, by_user_id=row.user_id, cause=cause), True
    except IntegrityError:
        made = match(session, team_id=team_id, name=row.customer or "").exact
        if made is None:
            raise  # not the name's key: an error of its own
        return made, False


def unlink_undone(session: Session, row: Activity, *, now: datetime,
                  tz: ZoneInfo | None = None) -> None:
    """An undone log takes back what it did to its customer: a stage move it caused (if
    nothing moved the lead since), or the customer itself if the log created it alone, and
    the lead's last touch is its live logs' again (`latest_touch` in `tz`: the undoer's, the
    zone their logs were stamped in; None, the team's)."""
    if row.customer_id is None:
        return
    customer = session.get(Customer, row.customer_id)
    cause = f"log:{row.id}"
    changes = session.exec(select(StageChange).where(StageChange.customer_id == customer.id)
                           .order_by(StageChange.at.desc(), StageChange.id.desc())).all()
    others = session.exec(
        select(func.count()).select_from(Activity)
        .where(Activity.customer_id == customer.id, Activity.id != row.id,
               Activity.deleted_at.is_(None))
    ).one()
    if changes and all(c.cause == cause for c in changes) and not others:
        for change in changes:
            session.delete(change)
        row.customer_id = None
        session.add(row)
        session.flush()
        session.delete(customer)
        return
    if changes and changes[0].cause == cause and changes[0].from_stage:
        set_stage(session, customer, stage=changes[0].from_stage, now=now,
                  by_user_id=row.user_id, cause=f"undo:{cause}")
    # The lead's last touch is its live logs' again: left at the undone log's, the idle-lead
    # alerts (store/idle.py: waiting) counted the lead's wait from a touch that no longer was.
    customer.last_touched_at = latest_touch(session, customer, tz)
    session.add(customer)


def latest_touch(session: Session, customer: Customer,
                 tz: ZoneInfo | None = None) -> datetime | None:
    """When the customer's live logs last touched it, as a log's follow-up dates its touch
    (bot/services/activity.py: _touched_at): when recorded, or for a back-dated log the last
    second of its day in `tz` (None: the team's zone). The latest is among the logs of the
    latest day: a log is recorded on or after its day, so it touched after every earlier day
    had ended. (Another rep's log of that day, stamped in their own zone, may come out hours
    apart; the follow-up does not keep the zone it used.) None: no live log."""
    live = (Activity.customer_id == customer.id, Activity.deleted_at.is_(None))
    day = session.exec(select(func.max(Activity.occurred_on)).where(*live)).one()
    if day is None:
        return None
    zone = tz or ZoneInfo(session.exec(select(Team.tz).where(Team.id == customer.team_id)
                                       ).one())
    recorded = session.exec(select(func.max(Activity.recorded_at))
                            .where(*live, Activity.occurred_on == day)).one()
    return _DayEnds(zone).touch(day, recorded)  # the idle-lead rule's own dating of a touch


def history(session: Session, customer_id: int, limit: int = 20) -> list[StageChange]:
    return list(session.exec(
        select(StageChange).where(StageChange.customer_id == customer_id)
        .order_by(StageChange.at.desc(), StageChange.id.desc()).limit(limit)
    ).all())


def idle_hours(customer: Customer, now: datetime) -> float:
    """Hours since the lead was last touched (or created, if never)."""
    since = _aware(customer.last_touched_at or customer.created_at)
    return (now - since).total_seconds() / 3600


def set_tier(session: Session, customer: Customer, *, tier: str) -> None:
    """Re-tier a lead (key or standard: seed 001 §二's 重点客户)."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}")
    customer.tier = tier
    session.add(customer)


def set_owner(session: Session, customer: Customer, *, owner_user_id: str) -> None:
    """Hand a lead over to another rep."""
    customer.owner_user_id = owner_user_id
    session.add(customer)
