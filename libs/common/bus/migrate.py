"""Moving a broker's classic queues to quorum queues without losing a message (`kepu broker migrate`).

A queue's type is fixed when it is declared, so a classic queue becomes a quorum queue only by being
deleted and declared again; its messages move out and back through a temporary quorum queue,
``<name>.migrating``. Works on any broker through kombu alone (production operators use it too), as
an operator user, with the services stopped: nothing consumes (checked: a queue with consumers is
refused) and nothing publishes. The outboxes may still hold events: they wait in the services'
databases and are published once the services run again, into the quorum queues.

Nothing is lost, whatever stops the move: each message is taken (unacked), copied with a publisher
confirm, and acked only once the broker confirmed the copy. A crash in between leaves the original
where it was and perhaps its copy too: a duplicate, which every consumer drops (they mark event ids).
A queue is deleted only when empty (``if_empty``: the broker refuses otherwise); the temporary one
once counted empty (quorum queues refuse ``if_empty``; only the operator writes to it). Running it
again finishes the job from wherever it stopped: a queue already quorum is kept, one missing is
declared, a leftover ``<name>.migrating`` is drained back.

The copies are the operator's (RabbitMQ accepts only the connection's own user as ``user_id``), so
what the consumers check about senders is done here first, on the broker-validated original:
- an event the queue's consumer would refuse (a forgery) is parked with the reason, as the consumer
  would park it, and never passed on as the operator's; an accepted one keeps its sender in
  ``SENDER_HEADER`` (the header the consumers' own retries carry);
- an RPC request the service would refuse is parked likewise (its caller had no answer anyway);
- a parked message keeps who parked it in ``PARKED_BY_HEADER``, which a replay checks in place of
  the operator's ``user_id``.
Every other header and property (``reply_to``, ``correlation_id`` …) is copied as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kombu import Connection, Producer, Queue

from libs.common.bus.dead_letters import ERROR_HEADER, ORIGIN_HEADER, PARKED_BY_HEADER
from libs.common.bus.publisher import COPY_CONFIRM_TIMEOUT
from libs.common.bus.senders import (
    OPERATOR,
    QUEUE_OWNERS,
    SENDER_HEADER,
    broker_user,
    call_refusal,
    event_refusal,
    role_of,
)
from libs.common.bus.topology import (
    DEAD_LETTER_QUEUE,
    DEAD_LETTERS,
    RPC_EXCHANGE,
    QueueType,
    declare_topology,
    queue_arguments,
    rpc_queue,
    topology,
)
from libs.common.settings import SERVICES

MIGRATING = ".migrating"  # suffix of the temporary quorum queue a queue's messages wait in
ROUTING_KEY_HEADER = "x-kepu-routing-key"  # an RPC request's key (its method), kept while it waits
DEFAULT_EXCHANGE = ""  # reaches a queue by its name; only the operator may write to it
DELIVERY_COUNT = "x-delivery-count"  # a quorum queue's count of deliveries of a message: not carried over
RPC_QUEUES = frozenset(f"rpc-{s}" for s in SERVICES)
# message properties a copy is given explicitly (the rest, reply_to, correlation_id …, as they were)
COPIED_APART = frozenset({"user_id", "application_headers", "content_type", "content_encoding", "delivery_mode",
                          "priority"})


class MigrationRefused(RuntimeError):
    """The broker is not in a state to move its queues (consumers attached, not an operator)."""


@dataclass
class QueueMove:
    """What happened to one queue: ``moved`` messages into its quorum queue, ``parked`` refused
    ones; ``already`` when it was a quorum queue with nothing left to move."""

    name: str
    moved: int = 0
    parked: int = 0
    already: bool = False


def queue_type(connection: Connection, name: str) -> QueueType | None:
    """The type of queue ``name``, or None when there is none. AMQP has no question for it: a
    declaration as quorum that is refused for ``x-queue-type`` says classic (on a throw-away channel,
    after a passive check, so nothing is created)."""
    from amqp.exceptions import NotFound, PreconditionFailed

    channel = connection.channel()
    try:
        channel.queue_declare(name, passive=True)
        channel.queue_declare(name, durable=True, auto_delete=False, arguments=queue_arguments("quorum"))
        return "quorum"
    except NotFound:
        return None
    except PreconditionFailed as refused:
        if "x-queue-type" not in str(refused):
            raise
        return "classic"
    finally:
        if channel.is_open:
            channel.close()


def _counts(connection: Connection, name: str) -> tuple[int, int] | None:
    """(messages, consumers) of queue ``name``, or None when there is none."""
    from amqp.exceptions import NotFound

    channel = connection.channel()
    try:
        _, messages, consumers = channel.queue_declare(name, passive=True)
        return messages, consumers
    except NotFound:
        return None
    finally:
        if channel.is_open:
            channel.close()


def durable_queues(connection: Connection) -> list[Queue]:
    """What is moved, parked messages first (a refused message found later is parked there): the
    topology's durable queues as quorum queues, and the RPC queues of the services that ran here."""
    queues = sorted(topology("quorum"), key=lambda q: q.name != DEAD_LETTER_QUEUE)
    return [*queues, *(q for q in (rpc_queue(s, "quorum") for s in SERVICES) if _counts(connection, q.name))]


