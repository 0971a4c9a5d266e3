"""Event handlers that take events in batches and lose none.

nameko's ``event_handler`` runs one worker per message and acks it even when the handler
raises. ``on_events`` instead runs its own kombu consumer on the subscriber queue: it drains up
to ``KEPU_BATCH_SIZE`` messages (or what arrives within ``KEPU_BATCH_WAIT`` seconds of the
first), hands their bodies to one worker, which applies them in one transaction, and acks them
only after that worker returned, i.e. after its commit. A crash between commit and ack
redelivers the batch, which the handler's processed-event marks absorb.

When a batch fails, its messages are handled one by one, so one bad event cannot hold back the
others: a failing one is retried after a short pause (attempts counted in a header; the
broker's ``redelivered`` flag cannot tell a crash from a failure) and after the last attempt is
parked (through ``kepu.dead-letters``, on ``kepu.parked``) with the error. A message no retry can
help is parked at once: one that is not a JSON object, whose payload fails its schema (pydantic's
``ValidationError``), or whose sender may not send it (``libs.common.bus.senders``; the handler too
may refuse a sender's event with ``SenderRefused`` when it asks for the senders). While the
database cannot be reached, no event is at fault:
the batch is held (unacked) and tried again with growing pauses until the database answers,
spending none of its attempts, so an outage parks nothing.
Each copy is confirmed by the broker before the original is acked.
"""
from __future__ import annotations

import json
import logging
import socket
import time
import traceback
from typing import NamedTuple

import eventlet
from eventlet.event import Event
from kombu import Connection, Consumer, Queue
from nameko.extensions import Entrypoint

from libs.common.bus.dead_letters import ATTEMPTS_HEADER, park_message
from libs.common.bus.publisher import EVENT_ID_HEADER, send_copy
from libs.common.bus.senders import SENDER_HEADER, SenderRefused, event_refusal, role_of
from libs.common.bus.topology import Subscription, require, retry_exchange
from libs.common.metrics import BUS_REFUSED, EVENT_BATCH_SECONDS, EVENT_BATCH_SIZE, EVENTS_HANDLED
from libs.common.settings import settings_from_config

log = logging.getLogger(__name__)

INVALID, REFUSED, UNREACHABLE, FAILED = "invalid", "refused", "unreachable", "failed"  # kinds of Failure


class Failure(NamedTuple):
    """Why a worker failed: ``kind`` says what to do (``_kind``), ``text`` what to tell."""

    kind: str
    text: str
HOLD_PAUSES = (1.0, 2.0, 5.0, 10.0)  # between tries of a batch held while the database is away
RETRY_PAUSES = (0.5, 2.0)  # seconds before the 2nd and 3rd attempt; then the message is parked
RECONNECT_PAUSES = (0.5, 1.0, 2.0, 5.0)  # after losing the broker; the last one repeats


class Undecodable(ValueError):
    """The body is not a JSON object: no retry can help, it is parked at once."""


