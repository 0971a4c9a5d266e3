"""Rows of the notifications service: every query, and the staging of rows, processed-event marks
and outbox events in the caller's transaction (the use cases in ``app`` commit it)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from libs.common.db import serialise
from libs.common.events import REFERENCE_REQUESTED, Envelope
from libs.common.outbox import add_to_outbox
from libs.common.processed import mark_new
from services.notifications.domain.deliveries import CLAIM_SECONDS
from services.notifications.models import (
    Alert,
    Channel,
    Delivery,
    DeliveryAttempt,
    Digest,
    DigestFile,
    DigestGroup,
    Monitoring,
    OutboxEvent,
    ProcessedEvent,
    Receipt,
    ReceivedDocuments,
    SerialLock,
    Silence,
    WindowSeen,
)

AlertKey = tuple[str, str, str]  # indicator, window, scope


def take_turn(session: Session, name: str) -> None:
    """Make this transaction the only one of ``name`` ("alerts", "reference") among replicas."""
    serialise(session, SerialLock, name)


# --- status changes ---------------------------------------------------------------------------

def mark_new_events(session: Session, event_ids: list[str]) -> set[str]:
    """The events of ``event_ids`` not applied before, marked applied in this transaction."""
    return mark_new(session, ProcessedEvent, event_ids)


def record_sequence(session: Session, key: AlertKey, sequence: int) -> bool:
    """Record a window's latest sequence; False if a later change of the window was applied already."""
    mark = session.get(WindowSeen, key)
    if mark is None:
        session.add(WindowSeen(indicator=key[0], window=key[1], scope=key[2], sequence=sequence))
        return True
    if mark.sequence >= sequence:
        return False
    mark.sequence = sequence
    return True


def alert(session: Session, key: AlertKey) -> Alert | None:
    indicator, window, scope = key
    return session.scalar(select(Alert).where(Alert.indicator == indicator, Alert.window == window,
                                              Alert.scope == scope))


def alert_by_id(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def monitoring_since(session: Session, first_as_of: dt.date) -> dt.date:
    """The date monitoring began: the first status change's, recorded once."""
    mark = session.get(Monitoring, 1)
    if mark is None:
        mark = Monitoring(id=1, since=first_as_of)
        session.add(mark)
        session.flush()
    return mark.since


# --- channels and reference data ----------------------------------------------------------------

def channel(session: Session, channel_id: int) -> Channel | None:
    return session.get(Channel, channel_id)


def org_channels(session: Session, org: str) -> list[Channel]:
    """The channels of ``org`` a digest goes to (not removed), in the order they were added."""
    return list(session.scalars(select(Channel).where(Channel.org == org, Channel.removed.is_(False))
                                .order_by(Channel.id)))


def clear_channels(session: Session) -> list[Channel]:
    """Channels copied before sealing, still in clear."""
    return list(session.scalars(select(Channel).where(Channel.clear_target.is_not(None))))


def has_channels(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Channel.id.is_not(None)))))


def reference_requested(session: Session) -> bool:
    """Whether this database asked organisations for its reference data before."""
    return bool(session.scalar(select(exists().where(OutboxEvent.event_type == REFERENCE_REQUESTED))))


def stage_event(session: Session, envelope: Envelope) -> None:
    """An event to publish once this transaction commits (the outbox relay sends it)."""
    add_to_outbox(session, OutboxEvent, envelope)


# --- digest rounds --------------------------------------------------------------------------------

def all_alerts(session: Session) -> list[Alert]:
    return list(session.scalars(select(Alert).order_by(Alert.id)))


def silences_in_force(session: Session, now: dt.datetime) -> list[Silence]:
    """Silences not yet ended (those starting later included: they hold nothing before they start)."""
    return list(session.scalars(select(Silence).where(Silence.ends_at > now)))


def receipts(session: Session) -> dict[tuple[int, str], Receipt]:
    return {(r.alert_id, r.org): r for r in session.scalars(select(Receipt))}


def digest_groups(session: Session) -> dict[tuple[str, str], DigestGroup]:
    return {(g.org, g.kind): g for g in session.scalars(select(DigestGroup))}


def add_group(session: Session, groups: dict[tuple[str, str], DigestGroup], org: str, kind: str) -> DigestGroup:
    group = groups[(org, kind)] = DigestGroup(org=org, kind=kind, sent=0)
    session.add(group)
    return group


def add_receipt(session: Session, receipts_: dict[tuple[int, str], Receipt], alert_id: int, org: str) -> Receipt:
    receipt = receipts_[(alert_id, org)] = Receipt(alert_id=alert_id, org=org)
    session.add(receipt)
    return receipt


