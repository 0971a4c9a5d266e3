"""The delivery outbox: which deliveries are due, who sends them, and what an attempt leaves.

A worker claims due rows (a short write), sends outside any transaction, then records the
attempt. A failed attempt is retried after an exponential backoff with jitter, capped; after
the last attempt the delivery is parked until an operator retries it. Two workers (replicas)
never claim the same row; a claim older than ``CLAIM_SECONDS`` (its worker died) is taken over.
"""
from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.notifications.models import Delivery, DeliveryAttempt, Digest

CLAIM_SECONDS = 300.0  # far beyond one attempt's timeout
ERROR_CHARS = 500


@dataclass(frozen=True)
class RetryPolicy:
    base: float
    cap: float
    attempts: int

    def pause(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds before the attempt after ``attempt`` (1-based): base·2^(n-1), capped, then
        "equal jitter" (between half and all of it), so failed deliveries do not retry in step."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + rand() * ceiling / 2


def claim_due(session: Session, now: dt.datetime, claimant: str, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``claimant`` and commit the claim."""
    claimable = ((Delivery.status == "pending") & (Delivery.next_attempt_at <= now)
                 & (Delivery.claimed_at.is_(None) | (Delivery.claimed_at < now - dt.timedelta(seconds=CLAIM_SECONDS))))
    run = select(Delivery.id).where(claimable).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    # the condition is repeated on the row: PostgreSQL re-checks it after waiting for a
    # concurrent claim of the same row, so only one worker gets it
    ids = sorted(session.scalars(update(Delivery).where(Delivery.id.in_(run.scalar_subquery()), claimable)
                                 .values(claimed_by=claimant, claimed_at=now).returning(Delivery.id)))
    session.commit()
    return ids


@dataclass(frozen=True)
class Job:
    """What a sender needs, read before any network I/O."""

    delivery_id: int
    key: str  # unique per recipient, channel and digest: receivers may de-duplicate on it
    org: str
    channel_key: str
    channel_kind: str
    attempt: int
    digest: dict
    created_at: dt.datetime


def load_job(session: Session, delivery_id: int) -> Job:
    delivery = session.get(Delivery, delivery_id)
    digest = session.get(Digest, delivery.digest_id)
    key = f"kepu-{digest.org}-{digest.kind}-{digest.number}-{digest.uid}-{delivery.channel_key}"
    return Job(delivery.id, key, delivery.org,
               delivery.channel_key, delivery.channel_kind, delivery.attempts + 1,
               {"id": digest.id, "org": digest.org, "kind": digest.kind, "number": digest.number,
                "title": digest.title, "text": digest.text, "items": digest.items,
                "created_at": digest.created_at.isoformat()}, digest.created_at)


Outcome = str  # sent / failed (will retry) / parked


def record_attempt(session: Session, delivery_id: int, started: dt.datetime, seconds: float, error: str | None,
                   now: dt.datetime, policy: RetryPolicy, rand: Callable[[], float] = random.random,
                   final: bool = False) -> Outcome:
    """Record one attempt and move the delivery on: sent, due again later, or parked (after the
    last attempt, or at once when ``final``: no retry can succeed)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise LookupError(f"delivery {delivery_id} is no longer in the database")
    delivery.attempts += 1
    session.add(DeliveryAttempt(delivery_id=delivery_id, number=delivery.attempts, started_at=started,
                                seconds=seconds, ok=error is None, error=(error or "")[:ERROR_CHARS]))
    delivery.claimed_by = delivery.claimed_at = None
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, ""
        return "sent"
    delivery.last_error = error[:ERROR_CHARS]
    if final or delivery.attempts >= policy.attempts:
        delivery.status = "parked"
        return "parked"
    delivery.next_attempt_at = now + dt.timedelta(seconds=policy.pause(delivery.attempts, rand))
    return "failed"


def retry_parked(session: Session, now: dt.datetime, delivery_ids: list[int] | None = None) -> int:
    """Give parked deliveries (all, or these) a fresh set of attempts, due now."""
    query = update(Delivery).where(Delivery.status == "parked")
    if delivery_ids:
        query = query.where(Delivery.id.in_(delivery_ids))
    return session.execute(query.values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None,
                                        claimed_at=None)).rowcount


def parked_by_channel(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Delivery.channel_kind, func.count()).where(Delivery.status == "parked")
                                .group_by(Delivery.channel_kind)).all())


def list_deliveries(session: Session, failed_only: bool = False, limit: int = 200) -> list[dict]:
    """Newest first; ``failed_only``: parked ones and those waiting for a retry."""
    query = select(Delivery, Digest).join(Digest, Digest.id == Delivery.digest_id).order_by(Delivery.id.desc())
    if failed_only:
        query = query.where((Delivery.status == "parked") | ((Delivery.status == "pending") & (Delivery.attempts > 0)))
    return [{
        "delivery_id": d.id, "digest_id": g.id, "org": d.org, "digest": f"{g.kind} #{g.number}", "title": g.title,
        "channel": d.channel_key, "kind": d.channel_kind, "status": d.status, "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.status == "pending" else None,
        "last_error": d.last_error, "created_at": d.created_at.isoformat(),
        "sent_at": d.sent_at.isoformat() if d.sent_at else None,
    } for d, g in session.execute(query.limit(limit))]
