"""Helpers for interface tests on the real broker."""
from __future__ import annotations

import json
import time
from typing import Callable

from kombu import Connection, Queue

from libs.common.bus.publisher import EnvelopePublisher
from libs.common.bus.topology import DEAD_LETTER_QUEUE, Subscription, declare_topology
from libs.common.events import Envelope


def declare(amqp_uri: str) -> None:
    with Connection(amqp_uri) as conn:
        declare_topology(conn)


def publish(amqp_uri: str, *envelopes: Envelope) -> None:
    publisher = EnvelopePublisher(amqp_uri)
    try:
        publisher.publish(list(envelopes))
    finally:
        publisher.close()


def drain_until(amqp_uri: str, queue: str | Subscription, done: Callable[[list], bool],
                timeout: float = 10.0) -> list:
    """Take messages off a queue (acking them) until ``done(got)`` holds or the timeout passes.

    Waiting for what a test needs, not for a fixed while, keeps the interface tests steady on a
    loaded CI machine where the outbox relay may take seconds to publish a start-up burst."""
    name = queue.queue_name if isinstance(queue, Subscription) else queue
    got: list = []
    deadline = time.monotonic() + timeout
    with Connection(amqp_uri) as conn:
        q = Queue(name, durable=True)(conn.default_channel)
        while time.monotonic() < deadline and not done(got):
            msg = q.get(no_ack=False)
            if msg is None:
                time.sleep(0.05)
                continue
            got.append((json.loads(msg.body) if isinstance(msg.body, (str, bytes)) else msg.body, msg.headers))
            msg.ack()
    return got


def drain(amqp_uri: str, queue: str | Subscription, expect: int | None = None, timeout: float = 5.0) -> list:
    """Take messages off a queue (acking them); wait until ``expect`` arrived or the timeout.
    Without ``expect`` it collects for the whole timeout: use that only to show nothing comes."""
    return drain_until(amqp_uri, queue, lambda got: expect is not None and len(got) >= expect, timeout)


def dead_letters(amqp_uri: str, expect: int = 1, timeout: float = 10.0) -> list:
    return drain(amqp_uri, DEAD_LETTER_QUEUE, expect, timeout)


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