def refuse_while_consumed(connection: Connection, names: list[str]) -> None:
    """The services must be stopped: a consumer would take messages from a queue about to go."""
    busy = {name: counts[1] for name in names for n in (name, name + MIGRATING)
            if (counts := _counts(connection, n)) and counts[1]}
    if busy:
        raise MigrationRefused(
            "stop the services (and the gateway) first: "
            + ", ".join(f"{name} has {n} consumer(s)" for name, n in sorted(busy.items()))
            + ". Their outboxes may keep events meanwhile: those wait in their databases and are "
            "published after the restart.")


def require_operator(amqp_uri: str, operators: frozenset[str]) -> str:
    """The user of ``amqp_uri``, which must be an operator's."""
    user = broker_user(amqp_uri)
    if role_of(user, operators) != OPERATOR:
        raise MigrationRefused(f"connect as an operator (KEPU_BUS_OPERATORS), not {user!r}: the moved messages are "
                               "sent as the connection's user, and consumers trust only an operator's copies")
    return user


def migrate_queues(amqp_uri: str, operators: frozenset[str], say: Callable[[str], None] = print) -> list[QueueMove]:
    """Make every durable queue of the topology (and each existing ``rpc-<service>``) a quorum
    queue with its messages, then declare the topology again (quorum: exchanges and bindings).
    Idempotent; the cluster's nodes should all have joined before (a quorum queue gets its members
    from the nodes that run when it is declared)."""
    user = require_operator(amqp_uri, operators)
    with Connection(amqp_uri, connect_timeout=10, transport_options={"confirm_publish": True}) as conn:
        queues = durable_queues(conn)
        refuse_while_consumed(conn, [q.name for q in queues])
        mover = _Mover(conn, Producer(conn.default_channel), user, operators)
        moves = []
        for queue in queues:
            moves.append(done := mover.migrate(queue))
            say(f"{queue.name}: " + ("already a quorum queue" if done.already else
                                    f"quorum queue, {done.moved} message(s) kept"
                                    + (f", {done.parked} refused and parked" if done.parked else "")))
        declare_topology(conn, "quorum")
    return moves


