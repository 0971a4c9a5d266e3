"""Publishing with publisher confirms from any process: envelopes (outbox relays, rebuild
replays, plain processes) and copies of received messages (retries, parking)."""
from __future__ import annotations

import socket
import time
from typing import NamedTuple

from kombu import Connection, Exchange, Producer

from libs.common.bus.senders import broker_user
from libs.common.bus.topology import event_exchange
from libs.common.events import Envelope

EVENT_ID_HEADER = "kepu.event_id"  # on every published envelope, for logs


class StoredEvent(NamedTuple):
    """An envelope as stored (JSON text) with what routing needs."""

    source: str
    event_type: str
    event_id: str
    body: str


class PublishNotConfirmed(ConnectionError):
    """The broker refused (nack) or did not confirm some events in time: publish them again."""


class EnvelopePublisher:
    """Publishes envelopes to ``{source}.events`` with publisher confirms, on one connection.

    Used by outbox relays (inside nameko) and by plain processes alike. ``publish`` sends the
    whole list, then waits for the broker's confirms (RabbitMQ acks many deliveries at once),
    and returns only once every message is confirmed, so a caller may then mark them sent.
    One confirm round per list instead of one per message: ~10x the rate of per-message
    confirms (see ``make bench``), with the same guarantee.
    """

    def __init__(self, amqp_uri: str, confirm_timeout: float = 30.0):
        self.connection = Connection(amqp_uri)
        self.user = broker_user(amqp_uri)  # each message says who sent it; the broker checks it is true
        self.confirm_timeout = confirm_timeout
        self._channel = None
        self._transport = None  # the AMQP connection our channel belongs to
        self._published = 0  # delivery tags of this channel handed out so far
        self._confirmed = 0  # every tag up to this one is confirmed
        self._ahead: set[int] = set()  # tags confirmed singly before an earlier one (any order is allowed)
        self._nacked: list[int] = []

    def _confirming_channel(self):
        """A channel in confirm mode on a live connection. The topology is the operator's: a
        publisher declares nothing (and an exchange that is missing fails the publish, which the
        outbox then keeps)."""
        conn = self.connection
        conn.ensure_connection(max_retries=3)
        if self._channel is None or self._transport is not conn.connection:
            channel = conn.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._channel, self._transport = channel, conn.connection
            self._published = self._confirmed = 0
            self._ahead, self._nacked = set(), []
        return self._channel

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        if multiple:
            self._confirmed = max(self._confirmed, delivery_tag)
        else:
            self._ahead.add(delivery_tag)
        while self._confirmed + 1 in self._ahead:
            self._confirmed += 1
            self._ahead.discard(self._confirmed)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked.append(delivery_tag)
        self._on_ack(delivery_tag, multiple)

    def publish(self, envelopes: list[Envelope], exchange: Exchange | None = None) -> None:
        """To each envelope's event exchange, or to ``exchange`` (e.g. ``REBUILD_EXCHANGE``)."""
        self.publish_stored([StoredEvent(e.source, e.type, e.event_id, e.model_dump_json()) for e in envelopes],
                            exchange)

    def publish_stored(self, events: list[StoredEvent], exchange: Exchange | None = None) -> None:
        """Envelopes already serialised (an outbox keeps them so): sent as they are, not parsed again."""
        if not events:
            return
        try:
            self._publish(events, exchange)
        except Exception:
            self._channel = None  # start clean: a new channel, topology declared again
            self.connection.close()
            raise

    def _publish(self, events: list[StoredEvent], exchange: Exchange | None) -> None:
        channel = self._confirming_channel()
        producer = Producer(channel)
        first = self._published + 1
        for event in events:
            producer.publish(
                event.body, exchange=exchange or event_exchange(event.source),
                routing_key=event.event_type, content_type="application/json", content_encoding="utf-8",
                delivery_mode=2, headers={EVENT_ID_HEADER: event.event_id}, user_id=self.user,
            )
        self._published += len(events)
        deadline = time.monotonic() + self.confirm_timeout
        while self._confirmed < self._published:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"the broker confirmed {self._confirmed - first + 1} of "
                                          f"{len(events)} events within {self.confirm_timeout:.0f}s")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                continue
        if refused := [t for t in self._nacked if t >= first]:
            raise PublishNotConfirmed(f"the broker refused {len(refused)} of {len(events)} events (nack)")

    def close(self) -> None:
        self.connection.release()


# How long a copy (a retry, a parked message, a replay) waits for the broker's confirm. A quorum
# queue without a majority neither acks nor nacks: without a bound the consumer's thread would wait
# for ever. On timeout the publish raises (socket.timeout); the original stays unacked and comes back.
COPY_CONFIRM_TIMEOUT = 10.0


def send_copy(amqp_uri: str, exchange: Exchange, routing_key: str, message, headers: dict) -> None:
    """Publish a copy of a received message (same body, whatever it holds) through ``exchange``,
    confirmed by the broker within ``COPY_CONFIRM_TIMEOUT``; ``mandatory``: a copy no queue takes is
    an error, not lost. The copy is sent as the user of ``amqp_uri`` (whoever copies it answers for it)."""
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.default_channel).publish(
            message.body, exchange=exchange, routing_key=routing_key, content_type=message.content_type,
            content_encoding=message.content_encoding, delivery_mode=2, headers=headers, mandatory=True,
            user_id=broker_user(amqp_uri), confirm_timeout=COPY_CONFIRM_TIMEOUT,
        )
