"""Use cases of the notifications service: status changes become alert transitions.

Plain functions over a SQLAlchemy session; the service commits. Replicas consume status
changes side by side, so changes of one window may arrive out of order: each carries the
window's ``sequence``, and one older than what was seen for that window is skipped.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.events import Envelope, IndicatorStatusChanged
from libs.common.processed import mark_new
from services.notifications import domain
from services.notifications.models import Alert, ProcessedEvent, WindowSeen


@dataclass(frozen=True)
class Transition:
    action: domain.Action
    change: IndicatorStatusChanged
    recipients: list[str]


def apply_changes(session: Session, envelopes: list[Envelope], office: str | None) -> list[Transition]:
    """Apply status-change events in order; events seen before or older than the window's last are
    skipped. Returns what happened to alerts (opened, updated, resolved)."""
    new = mark_new(session, ProcessedEvent, [e.event_id for e in envelopes])
    out = []
    for envelope in envelopes:
        if envelope.event_id not in new:
            continue
        new.discard(envelope.event_id)  # the same event twice in one batch counts once
        change = envelope.typed_payload()
        if not _newest(session, change):
            continue
        if (transition := _apply(session, change, office)) is not None:
            out.append(transition)
    return out


def _newest(session: Session, change: IndicatorStatusChanged) -> bool:
    """Record the window's sequence; False if a later change of this window was applied already."""
    if not change.sequence:  # from an indicators service before sequences: order of arrival
        return True
    key = (change.indicator, change.window, change.scope)
    mark = session.get(WindowSeen, key)
    if mark is None:
        session.add(WindowSeen(indicator=key[0], window=key[1], scope=key[2], sequence=change.sequence))
        return True
    if mark.sequence >= change.sequence:
        return False
    mark.sequence = change.sequence
    return True


def _apply(session: Session, change: IndicatorStatusChanged, office: str | None) -> Transition | None:
    alert = session.scalar(select(Alert).where(
        Alert.indicator == change.indicator, Alert.window == change.window, Alert.scope == change.scope))
    action = domain.decide(alert.state if alert else None, change)
    if action == "ignore":
        return None
    if action == "open" and alert is None:
        alert = Alert(indicator=change.indicator, window=change.window, scope=change.scope, times_opened=1)
        session.add(alert)
    elif action == "open":
        alert.times_opened += 1
        alert.resolved_at = None
    alert.indicator_name, alert.status = change.indicator_name, change.status
    alert.actual, alert.expected, alert.target = change.actual, change.expected, change.target
    alert.unit, alert.as_of = change.unit, change.as_of
    alert.recipients = domain.recipients(change, office)
    alert.state = "resolved" if action == "resolve" else "firing"
    if action == "resolve":
        alert.resolved_at = dt.datetime.now(dt.timezone.utc)
    return Transition(action, change, alert.recipients)
