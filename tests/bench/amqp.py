"""Plain kombu on the system's broker: the baseline the pipeline is compared with (what one
confirmed publisher and one acking consumer manage on this machine), and direct publishing of
``activity_recorded`` envelopes for the catch-up case.

Bodies are serialised before the clock starts, so the baseline measures the broker and the AMQP
client, not our JSON encoding.
"""
from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Iterable, Iterator

from kombu import Connection, Consumer, Exchange, Producer, Queue

from libs.common.bus.publisher import EVENT_ID_HEADER, EnvelopePublisher, StoredEvent
from libs.common.bus.senders import broker_user
from libs.common.bus.topology import QueueType, queue_arguments
from libs.common.events import ACTIVITY_RECORDED, ActivityRecorded, make_envelope

YEAR_START = dt.date(2024, 1, 1)


def bench_date(i: int, days: int = 180) -> dt.date:
    """A start date in the first half of 2024, so every report is before a clock frozen on
    2024-06-30 and counts in the yearly window 2024."""
    return YEAR_START + dt.timedelta(days=i % days)


def activity_envelope(i: int) -> tuple[str, bytes]:
    """(event id, JSON body) of a realistic ``activity_recorded`` event: a caravan tour of 县科协,
    revision 1, its own activity id, one session."""
    payload = ActivityRecorded(activity_id=uuid.uuid4().hex, revision=1, org="cast", activity_type="caravan_tour",
                               start_date=bench_date(i), end_date=bench_date(i), quantities={"sessions": 1})
    envelope = make_envelope("activities", payload)
    return envelope.event_id, json.dumps(envelope.model_dump(mode="json")).encode()


def activity_envelopes(n: int) -> Iterator[tuple[str, bytes]]:
    return (activity_envelope(i) for i in range(n))


def publish_confirmed(amqp_uri: str, messages: Iterable[tuple[str, bytes]], exchange: Exchange | str,
                      routing_key: str) -> tuple[int, float]:
    """Publish persistent JSON messages, each waiting for its broker confirm (as the services'
    outbox relays do); returns (count, seconds)."""
    count = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.ensure_connection(max_retries=3)
        producer = Producer(conn.default_channel)
        start = time.perf_counter()
        for event_id, body in messages:
            producer.publish(body, exchange=exchange, routing_key=routing_key, content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2, headers={EVENT_ID_HEADER: event_id},
                             user_id=broker_user(amqp_uri))  # as the services' publishers do
            count += 1
        return count, time.perf_counter() - start


def publish_in_runs(amqp_uri: str, messages: list[tuple[str, bytes]], run: int = 1000) -> tuple[int, float]:
    """Publish ``activity_recorded`` messages to the activities exchange with the services' own
    publisher (one confirm round per run of ``run``: the guarantee of a confirm per message, many
    times faster). For filling a queue quickly (catch-up), not for the baseline. Returns
    (count, seconds)."""
    events = [StoredEvent("activities", ACTIVITY_RECORDED, event_id, body.decode()) for event_id, body in messages]
    publisher = EnvelopePublisher(amqp_uri)
    try:
        start = time.perf_counter()
        for i in range(0, len(events), run):
            publisher.publish_stored(events[i:i + run])
        return len(events), time.perf_counter() - start
    finally:
        publisher.close()


def declare_scratch_queue(amqp_uri: str, queue_type: QueueType = "classic") -> str:
    """A durable queue of our own of ``queue_type`` (declared as the subscriber queues are), for the
    baseline only."""
    name = f"bench.scratch-{uuid.uuid4().hex[:8]}"
    with Connection(amqp_uri) as conn:
        Queue(name, durable=True, auto_delete=False,
              queue_arguments=queue_arguments(queue_type))(conn.default_channel).declare()
    return name


def delete_queue(amqp_uri: str, name: str) -> None:
    with Connection(amqp_uri) as conn:
        Queue(name)(conn.default_channel).delete()


def consume_acked(amqp_uri: str, queue: str, n: int, prefetch: int = 500, timeout: float = 120) -> tuple[int, float]:
    """Consume ``n`` messages with manual acks, one ack per message, ``prefetch`` in flight;
    returns (count, seconds from subscribing to the last ack)."""
    got = 0

    def on_message(message) -> None:
        nonlocal got
        message.ack()
        got += 1

    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        # declared already (a quorum queue declared again without its type would be refused)
        consumer = Consumer(channel, queues=[Queue(queue, no_declare=True)], on_message=on_message,
                            no_ack=False, prefetch_count=prefetch)
        start = time.perf_counter()
        deadline = start + timeout
        with consumer:
            while got < n and time.perf_counter() < deadline:
                try:
                    conn.drain_events(timeout=1)
                except TimeoutError:  # socket.timeout: nothing within a second
                    continue
        elapsed = time.perf_counter() - start
        channel.close()
    return got, elapsed
