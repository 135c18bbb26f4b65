"""The scheduler's ledger: each message a job must deliver once, claimed before it is sent.

A row's life: `claimed` (a process is sending it) → `sent`; or → `failed` (Slack refused; the
next tick re-claims it) → … → `gave_up` (too many attempts, or past the job's catch-up window);
or → `digested` (collected for the person's daily digest instead: store/digests.py).
The unique key (job, recipient, period) is what makes a delivery happen once across restarts
and across several processes on one database: only one INSERT of a key can ever succeed, and
every later change of a row is a compare-and-set on its `attempts` counter, so two processes
can never both take a row over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import Delivery

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
CLAIMED, SENT, FAILED, GAVE_UP = "claimed", "sent", "failed", "gave_up"
DIGESTED = "digested"  # delivered by the person's digest, not on its own
FINAL = (SENT, GAVE_UP, DIGESTED)


@dataclass(frozen=True)
class Claim:
    """A delivery this process now holds: send it, then mark it sent or failed."""

    id: int
    key: str
    attempt: int  # the row's `attempts` when claimed: the version later updates check


def aware(at: datetime | None) -> datetime | None:
    """SQLite hands DateTime(timezone=True) back naive; every stored time is UTC."""
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at


def _utc(at: datetime) -> datetime:
    # SQLite keeps no offset at all: store UTC, or a zone's 09:30 would read back as 09:30 UTC.
    return at.astimezone(UTC)


def get(session: Session, *, key: str) -> Delivery | None:
    return session.exec(select(Delivery).where(Delivery.key == key)).first()


def final_keys(session: Session, *, keys: list[str]) -> set[str]:
    """Which of these keys were sent or given up already (one indexed read, no write)."""
    if not keys:
        return set()
    return set(session.exec(select(Delivery.key).where(Delivery.key.in_(keys),
                                                       Delivery.status.in_(FINAL))).all())


def final_since(session: Session, *, job: str, team_id: int, since: datetime) -> set[str]:
    """A job's keys for one team, due since `since`, sent or given up already (one indexed
    read: a process that starts remembers a team's recent keys at once, not key by key)."""
    return set(session.exec(select(Delivery.key).where(
        Delivery.team_id == team_id, Delivery.job == job, Delivery.due_at >= _utc(since),
        Delivery.status.in_(FINAL))).all())


def final_since_many(session: Session, *, job: str, team_ids: list[int],
                     since: datetime) -> set[str]:
    """`final_since` for several teams in one read (the same index)."""
    return set(session.exec(select(Delivery.key).where(
        Delivery.team_id.in_(team_ids), Delivery.job == job, Delivery.due_at >= _utc(since),
        Delivery.status.in_(FINAL))).all())


def _take_over(session: Session, row: Delivery, *, status: str, now: datetime, owner: str,
               error: str | None = None) -> bool:
    """Compare-and-set: move `row` on only if nobody changed it since it was read."""
    attempts = row.attempts + 1 if status == CLAIMED else row.attempts
    values: dict = {"status": status, "attempts": attempts, "claimed_by": owner[:64],
                    "claimed_at": now}
    if error is not None:
        values["last_error"] = error[:500]
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == row.id, Delivery.status == row.status,
               Delivery.attempts == row.attempts)
        .values(**values))
    session.flush()
    return result.rowcount == 1


def claim(session: Session, *, key: str, job: str, workspace_id: str, team_id: int | None,
          user_id: str | None, period: str, due_at: datetime, now: datetime, owner: str,
          lease: timedelta = LEASE, final_seen: set[str] | None = None) -> Claim | None:
    """Take the right to send `key` now, or None when it is not ours to send.

    Call it in a session of its own and let that session commit before sending: the claim
    holds from the commit. None means it was sent or given up already, or another process
    holds a live claim (one younger than `lease`). A `failed` row, or a `claimed` row whose
    process has held it past the lease (it crashed or hung), is taken over with attempts + 1.
    `final_seen`, a process's memory of keys it saw sent or given up (final for good), spares
    the read for those.
    """
    if final_seen is not None and key in final_seen:
        return None
    now, due_at = _utc(now), _utc(due_at)
    # Most calls find the key sent already (every tick asks again): a read, then, and no
    # write, so an idle tick takes no write lock. The INSERT stays the arbiter of a race.
    existing = get(session, key=key)
    if existing is None:
        row = Delivery(key=key, job=job, workspace_id=workspace_id, team_id=team_id,
                       user_id=user_id, period=period, status=CLAIMED, attempts=1,
                       claimed_by=owner[:64], claimed_at=now, due_at=due_at)
        try:
            with session.begin_nested():  # a unique violation must not spoil the session
                session.add(row)
            return Claim(row.id, key, 1)
        except IntegrityError:
            pass  # another process inserted it first; the rollback took `row` out
        existing = get(session, key=key)
    if existing is None or existing.status in FINAL:
        if existing is not None and final_seen is not None:
            final_seen.add(key)
        return None
    if existing.status == CLAIMED and aware(existing.claimed_at) > now - lease:
        return None  # someone is sending it right now
    if existing.status == CLAIMED:
        log.warning("delivery %s: re-claiming from %s, whose claim of %s went stale", key,
                    existing.claimed_by, aware(existing.claimed_at).isoformat())
    attempt = existing.attempts + 1
    if not _take_over(session, existing, status=CLAIMED, now=now, owner=owner):
        return None  # another process took it over first
    return Claim(existing.id, key, attempt)


