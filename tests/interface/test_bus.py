"""The bus on the real broker: the topology is the operator's; without it nothing is dropped and
no service starts."""
from __future__ import annotations

import datetime as dt

import pytest
from kombu import Connection

from libs.common.bus.publisher import EnvelopePublisher
from libs.common.bus.topology import SUBSCRIPTIONS, TopologyMissing, declare_topology
from libs.common.events import ActivityRecorded, make_envelope
from tests.interface.helpers import drain

TO_INDICATORS = SUBSCRIPTIONS[0]


def recorded(activity_id: str):
    day = dt.date(2024, 5, 1)
    return make_envelope("activities", ActivityRecorded(
        activity_id=activity_id, revision=1, org="cast", activity_type="caravan_tour",
        start_date=day, end_date=day, quantities={"sessions": 1}))


def test_without_the_operator_s_topology_a_publish_fails_and_nothing_is_dropped(rabbit_config):
    """A publisher declares nothing (no service may create or change the topology): on a broker
    without it (here a fresh vhost) the publish fails, so the outbox keeps the event; once the
    operator declared it, the event waits in its queue."""
    amqp_uri = rabbit_config["AMQP_URI"]
    publisher = EnvelopePublisher(amqp_uri)
    try:
        with pytest.raises(Exception, match="NOT_FOUND|no exchange"):
            publisher.publish([recorded("too-early")])
        with Connection(amqp_uri) as conn:
            declare_topology(conn)
        publisher.publish([recorded("first")])
    finally:
        publisher.close()
    (body, _), = drain(amqp_uri, TO_INDICATORS, expect=1, timeout=10)
    assert body["payload"]["activity_id"] == "first"


def test_a_service_refuses_to_start_without_the_topology_naming_what_is_missing(container_factory, settings):
    from services.indicators.service import IndicatorsService

    with pytest.raises(TopologyMissing, match="the operator declares the topology"):
        container_factory(IndicatorsService, settings.nameko_config()).start()