@dataclass
class _Mover:
    """Moves messages between queues of one connection as ``user`` (an operator), confirmed."""

    conn: Connection
    producer: Producer
    user: str
    operators: frozenset[str]

    def migrate(self, queue: Queue) -> QueueMove:
        name, temporary = queue.name, queue.name + MIGRATING
        done = QueueMove(name)
        kind = queue_type(self.conn, name)
        had_temporary = _counts(self.conn, temporary) is not None
        if kind == "quorum" and not had_temporary:
            done.already = True
            return done
        if kind == "classic":
            Queue(temporary, durable=True, queue_arguments=queue_arguments("quorum"))(self.conn.channel()).declare()
            out = QueueMove(name)
            while True:  # out into the temporary queue until the old one is empty and gone
                self._move(name, temporary, queue, out)
                if _delete_if_empty(self.conn, name):
                    break
            done.parked = out.parked
        queue(self.conn.channel()).declare()  # the quorum queue, with its bindings
        while True:  # and back: what the quorum queue holds is counted
            self._move(temporary, name, queue, done)
            if _delete_if_empty(self.conn, temporary):
                break
        return done

    def _move(self, source: str, target: str, origin: Queue, done: QueueMove) -> None:
        """Every message of ``source`` into ``target`` (the temporary queue, or back into ``origin``),
        each acked only after the broker confirmed its copy."""
        channel = self.conn.channel()
        taken = Queue(source, no_declare=True)(channel)
        try:
            while (message := taken.get(no_ack=False)) is not None:
                copy = _operator_copy(message, origin.name, self.operators)
                if isinstance(copy, str):  # refused for its sender: parked as its consumer would
                    self._publish(message, DEAD_LETTERS.name, DEAD_LETTER_QUEUE, _parked_headers(message, origin, copy))
                    done.parked += 1
                elif target != origin.name:  # into the temporary queue, keeping the routing key
                    copy.setdefault(ROUTING_KEY_HEADER, message.delivery_info.get("routing_key"))
                    self._publish(message, DEFAULT_EXCHANGE, target, copy)
                    done.moved += 1
                else:
                    key = copy.pop(ROUTING_KEY_HEADER, None)
                    if origin.name in RPC_QUEUES and key:  # nameko reads the method from the key
                        self._publish(message, RPC_EXCHANGE.name, key, copy)
                    else:
                        self._publish(message, DEFAULT_EXCHANGE, target, copy)
                    done.moved += 1
                message.ack()  # only after the broker confirmed the copy: a crash in between duplicates
        finally:
            if channel.is_open:
                channel.close()

    def _publish(self, message, exchange: str, routing_key: str, headers: dict) -> None:
        """A copy of ``message`` with every property it had but its sender, confirmed by the broker;
        ``mandatory``: a copy no queue takes raises rather than vanishing."""
        properties = {k: v for k, v in message.properties.items() if k not in COPIED_APART}
        self.producer.publish(message.body, exchange=exchange, routing_key=routing_key,
                              content_type=message.content_type, content_encoding=message.content_encoding,
                              delivery_mode=2, headers=headers, priority=message.properties.get("priority"),
                              mandatory=True, user_id=self.user, confirm_timeout=COPY_CONFIRM_TIMEOUT, **properties)


def _delete_if_empty(conn: Connection, name: str) -> bool:
    """Delete ``name`` unless a message is in it; whether it is gone. A classic queue's broker checks
    (``if_empty``); a quorum queue refuses that flag, so the temporary one is counted, then deleted:
    nothing else writes to it (only the operator may use the default exchange)."""
    from amqp.exceptions import PreconditionFailed

    channel = conn.channel()
    try:
        if name.endswith(MIGRATING):
            _, messages, _ = channel.queue_declare(name, passive=True)
            if messages:
                return False
            channel.queue_delete(name)
        else:
            channel.queue_delete(name, if_empty=True)
        return True
    except PreconditionFailed:
        return False
    finally:
        if channel.is_open:
            channel.close()


def _operator_copy(message, queue: str, operators: frozenset[str]) -> dict | str:
    """The headers of the operator's copy of ``message`` from ``queue``, or why its consumer would
    refuse the original (then it is parked, not passed on under the operator's name)."""
    headers = {k: v for k, v in (message.headers or {}).items() if k != DELIVERY_COUNT}
    user = message.properties.get("user_id")
    role = role_of(user, operators)
    if role == OPERATOR:
        return headers
    if queue == DEAD_LETTER_QUEUE:
        headers[PARKED_BY_HEADER] = user  # whatever the message claimed: the broker-validated parker
        return headers
    if queue in QUEUE_OWNERS:
        why = event_refusal(user, headers.get(SENDER_HEADER), queue, operators)
        if role != QUEUE_OWNERS[queue][0]:  # the consumer's own retries already carry the sender
            headers[SENDER_HEADER] = user
    else:  # rpc-<service>: the method is the routing key's second part
        service, _, method = str(message.delivery_info.get("routing_key", "")).partition(".")
        why = call_refusal(user, service, method, operators)
        headers[SENDER_HEADER] = user
    return why or headers


def _parked_headers(message, origin: Queue, why: str) -> dict:
    headers = {k: v for k, v in (message.headers or {}).items() if k != PARKED_BY_HEADER}  # the operator parks it
    return {**headers, ERROR_HEADER: f"refused: {why} (found by kepu broker migrate)",
            ORIGIN_HEADER: origin.name, SENDER_HEADER: message.properties.get("user_id")}