def mark_sent(session: Session, *, claim: Claim, channel: str | None, ts: str | None,
              now: datetime) -> bool:
    """Record the post. False (and a warning) if our claim was taken over meanwhile."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == claim.id, Delivery.attempts == claim.attempt,
               Delivery.status == CLAIMED)
        .values(status=SENT, sent_at=_utc(now), channel=channel, ts=ts, last_error=""))
    session.flush()
    if result.rowcount != 1:
        log.warning("delivery %s was sent, but another process took the claim over after "
                    "the lease: it may have been sent twice", claim.key)
        return False
    return True


def mark_failed(session: Session, *, claim: Claim, error: str, now: datetime,
                max_attempts: int = MAX_ATTEMPTS) -> str:
    """Slack (or anything else) refused: `failed`, retried next tick, or `gave_up` after
    `max_attempts`. Returns the new status."""
    status = GAVE_UP if claim.attempt >= max_attempts else FAILED
    session.execute(
        update(Delivery)
        .where(Delivery.id == claim.id, Delivery.attempts == claim.attempt,
               Delivery.status == CLAIMED)
        .values(status=status, last_error=error[:500]))
    session.flush()
    if status == GAVE_UP:
        log.error("delivery %s: gave up after %d attempts: %s", claim.key, claim.attempt, error)
    else:
        log.warning("delivery %s: attempt %d failed, will retry: %s", claim.key,
                    claim.attempt, error)
    return status


def give_up(session: Session, *, key: str, job: str, workspace_id: str, team_id: int | None,
            user_id: str | None, period: str, due_at: datetime, now: datetime, owner: str,
            reason: str, lease: timedelta = LEASE, final_seen: set[str] | None = None) -> bool:
    """Record that `key` will not be sent (missed its catch-up window). True when this call
    recorded it (so it is logged once); False when it was final already or is in flight."""
    if final_seen is not None and key in final_seen:
        return False
    now, due_at = _utc(now), _utc(due_at)
    existing = get(session, key=key)  # usually given up by an earlier tick: read, no write
    recorded = False
    if existing is None:
        row = Delivery(key=key, job=job, workspace_id=workspace_id, team_id=team_id,
                       user_id=user_id, period=period, status=GAVE_UP, attempts=0,
                       claimed_by=owner[:64], claimed_at=now, due_at=due_at,
                       last_error=reason[:500])
        try:
            with session.begin_nested():
                session.add(row)
            recorded = True
        except IntegrityError:
            existing = get(session, key=key)
    if not recorded:
        recorded = existing is not None and (
            existing.status == FAILED
            or (existing.status == CLAIMED and aware(existing.claimed_at) <= now - lease)
        ) and _take_over(session, existing, status=GAVE_UP, now=now, owner=owner, error=reason)
    if final_seen is not None and (recorded or (existing is not None
                                                 and existing.status in FINAL)):
        final_seen.add(key)
    if recorded:
        log.warning("delivery %s: gave up: %s", key, reason)
    return recorded


def last_ts(session: Session, *, workspace_id: str, channel: str) -> str | None:
    """The Slack timestamp of the newest message recorded as sent to `channel`: a message
    sent after it is newer, so a look back through the conversation can stop there."""
    # Slack's ts are "<10 digits>.<6 digits>" until the year 2286: text order is time order.
    return session.exec(select(func.max(Delivery.ts)).where(
        Delivery.workspace_id == workspace_id, Delivery.channel == channel,
        Delivery.status == SENT)).one()


@dataclass(frozen=True)
class Trouble:
    """A job's messages that failed or were given up lately, for the admins' Home."""

    job: str
    failed: int
    gave_up: int
    last_error: str


def troubles(session: Session, *, workspace_id: str, since: datetime) -> list[Trouble]:
    """Per job, the messages last tried since `since` that failed (to be retried) or were
    given up, with the newest error."""
    recent = (Delivery.workspace_id == workspace_id, Delivery.status.in_((FAILED, GAVE_UP)),
              Delivery.claimed_at >= _utc(since))
    counts: dict[str, dict[str, int]] = {}
    for job, status, count in session.exec(
            select(Delivery.job, Delivery.status, func.count()).where(*recent)
            .group_by(Delivery.job, Delivery.status)).all():
        counts.setdefault(job, {})[status] = count
    return [Trouble(job, by.get(FAILED, 0), by.get(GAVE_UP, 0), session.exec(
                select(Delivery.last_error).where(*recent, Delivery.job == job)
                .order_by(Delivery.claimed_at.desc()).limit(1)).first() or "")
            for job, by in sorted(counts.items())]


def dm_channels(session: Session, *, workspace_id: str, user_ids: tuple[str, ...]
                ) -> dict[str, str]:
    """The DM channels earlier deliveries to these people recorded (one query), so a fan-out
    needs no conversations.open for them."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Delivery.user_id, Delivery.channel).where(
            Delivery.workspace_id == workspace_id, Delivery.status == SENT,
            Delivery.user_id.in_(user_ids), Delivery.channel.like("D%"))).all()
    return {user: channel for user, channel in rows if user and channel}


def sent_count(session: Session, *, workspace_id: str, job: str, user_id: str,
               period_like: str, since: datetime) -> int:
    """How many of a job's messages to one person, with periods matching the SQL LIKE
    pattern `period_like`, were sent since `since`."""
    return session.exec(select(func.count()).select_from(Delivery).where(
        Delivery.workspace_id == workspace_id, Delivery.job == job,
        Delivery.user_id == user_id, Delivery.status == SENT,
        Delivery.period.like(period_like), Delivery.sent_at >= since)).one()


def mark_digested(session: Session, *, claim: Claim, now: datetime) -> bool:
    """Record that the claimed message goes out in the person's digest, not on its own
    (store/digests.py collects it in the same transaction). False if the claim was lost."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == claim.id, Delivery.attempts == claim.attempt,
               Delivery.status == CLAIMED)
        .values(status=DIGESTED, sent_at=_utc(now), last_error=""))
    session.flush()
    return result.rowcount == 1
