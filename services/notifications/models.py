"""Tables of the notifications service."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from libs.common.db import SerialLockMixin
from libs.common.processed import ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class Alert(Base):
    """One alert per (indicator, window, scope): opened, reminded, resolved, maybe reopened."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("indicator", "window", "scope", name="uq_alert_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator: Mapped[str] = mapped_column(String(128))
    indicator_name: Mapped[str] = mapped_column(String(300))
    window: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16))  # firing / resolved
    status: Mapped[str] = mapped_column(String(16))  # lagging / missed / the status it recovered to
    actual: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[dt.date | None] = mapped_column()
    recipients: Mapped[list] = mapped_column(JSON)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    times_opened: Mapped[int] = mapped_column(Integer, default=1)


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
    """Replicas apply status changes one transaction at a time (``libs.common.db.serialise``)."""
