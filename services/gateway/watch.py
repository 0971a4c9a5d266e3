"""Status changes for WatchStatusChanges streams: one bus consumer, fanned out to the streams.

The gateway binds its own exclusive, auto-deleted queue to the indicators' events, so it sees
every change without taking any from the notifications service. The consumer is one thread;
each open stream is a coroutine on the gRPC server's event loop with a bounded ``asyncio.Queue``
of its own, filled through the loop (a stream that does not read loses its oldest changes,
not the gateway's memory).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid

from kombu import Connection, Consumer, Queue

from libs.common.bus.senders import OPERATOR, role_of
from libs.common.bus.topology import event_exchange
from libs.common.events import INDICATOR_STATUS_CHANGED, Envelope
from libs.common.metrics import BUS_REFUSED

log = logging.getLogger(__name__)
PER_STREAM_BUFFER = 1000


class TooManyWatchers(Exception):
    pass


class StatusChangeHub:
    def __init__(self, amqp_uri: str, max_watchers: int, operators: frozenset[str] = frozenset({OPERATOR})):
        self.amqp_uri = amqp_uri
        self.operators = operators
        self.max_watchers = max_watchers
        self._streams: dict[asyncio.Queue, asyncio.AbstractEventLoop] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    async def subscribe(self, timeout: float = 10.0) -> asyncio.Queue:
        """A queue of status-change payloads (dicts); the bus queue exists before this returns."""
        with self._lock:
            if len(self._streams) >= self.max_watchers:
                raise TooManyWatchers(f"{self.max_watchers} streams are open already; try again later")
            stream: asyncio.Queue = asyncio.Queue(PER_STREAM_BUFFER)
            self._streams[stream] = asyncio.get_running_loop()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="status-watch", daemon=True)
                self._thread.start()
        give_up = time.monotonic() + timeout
        while not self._ready.is_set():  # a short poll: a thread waiting for each subscriber would cost more
            if time.monotonic() > give_up:
                self.unsubscribe(stream)
                raise ConnectionError("the gateway cannot reach RabbitMQ to follow status changes")
            await asyncio.sleep(0.05)
        return stream

    def unsubscribe(self, stream: asyncio.Queue) -> None:
        with self._lock:
            self._streams.pop(stream, None)

    @property
    def watchers(self) -> int:
        return len(self._streams)

    def stop(self) -> None:
        self._stopped.set()

    def _deliver(self, body, message) -> None:
        sender = message.properties.get("user_id")
        if role_of(sender, self.operators) not in ("indicators", OPERATOR):
            BUS_REFUSED.labels("gateway", "event", sender or "-").inc()
            log.warning("status-change watch dropped a message sent as %r: only indicators sends status changes "
                        "(its own copy, in notifications, is parked if forged)", sender)
            message.ack()
            return
        try:
            payload = Envelope.model_validate(body).payload
        except Exception:  # noqa: BLE001 - not ours to park: notifications keeps its own copy
            log.warning("status-change watch skipped a message it cannot read")
            message.ack()
            return
        with self._lock:
            streams = list(self._streams.items())
        for stream, loop in streams:
            try:
                loop.call_soon_threadsafe(_offer, stream, payload)
            except RuntimeError:  # the loop has closed: the gateway is stopping
                pass
        message.ack()

    def _run(self) -> None:
        name = f"gateway-watch-{uuid.uuid4().hex[:12]}"
        bus_queue = watch_queue(name)
        while not self._stopped.is_set():
            try:
                with Connection(self.amqp_uri, heartbeat=30) as conn:
                    with Consumer(conn.default_channel, queues=[bus_queue], callbacks=[self._deliver],
                                  accept=["json"]):
                        self._ready.set()
                        while not self._stopped.is_set():
                            try:
                                conn.drain_events(timeout=1.0)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:  # noqa: BLE001 - broker gone: streams wait, we reconnect
                self._ready.clear()
                log.warning("status-change watch lost RabbitMQ (%s); reconnecting in 2 s", exc)
                self._stopped.wait(2.0)


def _offer(stream: asyncio.Queue, payload: dict) -> None:
    if stream.full():
        stream.get_nowait()  # drop the oldest for a stream that does not read
    stream.put_nowait(payload)


def watch_queue(name: str) -> Queue:
    """The gateway's own queue of status changes. The exchange exists (the topology is declared
    before anything runs) and the gateway's broker user may not declare it: bound, not declared."""
    exchange = event_exchange("indicators")
    exchange.no_declare = True
    return Queue(name, exchange=exchange, routing_key=INDICATOR_STATUS_CHANGED, exclusive=True, auto_delete=True,
                 durable=False)
