"""An event handler that does not lose messages.

nameko's ``event_handler`` acks a message even when the handler raises, so a failure loses
it. ``on_event`` requeues on the first failure (the broker redelivers it once more) and, if
the redelivered message fails again, parks it on ``kepu.dead-letters`` with the error before
acking: retries are bounded, nothing is dropped, and an operator can inspect and replay.
Handlers must be idempotent, since a message may be delivered more than once.
"""
from __future__ import annotations

import logging
import traceback

from nameko.events import EventHandler

from libs.common.bus import park_message
from libs.common.metrics import EVENTS_HANDLED

log = logging.getLogger(__name__)


class ReliableEventHandler(EventHandler):
    def __init__(self, source_service: str, event_type: str, **kwargs):
        super().__init__(source_service, event_type, requeue_on_error=True, **kwargs)

    def handle_message_processed(self, message, result=None, exc_info=None):
        service = self.container.service_name
        if exc_info is None:
            EVENTS_HANDLED.labels(service, self.event_type, "ok").inc()
            self.queue_consumer.ack_message(message)
            return
        reason = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        if not message.delivery_info.get("redelivered"):
            EVENTS_HANDLED.labels(service, self.event_type, "retried").inc()
            log.warning("%s failed on %s event, will retry once: %s", service, self.event_type, reason)
            self.queue_consumer.requeue_message(message)
            return
        EVENTS_HANDLED.labels(service, self.event_type, "dead_lettered").inc()
        log.error(
            "%s failed twice on %s event %s and parked it on the dead-letter queue: %s. "
            "See it with `kepu dead-letters list`; fix the cause, then `kepu dead-letters replay`.",
            service, self.event_type, message.headers.get("kepu.event_id"), reason,
        )
        park_message(self.container.config["AMQP_URI"], message.payload, dict(message.headers or {}),
                     reason, self.queue.name)
        self.queue_consumer.ack_message(message)


on_event = ReliableEventHandler.decorator
