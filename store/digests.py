"""The messages collected for people's daily digests (bot/jobs/digest.py sends them).

Collecting writes the item and marks its ledger row `digested` in one transaction, so a
collected message is never also sent alone. A digest takes the items owed by its time under
its own ledger key before it posts, so a retried digest carries the same items and no item
rides in two digests; the items of a digest that was given up are owed again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from store import deliveries
from store.models import Delivery, DigestItem, max_length


@dataclass(frozen=True)
class Item:
    key: str
    job: str
    period: str
    due_at: datetime
    text: str
    blocks: list[dict]


def collect(session: Session, *, claim: deliveries.Claim, job: str, workspace_id: str,
            user_id: str, period: str, due_at: datetime, now: datetime, text: str,
            blocks: list[dict]) -> bool:
    """Keep the claimed message for `user_id`'s digest. False if the claim was lost (then
    nothing is kept: whoever holds it now sends it)."""
    if not deliveries.mark_digested(session, claim=claim, now=now):
        return False
    session.add(DigestItem(key=claim.key, job=job, workspace_id=workspace_id, user_id=user_id,
                           period=period[:max_length(DigestItem, "period")],
                           due_at=deliveries._utc(due_at),
                           text=text[:max_length(DigestItem, "text")],
                           blocks=json.dumps(blocks, ensure_ascii=False)))
    session.flush()
    return True


def owed(session: Session, *, workspace_id: str, since: datetime) -> dict[str, datetime]:
    """Who has items no digest has taken yet, and the earliest one's due time (one query).
    First, the items (due since `since`) of digests that were given up are owed again: read
    first, so an ordinary tick writes nothing."""
    lost = select(DigestItem.id).join(Delivery, Delivery.key == DigestItem.digest_key).where(
        DigestItem.workspace_id == workspace_id, DigestItem.due_at >= deliveries._utc(since),
        Delivery.status == deliveries.GAVE_UP)
    ids = list(session.exec(lost).all())
    if ids:
        session.execute(update(DigestItem).where(DigestItem.id.in_(ids))
                        .values(digest_key=None))
    rows = session.exec(select(DigestItem.user_id, func.min(DigestItem.due_at)).where(
        DigestItem.workspace_id == workspace_id, DigestItem.digest_key.is_(None))
        .group_by(DigestItem.user_id)).all()
    return {user: deliveries.aware(at) for user, at in rows}


def take(session: Session, *, workspace_id: str, user_id: str, digest_key: str,
         up_to: datetime) -> list[Item]:
    """The items of the digest `digest_key`: those it took before (a retry), and every item
    owed that fell due by `up_to`, taken now; in the order they fell due."""
    session.execute(update(DigestItem).where(
        DigestItem.workspace_id == workspace_id, DigestItem.user_id == user_id,
        DigestItem.digest_key.is_(None), DigestItem.due_at <= deliveries._utc(up_to))
        .values(digest_key=digest_key))
    rows = session.exec(select(DigestItem).where(
        DigestItem.workspace_id == workspace_id, DigestItem.user_id == user_id,
        DigestItem.digest_key == digest_key).order_by(DigestItem.due_at, DigestItem.id)).all()
    return [Item(r.key, r.job, r.period, deliveries.aware(r.due_at), r.text,
                 json.loads(r.blocks or "[]")) for r in rows]
