"""Processed-event marks: what makes every consumer idempotent.

A consumer records the event id in the same transaction as the event's effect, so a
redelivered event (lost ack, crash, replay from the dead letters) finds its mark and
changes nothing. Each service has its own ``processed_events`` table, in its own database.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import DateTime, String, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from libs.common.db import chunks


class ProcessedEventMixin:
    """Columns of a service's ``processed_events`` table."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def mark_new(session: Session, model: type, event_ids: Iterable[str]) -> set[str]:
    """Of these event ids, the ones not processed before (nor twice in the list): marked now, in the
    caller's transaction, beside the effect. The others are redeliveries, to skip."""
    wanted = list(dict.fromkeys(event_ids))
    seen: set[str] = set()
    for chunk in chunks(wanted):
        seen |= set(session.scalars(select(model.event_id).where(model.event_id.in_(chunk))))
    new = [event_id for event_id in wanted if event_id not in seen]
    if new:
        session.execute(insert(model), [{"event_id": event_id} for event_id in new])
    return set(new)
