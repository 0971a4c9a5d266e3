"""Who subscribes to what, and declaring that before anything is published.

nameko publishes events with ``mandatory=False``: an event published before its handler's
queue exists is silently dropped. So the topology (every subscriber queue) is declared here,
by name, before an outbox relay or a gateway accepts input; a test checks these names
against the services' real handlers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kombu import Connection, Exchange, Queue, binding
from nameko.standalone.events import get_event_exchange

from libs.common.events import (
    ACTIVITIES_RECORDED,
    ACTIVITY_RECORDED,
    INDICATOR_STATUS_CHANGED,
    ORG_CHANNEL_CHANGED,
    ORGANISATION_CHANGED,
    REFERENCE_REQUESTED,
    REPORTING_DUTY_CHANGED,
)

# named apart from the exchange services park through: a permission on one name never covers the other
DEAD_LETTER_QUEUE = "kepu.parked"
OLD_DEAD_LETTER_QUEUE = "kepu.dead-letters"  # releases before 15 parked here; moved on the next declare
# `kepu indicators rebuild`: activities replays every activity here, indicators builds a new store
REBUILD_QUEUE = "kepu.indicators.rebuild"
# a county hosted apart (`kepu link add`): its activity events wait here for the shovel to its city
FORWARD_QUEUE = "kepu.forward.city"

# Messages sent to one queue go through an exchange made for that purpose, never the default
# exchange (which reaches every queue by name): each user may write only to its own, so a
# service can park a message or retry its own, but cannot put one into another's queue.
DEAD_LETTERS = Exchange("kepu.dead-letters", type="fanout", durable=True)  # any consumer parks here
REBUILD_EXCHANGE = Exchange("kepu.rebuild", type="fanout", durable=True)  # activities only


# nameko's (``get_rpc_exchange``), declared by the operator like the rest
RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


QueueType = Literal["classic", "quorum"]
DEFAULT_QUEUE_TYPE: QueueType = "classic"


def queue_arguments(queue_type: QueueType) -> dict[str, str]:
    """What a durable queue of this type is declared with. A queue's type is fixed when it is declared
    (a policy cannot change it), and every later declaration must say the same: RabbitMQ refuses
    (PRECONDITION_FAILED) a quorum queue declared again without ``x-queue-type``. Classic queues are
    declared without the argument, so those of a broker from before quorum queues still match."""
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else {}


def rpc_queue(service: str, queue_type: QueueType, exchange: Exchange = RPC_EXCHANGE) -> Queue:
    """A service's RPC queue (nameko's ``rpc-<service>``), as the service declares it
    (``libs.common.rpc``, with the exchange only bound) and as a migration moves it."""
    return Queue(f"rpc-{service}", exchange=exchange, routing_key=f"{service}.*", durable=True,
                 queue_arguments=queue_arguments(queue_type))


def retry_exchange(service: str) -> Exchange:
    """Where ``service``'s consumers put a failed message back into their own queue (routing key:
    the queue's name)."""
    return Exchange(f"kepu.retry.{service}", type="direct", durable=True)


def event_exchange(source: str) -> Exchange:
    """The exchange of ``source`` events, made by nameko's own function, so it never differs."""
    return get_event_exchange(source, {})


@dataclass(frozen=True)
class Subscription:
    """A service method consuming events of a source. ``also``: further event types of that
    source bound to the same queue, so that one consumer sees all of them in publish order."""

    source: str
    event_type: str
    service: str
    method: str
    also: tuple[str, ...] = ()

    @property
    def queue_name(self) -> str:  # nameko's SERVICE_POOL naming
        return f"evt-{self.source}-{self.event_type}--{self.service}.{self.method}"

    @property
    def queue(self) -> Queue:
        return self.queue_of(DEFAULT_QUEUE_TYPE)

    def queue_of(self, queue_type: QueueType) -> Queue:
        exchange = event_exchange(self.source)
        bindings = [binding(exchange, routing_key=t) for t in (self.event_type, *self.also)]
        bindings.append(binding(retry_exchange(self.service), routing_key=self.queue_name))
        return Queue(self.queue_name, bindings=bindings, durable=True, auto_delete=False, exclusive=False,
                     queue_arguments=queue_arguments(queue_type))


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("activities", ACTIVITY_RECORDED, "indicators", "handle_activity_recorded", (ACTIVITIES_RECORDED,)),
    Subscription("indicators", INDICATOR_STATUS_CHANGED, "notifications", "handle_status_changed"),
    Subscription("organisations", ORG_CHANNEL_CHANGED, "notifications", "handle_channel_changed"),
    Subscription("organisations", ORGANISATION_CHANGED, "activities", "handle_organisation_changed"),
    Subscription("activities", REFERENCE_REQUESTED, "organisations", "handle_reference_requested_by_activities"),
    Subscription("notifications", REFERENCE_REQUESTED, "organisations", "handle_reference_requested_by_notifications"),
    Subscription("activities", REPORTING_DUTY_CHANGED, "notifications", "handle_duty_changed"),
)

