"""nameko service ``notifications``: status changes become alerts, alerts become digests for
their recipients, digests go out over each organisation's channels. Wiring only: each entry point
hands the use case in ``app`` its unit of work (the session), the rules and the clock."""
from __future__ import annotations

import datetime as dt
import time

from nameko.timer import timer
from sqlalchemy.orm import Session

from libs.common.consumers import on_events
from libs.common.db import Database
from libs.common.events import INDICATOR_STATUS_CHANGED, ORG_CHANNEL_CHANGED, REPORTING_DUTY_CHANGED, Envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from services.notifications import app
from services.notifications.metrics import observe_digests, observe_transitions, set_gauges
from services.notifications.models import OutboxEvent
from services.notifications.settings import NotificationSettings
from services.notifications.worker import DeliveryWorker


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class NotificationsService(HealthMixin, PlanMixin):
    name = "notifications"

    # a database made afresh asks organisations for the channels once (``reference_requested``)
    db: Session = Database("notifications", on_open=lambda session, _: app.ask_for_reference(session, _now()))
    metrics = MetricsEndpoint("notifications")
    outbox = OutboxRelay(OutboxEvent, "notifications")
    worker: DeliveryWorker = DeliveryWorker()

    @property
    def settings(self) -> NotificationSettings:
        """Parsed once per container (by the worker's setup), not on every tick and batch."""
        return self.worker.settings

    def _rules(self) -> app.Rules:
        return app.Rules.of(self.plan.atlas, self.settings)

    @on_events("indicators", INDICATOR_STATUS_CHANGED)
    def handle_status_changed(self, bodies: list[dict]) -> None:
        """A batch of status changes, applied in order in one transaction; news starts a round."""
        envelopes = [Envelope.model_validate(body) for body in bodies]
        transitions = app.apply_status_changes(self.db, envelopes, self._rules(), _now())
        observe_transitions(transitions)
        if transitions:
            self.digest_round()

    @on_events("activities", REPORTING_DUTY_CHANGED)
    def handle_duty_changed(self, bodies: list[dict]) -> None:
        """Reporting duties that changed (reminders, 逾期未报送, campaigns): alerts like the others,
        so digests, quiet hours, silences and deliveries apply to them unchanged."""
        envelopes = [Envelope.model_validate(body) for body in bodies]
        transitions = app.apply_duty_changes(self.db, envelopes, self._rules(), _now())
        observe_transitions(transitions)
        if transitions:
            self.digest_round()

    @on_events("organisations", ORG_CHANNEL_CHANGED)
    def handle_channel_changed(self, bodies: list[dict]) -> None:
        app.apply_channel_changes(self.db, [Envelope.model_validate(body).typed_payload() for body in bodies])

    @timer(interval=1)
    def tick(self) -> None:
        """Digest rounds on the clock: group waits end, reminders fall due, working hours begin."""
        if time.monotonic() - self.worker.last_round >= self.settings.alert_round_interval:
            self.digest_round()

    def digest_round(self) -> None:
        """Compose the digests due now and wake the sender."""
        self.worker.last_round = time.monotonic()
        made = app.run_round(self.db, self._rules(), _now())
        observe_digests(made, self.worker.sender.digest_file)
        if made:
            self.worker.wake()

    @timer(interval=15, eager=True)
    def count(self) -> None:
        """Keep the gauges true from start-up on, not only after a transition."""
        gauges = app.read_gauges(self.db, self._rules())
        set_gauges(gauges.firing, gauges.parked)

    @rpc
    def public_key(self) -> str:
        """The key the operator's command seals a channel's target and secret with (base64): only
        this service can open them."""
        return self.worker.key.public_key

    @rpc
    def list_alerts(self, state: str | None = None, indicator: str | None = None) -> list[dict]:
        return [a.model_dump() for a in app.list_alerts(self.db, _now(), state, indicator)]

    @rpc
    def silence(self, spec: dict) -> dict:
        """Silence alerts (by id, indicator and/or recipient org) for a while, with a reason."""
        return app.silence(self.db, spec, self._rules(), _now()).model_dump()

    @rpc
    def list_silences(self, expired: bool = False) -> list[dict]:
        return [s.model_dump() for s in app.list_silences(self.db, _now(), expired)]

    @rpc
    def expire_silence(self, silence_id: int) -> bool:
        return app.expire_silence(self.db, silence_id, _now())

    @rpc
    def list_deliveries(self, failed: bool = False, limit: int = 200) -> list[dict]:
        return [d.model_dump() for d in app.list_deliveries(self.db, failed, limit)]

    @rpc
    def retry_deliveries(self, delivery_ids: list[int] | None = None) -> int:
        """Parked deliveries (all, or these) get a fresh set of attempts now."""
        count = app.retry_deliveries(self.db, _now(), delivery_ids)
        self.worker.wake()
        return count

    @rpc
    def deliver_documents(self, org: str, key: str, title: str, text: str, files: list[dict]) -> dict:
        """Files for ``org`` (each {filename, content_type, content_b64}), sent once per ``key``
        over its channels: mail attaches them, the others get ``text``. Called by the gateway's
        courier with the 调度会 pack."""
        received = app.deliver_documents(self.db, {"org": org, "key": key, "title": title, "text": text,
                                                   "files": files}, self._rules(), _now())
        if received.created:
            self.worker.wake()
        return received.model_dump()

    @rpc
    def documents_received(self, org: str, key: str) -> dict | None:
        """What ``deliver_documents`` holds under ``key`` for ``org``, or None: asked before a pack is made."""
        received = app.documents_received(self.db, org, key)
        return received.model_dump() if received else None