def decode(message) -> dict:
    if message.content_type not in (None, "", "application/json"):
        raise Undecodable(f"content type {message.content_type!r} is not application/json")
    try:
        body = json.loads(message.body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Undecodable(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Undecodable(f"body is a JSON {type(body).__name__}, not an object")
    return body


class BatchEventHandler(Entrypoint):
    """Calls the decorated method with a list of event bodies (see the module docstring)."""

    def __init__(self, source_service: str | None = None, *event_types: str, queue: str | None = None,
                 senders: bool = False, **kwargs):
        """Either the events ``event_types`` of ``source_service`` (on one queue, named after the
        first, as ``libs.common.bus.topology.SUBSCRIPTIONS`` declares it) or every message of ``queue``.
        With ``senders`` the method also gets each body's broker-validated sender (``senders=``),
        for rules that depend on who sent what (a county's link may send only its own region's)."""
        self.source_service = source_service
        self.event_types = event_types
        self.event_type = event_types[0] if event_types else queue
        self.own_queue = queue
        self.with_senders = senders
        super().__init__(**kwargs)

    def subscription(self) -> Subscription:
        return Subscription(self.source_service, self.event_types[0], self.container.service_name, self.method_name,
                            self.event_types[1:])

    @property
    def queue_name(self) -> str:
        return self.own_queue or self.subscription().queue_name

    def setup(self) -> None:
        settings = settings_from_config(self.container.config)
        self.operators = settings.operator_users
        BUS_REFUSED.labels(self.container.service_name, "event", "-")  # the series exists at 0 (rules, dashboards)
        self.amqp_uri = self.container.config["AMQP_URI"]
        self.max_batch, self.max_wait = settings.batch_size, settings.batch_wait
        self._running = False
        self._thread = None
        # the operator declared it (with its bindings); consuming needs only its name and the right to read
        self.queue = Queue(self.queue_name, durable=True, no_declare=True)
        with Connection(self.amqp_uri, connect_timeout=10) as conn:
            require(conn, queues=[self.queue_name])

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._consume, identifier=f"consumer {self.queue_name}")

    def stop(self) -> None:
        """Finish the batch in hand; what is unacked goes back to the broker with the connection."""
        self._running = False
        if self._thread is not None:
            self._thread.wait()

    def kill(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    # -- the consumer loop ---------------------------------------------------------------

    def _consume(self) -> None:
        failures = 0
        while self._running:
            try:
                with Connection(self.amqp_uri, connect_timeout=10) as conn:
                    conn.ensure_connection(max_retries=1)
                    channel = conn.channel()
                    buffer: list = []
                    with Consumer(channel, queues=[self.queue], on_message=buffer.append,
                                  prefetch_count=2 * self.max_batch):
                        failures = 0
                        while self._running:
                            self._fill(conn, buffer)
                            if buffer:
                                batch, buffer[:] = buffer[:self.max_batch], buffer[self.max_batch:]
                                self._handle(batch)
            except Exception as exc:  # noqa: BLE001 - kombu/amqp connection errors have many bases
                if not _is_connection_error(exc):
                    raise
                self._pause_after(exc, failures)
                failures += 1

    def _pause_after(self, exc: Exception, failures: int) -> None:
        pause = RECONNECT_PAUSES[min(failures, len(RECONNECT_PAUSES) - 1)]
        if self._running:
            log.warning("%s lost the broker while consuming %s (%s); unacked events will be delivered again. "
                        "Reconnecting in %.1fs; check RabbitMQ at KEPU_AMQP_URI if this repeats.",
                        self.container.service_name, self.queue_name, exc, pause)
            eventlet.sleep(pause)

    def _fill(self, conn: Connection, buffer: list) -> None:
        """Drain deliveries into ``buffer`` until a batch is full or ``max_wait`` has passed since
        its first message (or 0.5 s passed with none, to look at ``_running`` again)."""
        deadline = time.monotonic() + self.max_wait if buffer else None
        while self._running and len(buffer) < self.max_batch:
            timeout = 0.5 if deadline is None else deadline - time.monotonic()
            if timeout <= 0:
                return
            try:
                conn.drain_events(timeout=timeout)
            except socket.timeout:
                if buffer:
                    return
                continue
            if buffer and deadline is None:
                deadline = time.monotonic() + self.max_wait

    def _handle(self, batch: list) -> None:
        decoded = []
        for message in batch:
            if why := self._sender_refusal(message):
                BUS_REFUSED.labels(self.container.service_name, "event", message.properties.get("user_id") or "-").inc()
                self._park(message, f"refused: {why}", attempt=1)
                continue
            try:
                decoded.append((message, decode(message)))
            except Undecodable as exc:
                self._park(message, str(exc), attempt=1)
        if not decoded:
            return
        EVENT_BATCH_SIZE.labels(self.container.service_name, self.event_type).observe(len(decoded))
        started = time.monotonic()
        error = self._run_while_reachable(decoded)
        if error is not None and error.kind == UNREACHABLE:  # stopping while the database is away
            self._leave_all_with_broker([m for m, _ in decoded])
            return
        EVENT_BATCH_SECONDS.labels(self.container.service_name, self.event_type).observe(time.monotonic() - started)
        if error is None:
            self._ack([m for m, _ in decoded])
            return
        if len(decoded) > 1:
            log.warning("%s could not apply a batch of %d %s events (%s); applying them one by one",
                        self.container.service_name, len(decoded), self.event_type, error.text)
        for i, (message, body) in enumerate(decoded):
            error = self._run_while_reachable([(message, body)]) if len(decoded) > 1 else error
            if error is not None and error.kind == UNREACHABLE:
                self._leave_all_with_broker([m for m, _ in decoded[i:]])
                return
            if error is None:
                self._ack([message])
            elif error.kind in (INVALID, REFUSED):
                if error.kind == REFUSED:
                    BUS_REFUSED.labels(self.container.service_name, "event",
                                       self._original_sender(message) or "-").inc()
                self._park(message, error.text, attempt=1)
            else:
                self._retry_or_park(message, error.text)

    def _sender_refusal(self, message) -> str | None:
        """Why this message's broker-validated sender may not send into this queue (see
        ``libs.common.bus.senders``), or None."""
        return event_refusal(message.properties.get("user_id"), (message.headers or {}).get(SENDER_HEADER),
                             self.queue_name, self.operators)

    def _original_sender(self, message) -> str | None:
        """Who sent the message this one is or copies: the broker-validated ``user_id``, or on the
        service's own copies (retries), the sender it recorded when it first accepted it."""
        user = message.properties.get("user_id")
        if role_of(user, self.operators) == self.container.service_name:
            return (message.headers or {}).get(SENDER_HEADER)
        return user

    def _run(self, decoded: list[tuple]) -> Failure | None:
        """Run one worker on these (message, body) pairs' bodies and wait for it; why it failed, or
        None on success."""
        outcome = Event()

        def handle_result(worker_ctx, result, exc_info):
            outcome.send(exc_info)
            return result, exc_info

        kwargs = {"senders": [self._original_sender(m) for m, _ in decoded]} if self.with_senders else {}
        self.container.spawn_worker(self, ([body for _, body in decoded],), kwargs, handle_result=handle_result)
        exc_info = outcome.wait()
        if exc_info is None:
            return None
        return Failure(_kind(exc_info[1]), "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip())

    def _run_while_reachable(self, decoded: list[tuple]) -> Failure | None:
        """``_run``, tried again and again while the database cannot be reached."""
        error, held = self._run(decoded), 0
        while error is not None and error.kind == UNREACHABLE and self._running:
            pause = HOLD_PAUSES[min(held, len(HOLD_PAUSES) - 1)]
            log.warning("%s cannot reach its database (%s); holding %d %s events and trying again in %.0fs. "
                        "Check the database at KEPU_DATABASE_URL_TEMPLATE.", self.container.service_name,
                        error.text.splitlines()[0][:200], len(decoded), self.event_type, pause)
            eventlet.sleep(pause)
            error, held = self._run(decoded), held + 1
        return error

    def _ack(self, messages: list) -> None:
        """Ack after the commit. Deliveries come in order on one channel and each batch is a prefix
        of what is unacked, so one ``multiple`` ack covers it."""
        service = self.container.service_name
        messages[-1].channel.basic_ack(delivery_tag=messages[-1].delivery_tag, multiple=True)
        EVENTS_HANDLED.labels(service, self.event_type, "ok").inc(len(messages))

    def _retry_or_park(self, message, reason: str) -> None:
        headers = dict(message.headers or {})
        attempt = int(headers.get(ATTEMPTS_HEADER, 1))
        service, event_id = self.container.service_name, headers.get(EVENT_ID_HEADER)
        if attempt > len(RETRY_PAUSES):
            self._park(message, reason, attempt)
            return
        try:
            EVENTS_HANDLED.labels(service, self.event_type, "retried").inc()
            log.warning("%s failed on %s event %s (attempt %d), retrying: %s",
                        service, self.event_type, event_id, attempt, reason)
            eventlet.sleep(RETRY_PAUSES[attempt - 1])
            send_copy(self.amqp_uri, retry_exchange(service), self.queue_name, message,
                      {**headers, ATTEMPTS_HEADER: attempt + 1, SENDER_HEADER: self._original_sender(message)})
        except Exception:  # the copy could not be made: let the broker keep the original
            self._leave_with_broker(message, event_id)
            return
        message.ack()

    def _park(self, message, reason: str, attempt: int) -> None:
        service, event_id = self.container.service_name, (message.headers or {}).get(EVENT_ID_HEADER)
        try:
            EVENTS_HANDLED.labels(service, self.event_type, "dead_lettered").inc()
            log.error("%s failed %d times on %s event %s and parked it on the dead-letter queue: %s. "
                      "See it with `kepu dead-letters list`; fix the cause, then `kepu dead-letters replay`.",
                      service, attempt, self.event_type, event_id, reason)
            park_message(self.amqp_uri, message, reason, self.queue_name, self._original_sender(message))
        except Exception:
            self._leave_with_broker(message, event_id)
            return
        message.ack()

    def _leave_all_with_broker(self, messages: list) -> None:
        """Unacked, back to the queue as they are (no attempt spent): the service is stopping
        while its database is away."""
        for message in messages:
            message.requeue()
        log.warning("%s stopped while its database was away; %d %s events stay on the queue",
                    self.container.service_name, len(messages), self.event_type)

    def _leave_with_broker(self, message, event_id) -> None:
        log.exception("%s could not retry or park %s event %s; leaving it on the queue",
                      self.container.service_name, self.event_type, event_id)
        message.requeue()


def _is_connection_error(exc: Exception) -> bool:
    from amqp.exceptions import ConnectionError as AmqpConnectionError
    from kombu.exceptions import OperationalError

    return isinstance(exc, (OSError, AmqpConnectionError, OperationalError, ConnectionError))


def _kind(exc: BaseException) -> str:
    """INVALID (the event breaks its schema: no retry can help), REFUSED (its sender may not send
    it: counted as a refusal and parked), UNREACHABLE (the database did not answer) or FAILED
    (another failure, e.g. the plan refusing an amount during a reload: retried, then parked)."""
    from pydantic import ValidationError

    from libs.common.db import database_unreachable

    if database_unreachable(exc):
        return UNREACHABLE
    if isinstance(exc, SenderRefused):
        return REFUSED
    return INVALID if isinstance(exc, ValidationError) else FAILED


on_events = BatchEventHandler.decorator


def on_queue(queue: str):
    """Batches of every message on ``queue`` (declared in ``libs.common.bus.topology.TOPOLOGY``)."""
    return BatchEventHandler.decorator(queue=queue)
