"""Who subscribes to what, and declaring that before anything is published.

nameko publishes events with ``mandatory=False``: an event published before its handler's
queue exists is silently dropped. So the topology (every subscriber queue) is declared here,
by name, before an outbox relay or a gateway accepts input; a test checks these names
against the services' real handlers.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding
from nameko.standalone.events import get_event_exchange

from libs.common.events import (
    ACTIVITIES_RECORDED,
    ACTIVITY_RECORDED,
    INDICATOR_STATUS_CHANGED,
    ORG_CHANNEL_CHANGED,
    ORGANISATION_CHANGED,
    REFERENCE_REQUESTED,
)

DEAD_LETTER_QUEUE = "kepu.dead-letters"
# `kepu indicators rebuild`: activities replays every activity here, indicators builds a new store
REBUILD_QUEUE = "kepu.indicators.rebuild"

# Messages sent to one queue go through an exchange made for that purpose, never the default
# exchange (which reaches every queue by name): each user may write only to its own, so a
# service can park a message or retry its own, but cannot put one into another's queue.
DEAD_LETTERS = Exchange("kepu.dead-letters", type="fanout", durable=True)  # any consumer parks here
REBUILD_EXCHANGE = Exchange("kepu.rebuild", type="fanout", durable=True)  # activities only


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
        exchange = event_exchange(self.source)
        bindings = [binding(exchange, routing_key=t) for t in (self.event_type, *self.also)]
        bindings.append(binding(retry_exchange(self.service), routing_key=self.queue_name))
        return Queue(self.queue_name, bindings=bindings, durable=True, auto_delete=False, exclusive=False)


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("activities", ACTIVITY_RECORDED, "indicators", "handle_activity_recorded", (ACTIVITIES_RECORDED,)),
    Subscription("indicators", INDICATOR_STATUS_CHANGED, "notifications", "handle_status_changed"),
    Subscription("organisations", ORG_CHANNEL_CHANGED, "notifications", "handle_channel_changed"),
    Subscription("organisations", ORGANISATION_CHANGED, "activities", "handle_organisation_changed"),
    Subscription("activities", REFERENCE_REQUESTED, "organisations", "handle_reference_requested_by_activities"),
    Subscription("notifications", REFERENCE_REQUESTED, "organisations", "handle_reference_requested_by_notifications"),
)

# where parked messages wait for an operator (declared by whoever parks first, too)
PARKED = Queue(DEAD_LETTER_QUEUE, bindings=[binding(DEAD_LETTERS)], durable=True)

# every subscriber queue bound to its event exchange and its service's retry exchange
# (declaring a queue declares its exchanges), the dead-letter queue and the rebuild queue
TOPOLOGY: tuple[Queue, ...] = (
    *(sub.queue for sub in SUBSCRIPTIONS),
    PARKED,
    Queue(REBUILD_QUEUE, bindings=[binding(REBUILD_EXCHANGE),
                                   binding(retry_exchange("indicators"), routing_key=REBUILD_QUEUE)],
          durable=True),
)


def declare_topology(connection: Connection) -> None:
    """Declare every event exchange, subscriber queue and the dead-letter queue (idempotent)."""
    channel = connection.default_channel
    for queue in TOPOLOGY:
        queue(channel).declare()
