"""Messages that kept failing: parked with why and where from, read by an operator, and
replayed into the queue they failed in once the cause is fixed."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from kombu import Connection, Producer, Queue

from libs.common.bus.publisher import COPY_CONFIRM_TIMEOUT, EVENT_ID_HEADER, send_copy
from libs.common.bus.senders import OPERATOR, SENDER_HEADER, broker_user, event_refusal, replay_refusal, role_of
from libs.common.bus.topology import DEAD_LETTER_QUEUE, DEAD_LETTERS

log = logging.getLogger(__name__)

# message headers: what retries, parking and replays record
ATTEMPTS_HEADER = "x-kepu-attempts"
ERROR_HEADER = "x-kepu-error"
ORIGIN_HEADER = "x-kepu-original-queue"
REPLAYS_HEADER = "x-kepu-replays"
# who parked a message that an operator's copy now holds (`kepu broker migrate` moves parked messages as
# the operator): believed only on an operator's copy, as the broker-validated user_id it replaces
PARKED_BY_HEADER = "x-kepu-parked-by"


def park_message(amqp_uri: str, message, reason: str, queue: str, sender: str | None) -> None:
    """Put a message that kept failing on the dead-letter queue, with why, where from, and who
    sent it (``sender``: its broker-validated user, which a replay checks)."""
    headers = {**(message.headers or {}), ERROR_HEADER: reason[:2000], ORIGIN_HEADER: queue,
               **({SENDER_HEADER: sender} if sender else {})}
    send_copy(amqp_uri, DEAD_LETTERS, DEAD_LETTER_QUEUE, message, headers)


def peek_dead_letters(amqp_uri: str, limit: int = 100) -> list[dict]:
    """The parked messages (left in place): body, error, original queue."""
    out = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = Queue(DEAD_LETTER_QUEUE, durable=True, no_declare=True)(channel)
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


def parked_by(message, operators: frozenset[str]) -> str | None:
    """The broker user that parked ``message``: its ``user_id``, or on an operator's copy of a parked
    message (a move to quorum queues), the parker that copy recorded."""
    user = message.properties.get("user_id")
    if role_of(user, operators) == OPERATOR and PARKED_BY_HEADER in (message.headers or {}):
        return message.headers[PARKED_BY_HEADER]
    return user


@dataclass
class Replay:
    """What a replay did: how many went back, and the parked messages it left in place and why."""

    replayed: int = 0
    refused: list[str] = field(default_factory=list)


def replay_dead_letters(amqp_uri: str, operators: frozenset[str], limit: int = 1000) -> Replay:
    """Send parked messages back to the queue they failed in (after the cause is fixed), as the
    operator. A message is replayed only if the queue's own consumer parked it (the broker-validated
    ``user_id`` of the parked copy) and its recorded sender may send into that queue: a forgery
    parked by another service, or refused for its sender, stays parked."""
    done = Replay()
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        queue = Queue(DEAD_LETTER_QUEUE, durable=True, no_declare=True)(conn.default_channel)
        producer = Producer(conn.default_channel)
        for _ in range(limit):
            msg = queue.get(no_ack=False)
            if msg is None:
                break
            headers = dict(msg.headers or {})
            target = headers.pop(ORIGIN_HEADER, None)
            headers.pop(ERROR_HEADER, None)
            headers.pop(ATTEMPTS_HEADER, None)  # a replay gets its full set of attempts
            headers.pop(PARKED_BY_HEADER, None)
            why = "it names no original queue" if not target else (
                replay_refusal(parked_by(msg, operators), target, operators)
                or event_refusal(headers.get(SENDER_HEADER), None, target, operators))
            if why:  # left unacked: back on the queue when the channel closes
                done.refused.append(f"{headers.get(EVENT_ID_HEADER, '?')} for {target}: {why}")
                log.error("a parked message was not replayed and stays parked: %s", done.refused[-1])
                continue
            headers[REPLAYS_HEADER] = int(headers.get(REPLAYS_HEADER, 0)) + 1
            producer.publish(msg.body, routing_key=target, content_type=msg.content_type,
                             content_encoding=msg.content_encoding, delivery_mode=2, headers=headers,
                             user_id=broker_user(amqp_uri), confirm_timeout=COPY_CONFIRM_TIMEOUT)
            msg.ack()  # only after the broker confirmed the copy: a crash in between duplicates, never loses
            done.replayed += 1
    return done
