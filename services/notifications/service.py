"""nameko service ``notifications``: turns lagging/missed windows into alerts, resolves them."""
from __future__ import annotations

import datetime as dt
import logging

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from libs.common.consumers import on_event
from libs.common.db import Database
from libs.common.events import INDICATOR_STATUS_CHANGED, Envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.plan.provider import PlanMixin
from libs.common.processed import already_processed, mark_processed
from services.notifications import domain
from services.notifications.metrics import ALERT_TRANSITIONS, ALERTS_FIRING
from services.notifications.models import Alert, Base, ProcessedEvent

log = logging.getLogger(__name__)


def _alert_dict(a: Alert) -> dict:
    return {
        "id": a.id, "indicator": a.indicator, "indicator_name": a.indicator_name, "window": a.window,
        "scope": a.scope, "state": a.state, "status": a.status, "actual": a.actual, "expected": a.expected,
        "target": a.target, "unit": a.unit, "as_of": a.as_of.isoformat() if a.as_of else None,
        "recipients": a.recipients, "times_opened": a.times_opened,
        "opened_at": a.opened_at.isoformat() if a.opened_at else None,
        "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
    }


class NotificationsService(HealthMixin, PlanMixin):
    name = "notifications"

    db: Session = Database(Base, "notifications")
    metrics = MetricsEndpoint("notifications")

    def _office(self) -> str | None:
        return next((o.code for o in self.plan.plan.organisations if o.kind == "office"), None)

    @on_event("indicators", INDICATOR_STATUS_CHANGED)
    def handle_status_changed(self, body: dict) -> None:
        envelope = Envelope.model_validate(body)
        if already_processed(self.db, ProcessedEvent, envelope.event_id):
            return
        change = envelope.typed_payload()
        alert = self.db.scalar(select(Alert).where(
            Alert.indicator == change.indicator, Alert.window == change.window, Alert.scope == change.scope))
        action = domain.decide(alert.state if alert else None, change)
        if action == "open" and alert is None:
            alert = Alert(indicator=change.indicator, window=change.window, scope=change.scope, times_opened=1)
            self.db.add(alert)
        elif action == "open":
            alert.times_opened += 1
            alert.resolved_at = None
        if action in ("open", "update", "resolve"):
            alert.indicator_name, alert.status = change.indicator_name, change.status
            alert.actual, alert.expected, alert.target = change.actual, change.expected, change.target
            alert.unit, alert.as_of = change.unit, change.as_of
            alert.recipients = domain.recipients(change, self._office())
            alert.state = "resolved" if action == "resolve" else "firing"
            if action == "resolve":
                alert.resolved_at = dt.datetime.now(dt.timezone.utc)
        mark_processed(self.db, ProcessedEvent, envelope.event_id)
        self.db.commit()
        if action != "ignore":
            ALERT_TRANSITIONS.labels(action).inc()
            log.info("alert %s: %s %s window %s (%s): actual %s, expected %s of %s %s; to %s", action,
                     change.indicator, change.indicator_name, change.window, change.status, change.actual,
                     change.expected, change.target, change.unit, ", ".join(alert.recipients))
            self.count_firing()

    @timer(interval=30, eager=True)
    def count_firing(self) -> None:
        """Keep the firing-alerts gauge true from start-up on, not only after a transition."""
        ALERTS_FIRING.set(self.db.scalar(select(func.count()).select_from(Alert).where(Alert.state == "firing")) or 0)


    @rpc
    def list_alerts(self, state: str | None = None, indicator: str | None = None) -> list[dict]:
        query = select(Alert).order_by(Alert.indicator, Alert.window, Alert.scope)
        if state:
            query = query.where(Alert.state == state)
        if indicator:
            query = query.where(Alert.indicator == indicator)
        return [_alert_dict(a) for a in self.db.scalars(query)]
