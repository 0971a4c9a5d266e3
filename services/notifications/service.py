"""nameko service ``notifications``: status changes become alerts, alerts become digests for
their recipients, digests go out over each organisation's channels (thin wiring over ``app``)."""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter

from nameko.exceptions import BadRequest
from nameko.timer import timer
from sqlalchemy import select
from sqlalchemy.orm import Session

from libs.common.consumers import on_events
from libs.common.db import Database, serialise
from libs.common.events import CHANNEL_KINDS, INDICATOR_STATUS_CHANGED, ORG_CHANNEL_CHANGED, Envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from libs.common.schedule import WorkingHours
from libs.common.settings import Settings
from services.notifications import app, delivery, digests, schemas
from services.notifications.metrics import (
    ALERT_TRANSITIONS,
    ALERTS_FIRING,
    DELIVERIES_PARKED,
    DIGESTS,
)
from services.notifications.models import Alert, SerialLock
from services.notifications.worker import DeliveryWorker

log = logging.getLogger(__name__)


ACTION_WORDS = {"open": "opened", "resolve": "resolved"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class NotificationsService(HealthMixin, PlanMixin):
    name = "notifications"

    db: Session = Database("notifications")
    metrics = MetricsEndpoint("notifications")
    worker: DeliveryWorker = DeliveryWorker()

    @property
    def settings(self) -> Settings:
        """Parsed once per container (by the worker's setup), not on every tick and batch."""
        return self.worker.settings

    def _office(self) -> str | None:
        return next((o.code for o in self.plan.current.organisations if o.kind == "office"), None)

    def _policy(self, settings: Settings) -> app.Policy:
        return app.Policy(self._office(), settings.alert_routes, settings.alert_lookback_days)

    @on_events("indicators", INDICATOR_STATUS_CHANGED)
    def handle_status_changed(self, bodies: list[dict]) -> None:
        """A batch of status changes, applied in order in one transaction."""
        envelopes = [Envelope.model_validate(body) for body in bodies]
        serialise(self.db, SerialLock, "alerts")
        transitions = app.apply_changes(self.db, envelopes, self._policy(self.settings), _now())
        self.db.commit()
        for t in transitions:
            ALERT_TRANSITIONS.labels(t.action).inc()
            c = t.change
            log.debug("alert %s: %s %s window %s (%s): actual %s, expected %s of %s %s; to %s%s", t.action,
                      c.indicator, c.indicator_name, c.window, c.status, c.actual, c.expected, c.target, c.unit,
                      ", ".join(t.recipients), " (history)" if t.historical else "")
        # one line per batch: the digests (and the log channel) say the rest, in the recipients' words
        if moved := Counter(t.action for t in transitions if t.action != "update"):
            history = sum(1 for t in transitions if t.historical and t.action == "open")
            log.info("alerts: %s%s; digests follow (`kepu alert list`)", ", ".join(
                f"{n} {ACTION_WORDS[action]}" for action, n in sorted(moved.items())),
                f", {history} of them history (closed before monitoring began: one summary to the office)"
                if history else "")
        if transitions:
            self.digest_round()

    @on_events("organisations", ORG_CHANNEL_CHANGED)
    def handle_channel_changed(self, bodies: list[dict]) -> None:
        for body in bodies:
            app.apply_channel(self.db, Envelope.model_validate(body).typed_payload())
        self.db.commit()

    @timer(interval=1)
    def tick(self) -> None:
        """Digest rounds on the clock: group waits end, reminders fall due, working hours begin."""
        if time.monotonic() - self.worker.last_round >= self.settings.alert_round_interval:
            self.digest_round()

    def digest_round(self) -> None:
        """Compose the digests due now (under the lock replicas share) and wake the sender."""
        self.worker.last_round = time.monotonic()
        settings = self.settings
        ctx = app.Round(
            digests.Timing.of_seconds(settings.alert_group_wait, settings.alert_group_interval,
                                      settings.alert_repeat_interval),
            WorkingHours.from_settings(settings.alert_timezone, settings.alert_working_hours,
                                       settings.alert_working_days),
            self._office(), {o.code: o.name for o in self.plan.current.organisations},
            (("log", "log"), *((("alertmanager", "alertmanager"),) if settings.alertmanager_url else ())),
            settings.alert_lookback_days)
        serialise(self.db, SerialLock, "alerts")
        self.db.expire_all()  # another replica may have moved alerts since this session last read them
        made = app.run_round(self.db, _now(), ctx)
        self.db.commit()
        for digest in made:
            DIGESTS.labels(digest.kind).inc()
            log.debug("digest %s #%d for %s: %s", digest.kind, digest.number, digest.org, digest.title)
        if made:  # one line a round: the words are in the digests file and on the channels
            kinds = Counter(d.kind for d in made)
            log.info("digests: %s, to %d organisations; their text is in %s (`kepu alert deliveries`)",
                     ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())), len({d.org for d in made}),
                     self.worker.sender.digest_file)
            self.worker.wake()

    @timer(interval=15, eager=True)
    def count(self) -> None:
        """Keep the gauges true from start-up on, not only after a transition."""
        firing = Counter()
        for severity, recipients in self.db.execute(select(Alert.severity, Alert.recipients)
                                                    .where(Alert.state == "firing")):
            for org in recipients:
                firing[(severity, org)] += 1
        ALERTS_FIRING.clear()
        for (severity, org), n in firing.items():
            ALERTS_FIRING.labels(severity, org).set(n)
        parked = delivery.parked_by_channel(self.db)
        for kind in ("log", *CHANNEL_KINDS):  # every kind, 0 included: "nothing parked" is a reading too
            DELIVERIES_PARKED.labels(kind).set(parked.get(kind, 0))
        self.db.rollback()

    @rpc
    def list_alerts(self, state: str | None = None, indicator: str | None = None) -> list[dict]:
        return schemas.list_alerts(self.db, _now(), state, indicator)

    @rpc
    def silence(self, spec: dict) -> dict:
        """Silence alerts (by id, indicator and/or recipient org) for a while, with a reason."""
        try:
            request = schemas.SilenceRequest.model_validate(spec)
        except ValueError as exc:
            raise BadRequest(schemas.first_error(exc)) from None
        if problem := self._unknown(request):
            raise BadRequest(problem)
        now = _now()
        silence = app.add_silence(self.db, request.stored(now), now)
        self.db.commit()
        log.info("silence %d by %s until %s: %s (%s)", silence.id, silence.created_by, silence.ends_at.isoformat(),
                 schemas.matcher(silence), silence.reason)
        return schemas.SilenceView.of(silence, now).model_dump()

    def _unknown(self, request: schemas.SilenceRequest) -> str | None:
        """A silence naming what does not exist would silence nothing while seeming to work."""
        plan = self.plan.current
        if request.indicator and request.indicator not in {i.code for i in plan.all_indicators()}:
            return f"indicator: the plan has no indicator {request.indicator!r} (see `kepu plan show`)"
        orgs = {o.code for o in plan.organisations} | {org for r in self.settings.alert_routes for org in r.to}
        if request.org and request.org not in orgs:
            return f"org: no alert goes to {request.org!r} (the plan's organisations and KEPU_ALERT_ROUTES)"
        if request.alert_id and self.db.get(Alert, request.alert_id) is None:
            return f"alert_id: no alert {request.alert_id} (see `kepu alert list --json`)"
        return None

    @rpc
    def list_silences(self, expired: bool = False) -> list[dict]:
        return schemas.list_silences(self.db, _now(), expired)

    @rpc
    def expire_silence(self, silence_id: int) -> bool:
        expired = app.expire_silence(self.db, silence_id, _now())
        self.db.commit()
        return expired

    @rpc
    def list_deliveries(self, failed: bool = False, limit: int = 200) -> list[dict]:
        return delivery.list_deliveries(self.db, failed, limit)

    @rpc
    def retry_deliveries(self, delivery_ids: list[int] | None = None) -> int:
        """Parked deliveries (all, or these) get a fresh set of attempts now."""
        count = delivery.retry_parked(self.db, _now(), delivery_ids)
        self.db.commit()
        self.worker.wake()
        return count
