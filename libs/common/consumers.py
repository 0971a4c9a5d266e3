"""An event handler that does not lose messages.

nameko's ``event_handler`` acks a message even when the handler raises, so a failure loses
it. ``on_event`` retries a failed message after a short pause, counting attempts in a header
(the broker's ``redelivered`` flag cannot tell a crash from a failure), and after the last
attempt parks it on ``kepu.dead-letters`` with the error. Each copy is confirmed by the broker
before the original is acked: retries are bounded, nothing is dropped, and an operator can
inspect and replay. Handlers must be idempotent, since a message may be delivered more than once.
"""
from __future__ import annotations

import logging
import traceback

import eventlet
from nameko.events import EventHandler

from libs.common.bus import ATTEMPTS_HEADER, EVENT_ID_HEADER, park_message, send_to_queue
from libs.common.metrics import EVENTS_HANDLED

log = logging.getLogger(__name__)


RETRY_PAUSES = (0.5, 2.0)  # seconds before the 2nd and 3rd attempt; then the message is parked


class ReliableEventHandler(EventHandler):
    """nameko's EventHandler with our own ack/retry/park decision (see the module docstring)."""

    def handle_message_processed(self, message, result=None, exc_info=None):
        service = self.container.service_name
        if exc_info is None:
            EVENTS_HANDLED.labels(service, self.event_type, "ok").inc()
            self.queue_consumer.ack_message(message)
            return
        amqp_uri = self.container.config["AMQP_URI"]
        reason = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        headers = dict(message.headers or {})
        attempt = int(headers.get(ATTEMPTS_HEADER, 1))
        event_id = headers.get(EVENT_ID_HEADER)
        try:
            if attempt <= len(RETRY_PAUSES):
                EVENTS_HANDLED.labels(service, self.event_type, "retried").inc()
                log.warning("%s failed on %s event %s (attempt %d), retrying: %s",
                            service, self.event_type, event_id, attempt, reason)
                eventlet.sleep(RETRY_PAUSES[attempt - 1])
                send_to_queue(amqp_uri, self.queue.name, message, {**headers, ATTEMPTS_HEADER: attempt + 1})
            else:
                EVENTS_HANDLED.labels(service, self.event_type, "dead_lettered").inc()
                log.error("%s failed %d times on %s event %s and parked it on the dead-letter queue: %s. "
                          "See it with `kepu dead-letters list`; fix the cause, then `kepu dead-letters replay`.",
                          service, attempt, self.event_type, event_id, reason)
                park_message(amqp_uri, message, reason, self.queue.name)
        except Exception:  # the copy could not be made: let the broker keep the original
            log.exception("%s could not retry or park %s event %s; leaving it on the queue",
                          service, self.event_type, event_id)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)


on_event = ReliableEventHandler.decorator
