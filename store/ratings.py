"""Qualitative inputs: managers' satisfaction and compliance ratings, anonymous peer ratings."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.scoring.facts import Qualitative
from store.models import PeerRating, Rating

KINDS = ("satisfaction", "compliance")


def rate(session: Session, *, team_id: int, user_id: str, period: str, kind: str,
         value: float, note: str, by_user_id: str, now: datetime) -> bool:
    """Record (or replace) a manager's rating; True if it replaced an earlier one."""
    if kind not in KINDS:
        raise ValueError(f"unknown rating kind {kind!r}")
    row = session.exec(select(Rating).where(
        Rating.team_id == team_id, Rating.user_id == user_id, Rating.period == period,
        Rating.kind == kind)).first()
    replaced = row is not None
    if row is None:
        row = Rating(team_id=team_id, user_id=user_id, period=period, kind=kind, value=value,
                     note=note, by_user_id=by_user_id, at=now)
    row.value, row.note, row.by_user_id, row.at = value, note, by_user_id, now
    session.add(row)
    session.flush()
    return replaced


def rater_key(secret: bytes, *, team_id: int, ratee: str, period: str, rater: str) -> str:
    """Who rated, unreadably: a keyed hash that differs for every ratee and period, so it
    neither names the rater nor links one rater's ratings of different people."""
    message = f"{team_id}:{ratee}:{period}:{rater}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PeerSaved:
    replaced: bool


def rate_peer(session: Session, *, team_id: int, ratee: str, period: str, key: str,
              score: int) -> PeerSaved:
    """One rating per rater per ratee per period: a second one replaces the first."""
    row = session.exec(select(PeerRating).where(
        PeerRating.team_id == team_id, PeerRating.ratee_user_id == ratee,
        PeerRating.period == period, PeerRating.rater_key == key)).first()
    if row is not None:
        row.score = score
        session.add(row)
        return PeerSaved(replaced=True)
    try:
        with session.begin_nested():  # a double submit races on the unique key
            session.add(PeerRating(team_id=team_id, ratee_user_id=ratee, period=period,
                                   rater_key=key, score=score))
    except IntegrityError:
        return rate_peer(session, team_id=team_id, ratee=ratee, period=period, key=key,
                         score=score)
    return PeerSaved(replaced=False)


def qualitative(session: Session, *, team_id: int, period: str) -> dict[str, Qualitative]:
    """Each rated rep's qualitative inputs for a period (scores, never raters)."""
    found: dict[str, dict] = {}
    for user_id, kind, value in session.exec(
            select(Rating.user_id, Rating.kind, Rating.value)
            .where(Rating.team_id == team_id, Rating.period == period)).all():
        found.setdefault(user_id, {})[
            "satisfaction" if kind == "satisfaction" else "compliance_deductions"] = value
    for ratee, scores in _peer_scores(session, team_id=team_id, period=period):
        found.setdefault(ratee, {})["peer_scores"] = scores
    return {user_id: Qualitative(**values) for user_id, values in found.items()}


def _peer_scores(session: Session, *, team_id: int, period: str):
    """(ratee, scores) pairs; scores sorted so row order reveals nothing."""
    rows = session.exec(
        select(PeerRating.ratee_user_id, PeerRating.score, func.count())
        .where(PeerRating.team_id == team_id, PeerRating.period == period)
        .group_by(PeerRating.ratee_user_id, PeerRating.score)).all()
    by_ratee: dict[str, list[float]] = {}
    for ratee, score, count in rows:
        by_ratee.setdefault(ratee, []).extend([float(score)] * count)
    return [(ratee, tuple(sorted(scores))) for ratee, scores in by_ratee.items()]
