"""The bus on the real broker: a publisher never lets an event fall into a queue-less exchange."""
from __future__ import annotations

import datetime as dt

from kombu import Connection

from libs.common.bus.publisher import EnvelopePublisher
from libs.common.bus.topology import SUBSCRIPTIONS, TOPOLOGY
from libs.common.events import ActivityRecorded, make_envelope
from tests.interface.helpers import drain

TO_INDICATORS = SUBSCRIPTIONS[0]


def recorded(activity_id: str):
    day = dt.date(2024, 5, 1)
    return make_envelope("activities", ActivityRecorded(
        activity_id=activity_id, revision=1, org="cast", activity_type="caravan_tour",
        start_date=day, end_date=day, quantities={"sessions": 1}))


def delete_topology(amqp_uri: str) -> None:
    with Connection(amqp_uri) as conn:
        for queue in TOPOLOGY:
            queue(conn.default_channel).delete()


def test_a_publisher_declares_the_topology_before_its_first_event(rabbit_config):
    """A fresh broker (here a fresh vhost) has no subscriber queues until a service starts:
    the first event published must still wait in its queue, not be dropped."""
    amqp_uri = rabbit_config["AMQP_URI"]
    publisher = EnvelopePublisher(amqp_uri)
    try:
        publisher.publish([recorded("first")])
    finally:
        publisher.close()
    (body, _), = drain(amqp_uri, TO_INDICATORS, expect=1, timeout=10)
    assert body["payload"]["activity_id"] == "first"


def test_after_a_reconnection_the_topology_is_declared_again(rabbit_config):
    """kombu remembers declarations per connection: a broker that lost its definitions drops the
    connection, and the new one declares them again before publishing."""
    amqp_uri = rabbit_config["AMQP_URI"]
    publisher = EnvelopePublisher(amqp_uri)
    try:
        publisher.publish([recorded("before")])
        drain(amqp_uri, TO_INDICATORS, expect=1, timeout=10)
        delete_topology(amqp_uri)
        publisher.connection.close()  # what a broker reset does to the relay's connection
        publisher.publish([recorded("after")])
    finally:
        publisher.close()
    (body, _), = drain(amqp_uri, TO_INDICATORS, expect=1, timeout=10)
    assert body["payload"]["activity_id"] == "after"