# the indicators counting activity events: what a county linked to its city forwards, and the only
# queue that county's link may send into at the city (``libs.common.bus.link``)
ACTIVITY_COUNTING = next(sub for sub in SUBSCRIPTIONS if sub.source == "activities" and sub.service == "indicators")


def topology(queue_type: QueueType = DEFAULT_QUEUE_TYPE) -> tuple[Queue, ...]:
    """Every subscriber queue bound to its event exchange and its service's retry exchange
    (declaring a queue declares its exchanges), the dead-letter queue (where parked messages wait for
    an operator) and the rebuild queue: each durable queue of the ``queue_type`` the broker keeps."""
    arguments = queue_arguments(queue_type)
    return (
        *(sub.queue_of(queue_type) for sub in SUBSCRIPTIONS),
        Queue(DEAD_LETTER_QUEUE, bindings=[binding(DEAD_LETTERS)], durable=True, queue_arguments=arguments),
        Queue(REBUILD_QUEUE, bindings=[binding(REBUILD_EXCHANGE),
                                       binding(retry_exchange("indicators"), routing_key=REBUILD_QUEUE)],
              durable=True, queue_arguments=arguments),
    )


TOPOLOGY: tuple[Queue, ...] = topology()  # of classic queues, a single node's


def forward_queue(queue_type: QueueType = DEFAULT_QUEUE_TYPE) -> Queue:
    """A county linked to its city (``libs.common.bus.link``): a copy of each activity event, which
    the county's broker shovels to the city and takes off only once the city confirmed it."""
    exchange = event_exchange(ACTIVITY_COUNTING.source)
    keys = (ACTIVITY_COUNTING.event_type, *ACTIVITY_COUNTING.also)
    return Queue(FORWARD_QUEUE, bindings=[binding(exchange, routing_key=key) for key in keys], durable=True,
                 auto_delete=False, exclusive=False, queue_arguments=queue_arguments(queue_type))


def declare_topology(connection: Connection, queue_type: QueueType = DEFAULT_QUEUE_TYPE,
                     forward_to_city: bool = False) -> None:
    """The operator declares every exchange, subscriber queue, the dead-letter and rebuild queues
    (idempotent), and a county linked to its city its forward queue; services only check that what
    they use exists (``require``)."""
    channel = connection.default_channel
    RPC_EXCHANGE(channel).declare()
    for queue in (*topology(queue_type), *([forward_queue(queue_type)] if forward_to_city else [])):
        queue(channel).declare()
    _move_old_dead_letters(connection)


def _move_old_dead_letters(connection: Connection) -> None:
    """Parked messages of a release before 15 wait in a queue named like the exchange; move them."""
    from amqp.exceptions import NotFound
    from kombu import Producer

    channel = connection.channel()
    try:
        channel.queue_declare(OLD_DEAD_LETTER_QUEUE, passive=True)
    except NotFound:
        return
    old = Queue(OLD_DEAD_LETTER_QUEUE, durable=True, no_declare=True)(channel)
    producer = Producer(connection.default_channel)
    while (message := old.get(no_ack=False)) is not None:
        producer.publish(message.body, routing_key=DEAD_LETTER_QUEUE, content_type=message.content_type,
                         content_encoding=message.content_encoding, delivery_mode=2, headers=message.headers)
        message.ack()
    old.delete()
    channel.close()


class TopologyMissing(RuntimeError):
    """What a service uses is not on the broker: the operator has not declared the topology."""


def require(connection: Connection, exchanges: list[str] = (), queues: list[str] = ()) -> None:
    """Check, passively (no right to create or change anything needed), that these exist."""
    from amqp.exceptions import NotFound

    for kind, names in (("exchange", exchanges), ("queue", queues)):
        for name in names:
            channel = connection.channel()
            try:
                if kind == "exchange":
                    channel.exchange_declare(name, "topic", passive=True)
                else:
                    channel.queue_declare(name, passive=True)
            except NotFound:
                raise TopologyMissing(
                    f"the broker has no {kind} {name!r}: the operator declares the topology before the services "
                    "start (`kepu run` does; for another broker `kepu broker setup`; in production the "
                    "broker-setup container, `python -m libs.localenv.broker_access`)") from None
            finally:
                if channel.is_open:
                    channel.close()
