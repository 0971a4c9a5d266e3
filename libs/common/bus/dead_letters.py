"""Messages that kept failing: parked with why and where from, read by an operator, and
replayed into the queue they failed in once the cause is fixed."""
from __future__ import annotations

import json
import logging

from kombu import Connection, Producer, Queue

from libs.common.bus.publisher import send_copy
from libs.common.bus.topology import DEAD_LETTER_QUEUE, DEAD_LETTERS, PARKED

log = logging.getLogger(__name__)

# message headers: what retries, parking and replays record
ATTEMPTS_HEADER = "x-kepu-attempts"
ERROR_HEADER = "x-kepu-error"
ORIGIN_HEADER = "x-kepu-original-queue"
REPLAYS_HEADER = "x-kepu-replays"


def park_message(amqp_uri: str, message, reason: str, queue: str) -> None:
    """Put a message that kept failing on the dead-letter queue, with why and where from."""
    headers = {**(message.headers or {}), ERROR_HEADER: reason[:2000], ORIGIN_HEADER: queue}
    with Connection(amqp_uri) as conn:  # a consumer may park before anyone declared the topology
        PARKED(conn.default_channel).declare()
    send_copy(amqp_uri, DEAD_LETTERS, DEAD_LETTER_QUEUE, message, headers)


def peek_dead_letters(amqp_uri: str, limit: int = 100) -> list[dict]:
    """The parked messages (left in place): body, error, original queue."""
    out = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = Queue(DEAD_LETTER_QUEUE, durable=True)(channel)
        queue.declare()
        for _ in range(limit):
            msg = queue.get(no_ack=False)
            if msg is None:
                break
            headers = msg.headers or {}
            out.append({"body": readable_body(msg.body), "error": headers.get(ERROR_HEADER),
                        "queue": headers.get(ORIGIN_HEADER), "replays": headers.get(REPLAYS_HEADER, 0)})
        channel.close()  # unacked: all of them go back to the queue
    return out


def readable_body(raw: bytes | str) -> dict:
    """A parked body as an operator can read it, whatever it holds: ``{"json": ...}``, else
    ``{"text": ..., "size": n}`` (cut), else ``{"hex": first bytes, "size": n}``."""
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    try:
        return {"json": json.loads(data)}
    except ValueError:
        pass
    try:
        return {"text": data.decode("utf-8")[:500], "size": len(data)}
    except UnicodeDecodeError:
        return {"hex": data[:64].hex(" "), "size": len(data)}


def replay_dead_letters(amqp_uri: str, limit: int = 1000) -> int:
    """Send parked messages back to the queue they failed in (after the cause is fixed)."""
    replayed = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        queue = Queue(DEAD_LETTER_QUEUE, durable=True)(conn.default_channel)
        queue.declare()
        producer = Producer(conn.default_channel)
        for _ in range(limit):
            msg = queue.get(no_ack=False)
            if msg is None:
                break
            headers = dict(msg.headers or {})
            target = headers.pop(ORIGIN_HEADER, None)
            headers.pop(ERROR_HEADER, None)
            headers.pop(ATTEMPTS_HEADER, None)  # a replay gets its full set of attempts
            if not target:
                msg.reject(requeue=True)
                log.error("dead letter without an original queue left in place: %s", msg.body[:200])
                break
            headers[REPLAYS_HEADER] = int(headers.get(REPLAYS_HEADER, 0)) + 1
            producer.publish(msg.body, routing_key=target, content_type=msg.content_type,
                             content_encoding=msg.content_encoding, delivery_mode=2, headers=headers)
            msg.ack()  # only after the broker confirmed the copy: a crash in between duplicates, never loses
            replayed += 1
    return replayed
