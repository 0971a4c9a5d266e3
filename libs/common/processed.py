"""Processed-event marks: what makes every consumer idempotent.

A consumer records the event id in the same transaction as the event's effect, so a
redelivered event (lost ack, crash, replay from the dead letters) finds its mark and
changes nothing. Each service has its own ``processed_events`` table, in its own database.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column


class ProcessedEventMixin:
    """Columns of a service's ``processed_events`` table."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
