"""Status changes for WatchStatusChanges streams: one bus consumer, fanned out to the streams.

The gateway binds its own exclusive, auto-deleted queue to the indicators' events, so it sees
every change without taking any from the notifications service; each open stream gets a
bounded queue of its own (a stream that does not read loses its oldest changes, not the
gateway's memory).
"""
from __future__ import annotations

import logging
import queue
import threading
import uuid

from kombu import Connection, Consumer, Queue

from libs.common.bus.topology import event_exchange
from libs.common.events import INDICATOR_STATUS_CHANGED, Envelope

log = logging.getLogger(__name__)
PER_STREAM_BUFFER = 1000


class TooManyWatchers(Exception):
    pass


class StatusChangeHub:
    def __init__(self, amqp_uri: str, max_watchers: int):
        self.amqp_uri = amqp_uri
        self.max_watchers = max_watchers
        self._streams: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, timeout: float = 10.0) -> queue.Queue:
        """A queue of status-change payloads (dicts); the bus queue exists before this returns."""
        with self._lock:
            if len(self._streams) >= self.max_watchers:
                raise TooManyWatchers(f"{self.max_watchers} streams are open already; try again later")
            stream: queue.Queue = queue.Queue(PER_STREAM_BUFFER)
            self._streams.add(stream)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="status-watch", daemon=True)
                self._thread.start()
        if not self._ready.wait(timeout):
            self.unsubscribe(stream)
            raise ConnectionError("the gateway cannot reach RabbitMQ to follow status changes")
        return stream

    def unsubscribe(self, stream: queue.Queue) -> None:
        with self._lock:
            self._streams.discard(stream)

    @property
    def watchers(self) -> int:
        return len(self._streams)

    def stop(self) -> None:
        self._stopped.set()

    def _deliver(self, body, message) -> None:
        try:
            payload = Envelope.model_validate(body).payload
        except Exception:  # noqa: BLE001 - not ours to park: notifications keeps its own copy
            log.warning("status-change watch skipped a message it cannot read")
            message.ack()
            return
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            if stream.full():
                try:
                    stream.get_nowait()  # drop the oldest for a stream that does not read
                except queue.Empty:
                    pass
            stream.put_nowait(payload)
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


def watch_queue(name: str) -> Queue:
    """The gateway's own queue of status changes. The exchange exists (the topology is declared
    before anything runs) and the gateway's broker user may not declare it: bound, not declared."""
    exchange = event_exchange("indicators")
    exchange.no_declare = True
    return Queue(name, exchange=exchange, routing_key=INDICATOR_STATUS_CHANGED, exclusive=True, auto_delete=True,
                 durable=False)
