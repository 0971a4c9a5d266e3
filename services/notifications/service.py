"""nameko service ``notifications``: turns lagging/missed windows into alerts, resolves them."""
from __future__ import annotations

import logging

from nameko.timer import timer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from libs.common.consumers import on_events
from libs.common.db import Database, serialise
from libs.common.events import INDICATOR_STATUS_CHANGED, Envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from services.notifications import app
from services.notifications.metrics import ALERT_TRANSITIONS, ALERTS_FIRING
from services.notifications.models import Alert, Base, SerialLock

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

    @on_events("indicators", INDICATOR_STATUS_CHANGED)
    def handle_status_changed(self, bodies: list[dict]) -> None:
        """A batch of status changes, applied in order in one transaction."""
        envelopes = [Envelope.model_validate(body) for body in bodies]
        serialise(self.db, SerialLock, "alerts")
        transitions = app.apply_changes(self.db, envelopes, self._office())
        self.db.commit()
        for t in transitions:
            c = t.change
            ALERT_TRANSITIONS.labels(t.action).inc()
            log.info("alert %s: %s %s window %s (%s): actual %s, expected %s of %s %s; to %s", t.action,
                     c.indicator, c.indicator_name, c.window, c.status, c.actual, c.expected, c.target, c.unit,
                     ", ".join(t.recipients))
        if transitions:
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
