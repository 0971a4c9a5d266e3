"""Tables of the notifications service.

Alerts (one per indicator, window and scope) become digests (one message per recipient
organisation and round), and each digest becomes deliveries (one per channel), sent by a
worker from this table: an outbox, committed with the round that made the digest. Events the
service publishes (a request for reference data) wait in ``outbox`` for the relay.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import SerialLockMixin, UtcDateTime
from libs.common.outbox import OutboxMixin
from libs.common.processed import ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class Alert(Base):
    """One alert per (indicator, window, scope): opened, reminded, resolved, maybe reopened.

    ``topic`` says what it is about: an indicator window (``indicator``), or a reporting duty from
    activities (``reporting``: a period's report, indicator "reporting", window the period, scope
    the organisation; ``campaign``: an expected campaign, indicator "campaign:<type>", window the
    year). A duty has no figures (0): its ``due`` day and, for a reminder, ``days_left`` instead."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("indicator", "window", "scope", name="uq_alert_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator: Mapped[str] = mapped_column(String(128))
    indicator_name: Mapped[str] = mapped_column(String(300))
    window: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16))  # firing / resolved
    status: Mapped[str] = mapped_column(String(16))  # lagging / missed / the status it recovered to
    severity: Mapped[str] = mapped_column(String(16), default="warning")  # warning (lagging) / critical (missed)
    actual: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="")  # the indicator's: a stock reads differently
    as_of: Mapped[dt.date | None] = mapped_column()
    recipients: Mapped[list] = mapped_column(JSON)
    # a window that closed before monitoring began: recorded, summarised once to the office
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    summarised_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, server_default=func.now())
    changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # status last moved: digest order
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    times_opened: Mapped[int] = mapped_column(Integer, default=1)
    topic: Mapped[str] = mapped_column(String(16), default="indicator", server_default="indicator")
    due: Mapped[dt.date | None] = mapped_column()  # a duty's deadline, or its season's last day
    days_left: Mapped[int | None] = mapped_column(Integer)  # working days to ``due`` (a reminder)
    scope_name: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the organisation's name


class Receipt(Base):
    """What a recipient was last told about an alert: news is an alert whose state or status
    differs from its receipt."""

    __tablename__ = "alert_receipts"
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    org: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    digest_id: Mapped[int] = mapped_column(Integer)


class DigestGroup(Base):
    """A recipient's digest timing (Alertmanager's group): news pending since, last sent."""

    __tablename__ = "digest_groups"
    org: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # alerts / history
    pending_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    sent: Mapped[int] = mapped_column(Integer, default=0)  # digests so far: the next one's number


class Digest(Base):
    """One message to one organisation: its alerts as they stood (``items``, JSON), so that every
    channel and every retry sends the same words."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("org", "kind", "number", name="uq_digest_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # news / reminder / history / documents
    number: Mapped[int] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(16), default="")  # keeps keys unique past a restored database
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    items: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ReceivedDocuments(Base):
    """Documents handed over for delivery under a key (``pack:2025Q2``): the digest they went out
    as. The key is unique per organisation, so a caller that hands them over again (after a
    restart, or a retry of a call whose answer was lost) adds nothing."""

    __tablename__ = "received_documents"
    __table_args__ = (UniqueConstraint("org", "key", name="uq_received_documents"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DigestFile(Base):
    """A file a digest carries (mail attaches it), kept with the digest so that every retry sends
    the same bytes."""

    __tablename__ = "digest_files"
    __table_args__ = (UniqueConstraint("digest_id", "position", name="uq_digest_file"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Delivery(Base):
    """One digest to one channel: the unique key that keeps it from being sent twice."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("digest_id", "channel_key", name="uq_delivery"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id"), index=True)
    org: Mapped[str] = mapped_column(String(64))
    channel_key: Mapped[str] = mapped_column(String(32))  # log / site-alertmanager / channel-<id>
    channel_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending / sent / parked
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class DeliveryAttempt(Base):
    """Every attempt, with its outcome: what `kepu alert deliveries` shows an operator."""

    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    seconds: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")


class Channel(Base):
    """An organisation's channel, copied from organisations' ``org_channel_changed`` events: target
    and secret stay sealed at rest, opened (``keys.ChannelKey``) only to deliver.

    ``clear_target``/``clear_secret``: a copy made before sealing, until the service's start seals
    it (``app.seal_stored_channels``); nothing new is written there."""

    __tablename__ = "channels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    org: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sealed_target: Mapped[str | None] = mapped_column(Text)
    sealed_secret: Mapped[str] = mapped_column(Text, default="")
    clear_target: Mapped[str | None] = mapped_column(Text)
    clear_secret: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200), default="")
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Silence(Base):
    """No digests about matching alerts until ``ends_at``: an alert, an indicator, a recipient
    organisation, or a combination. Silenced alerts stay visible."""

    __tablename__ = "silences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int | None] = mapped_column(Integer)
    indicator: Mapped[str | None] = mapped_column(String(128))
    org: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Monitoring(Base):
    """Since when alerts are monitored (the first status change's date): windows closed before
    it are history."""

    __tablename__ = "monitoring"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    since: Mapped[dt.date] = mapped_column()


class ProcessedEvent(ProcessedEventMixin, Base):
    """Status-change events already applied, marked in the same transaction as the alert."""


class WindowSeen(Base):
    """The latest status-change sequence applied per window: an older change arriving late (from
    another replica) is skipped."""

    __tablename__ = "window_sequences"
    indicator: Mapped[str] = mapped_column(String(128), primary_key=True)
    window: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)


class SerialLock(SerialLockMixin, Base):
    """Replicas apply status changes and compose digests one transaction at a time
    (``libs.common.db.serialise``)."""


class OutboxEvent(OutboxMixin, Base):
    """Events notifications publishes (``reference_requested``), sent by the relay after commit."""