def add_digest(session: Session, digest: Digest, channels: list[tuple[str, str]], now: dt.datetime,
               due: dt.datetime | None = None) -> Digest:
    """Store a digest and one pending delivery per (channel key, kind), due at ``due`` (now by default)."""
    session.add(digest)
    session.flush()
    session.add_all(Delivery(digest_id=digest.id, org=digest.org, channel_key=key, channel_kind=kind, status="pending",
                             attempts=0, next_attempt_at=due or now, created_at=now) for key, kind in channels)
    return digest


# --- documents ---------------------------------------------------------------------------------

def received_documents(session: Session, org: str, key: str) -> ReceivedDocuments | None:
    return session.scalar(select(ReceivedDocuments).where(ReceivedDocuments.org == org, ReceivedDocuments.key == key))


def add_received(session: Session, received: ReceivedDocuments, files: list[DigestFile]) -> ReceivedDocuments:
    session.add(received)
    session.add_all(files)
    return received


def digest_files(session: Session, digest_id: int) -> list[DigestFile]:
    return list(session.scalars(select(DigestFile).where(DigestFile.digest_id == digest_id)
                                .order_by(DigestFile.position)))


# --- listings and gauges -----------------------------------------------------------------------

def alerts(session: Session, state: str | None = None, indicator: str | None = None) -> list[Alert]:
    query = select(Alert).order_by(Alert.indicator, Alert.window, Alert.scope)
    if state:
        query = query.where(Alert.state == state)
    if indicator:
        query = query.where(Alert.indicator == indicator)
    return list(session.scalars(query))


def active_silences(session: Session, now: dt.datetime) -> list[Silence]:
    return list(session.scalars(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)))


def silences(session: Session, now: dt.datetime, expired: bool = False) -> list[Silence]:
    """Newest end first; only those in force unless ``expired``."""
    query = select(Silence).order_by(Silence.ends_at.desc())
    if not expired:
        query = query.where(Silence.ends_at > now)
    return list(session.scalars(query))


def silence(session: Session, silence_id: int) -> Silence | None:
    return session.get(Silence, silence_id)


def add_silence(session: Session, silence_: Silence) -> Silence:
    session.add(silence_)
    session.flush()
    return silence_


def firing_alerts(session: Session) -> list[tuple[str, str, list[str]]]:
    """(severity, scope, recipients) of each firing alert."""
    return [tuple(row) for row in session.execute(select(Alert.severity, Alert.scope, Alert.recipients)
                                                  .where(Alert.state == "firing"))]


def parked_by_channel(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Delivery.channel_kind, func.count()).where(Delivery.status == "parked")
                                .group_by(Delivery.channel_kind)).all())


def deliveries(session: Session, failed_only: bool = False, limit: int = 200) -> list[tuple[Delivery, Digest]]:
    """Newest first; ``failed_only``: parked ones and those waiting for a retry."""
    query = select(Delivery, Digest).join(Digest, Digest.id == Delivery.digest_id).order_by(Delivery.id.desc())
    if failed_only:
        query = query.where((Delivery.status == "parked") | ((Delivery.status == "pending") & (Delivery.attempts > 0)))
    return [(d, g) for d, g in session.execute(query.limit(limit))]


# --- the delivery outbox -----------------------------------------------------------------------

def claim_due(session: Session, now: dt.datetime, claimant: str, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``claimant`` (a claim older than ``CLAIM_SECONDS``
    was abandoned by a dead worker and is taken over)."""
    claimable = ((Delivery.status == "pending") & (Delivery.next_attempt_at <= now)
                 & (Delivery.claimed_at.is_(None) | (Delivery.claimed_at < now - dt.timedelta(seconds=CLAIM_SECONDS))))
    run = select(Delivery.id).where(claimable).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    # the condition is repeated on the row: PostgreSQL re-checks it after waiting for a
    # concurrent claim of the same row, so only one worker gets it
    return sorted(session.scalars(update(Delivery).where(Delivery.id.in_(run.scalar_subquery()), claimable)
                                  .values(claimed_by=claimant, claimed_at=now).returning(Delivery.id)))


def delivery(session: Session, delivery_id: int) -> Delivery | None:
    return session.get(Delivery, delivery_id)


def digest(session: Session, digest_id: int) -> Digest | None:
    return session.get(Digest, digest_id)


def add_attempt(session: Session, attempt: DeliveryAttempt) -> None:
    session.add(attempt)


def retry_parked(session: Session, now: dt.datetime, delivery_ids: list[int] | None = None) -> int:
    """Give parked deliveries (all, or these) a fresh set of attempts, due now."""
    query = update(Delivery).where(Delivery.status == "parked")
    if delivery_ids:
        query = query.where(Delivery.id.in_(delivery_ids))
    return session.execute(query.values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None,
                                        claimed_at=None)).rowcount
