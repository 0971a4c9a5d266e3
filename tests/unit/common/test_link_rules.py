"""A county's link to its city (libs/common/bus/link.py): the shovel's definition, the link user's
grant, reading the shovel's state, and who may send into the city's indicators queue."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from libs.common.bus.link import (
    CITY_QUEUE,
    SHOVEL_NAME,
    CityLink,
    county_of,
    link_state,
    shovel_definition,
)
from libs.common.bus.senders import COUNTY_LINK, event_refusal, role_of
from libs.common.bus.topology import FORWARD_QUEUE, SUBSCRIPTIONS, event_exchange, forward_queue
from libs.localenv.broker_access import county_grant
from libs.localenv.county_link import link_uri, vhost_of

OPERATORS = frozenset({"operator"})
URI = "amqps://county-qinghe:s%40cret@city.example.org:5671/%2F"


def test_the_shovel_moves_the_forward_queue_to_the_county_s_exchange_as_the_link_s_user_once_confirmed():
    value = shovel_definition(CityLink(URI, "/etc/kepu/city-ca.pem"), "/", {"x-queue-type": "quorum"})
    assert value["src-uri"] == "amqp://" and value["src-queue"] == FORWARD_QUEUE
    assert value["src-queue-args"] == {"x-queue-type": "quorum"}
    assert value["dest-exchange"] == "kepu.county.qinghe" and "dest-exchange-key" not in value  # keys kept
    assert value["dest-publish-properties"] == {"user_id": "county-qinghe"}  # else the city closes the channel
    assert value["ack-mode"] == "on-confirm" and value["reconnect-delay"] == 2
    dest = urlsplit(value["dest-uri"])
    assert (dest.scheme, dest.username, dest.password, dest.hostname, dest.port) == (
        "amqps", "county-qinghe", "s%40cret", "city.example.org", 5671)
    assert parse_qs(dest.query) == {"cacertfile": ["/etc/kepu/city-ca.pem"], "verify": ["verify_peer"],
                                    "server_name_indication": ["city.example.org"]}


def test_the_shovel_reads_the_county_s_own_vhost():
    assert shovel_definition(CityLink("amqp://county-qinghe:pw@10.0.0.2:5672/"), "kepu/prod", {})["src-uri"] == \
        "amqp:///kepu%2Fprod"
    assert vhost_of("amqp://u:p@h:1/kepu%2Fprod") == "kepu/prod" and vhost_of("amqp://u:p@h:1/") == "/"


@pytest.mark.parametrize(("link", "complaint"), [
    (CityLink("amqps://county-qinghe:pw@city:5671/"), "--tls-ca"),  # TLS must verify the city
    (CityLink("amqp://county-qinghe:pw@city:5672/", tls_ca="/ca.pem"), "amqps://"),
    (CityLink("amqps://activities:pw@city:5671/", tls_ca="/ca.pem"), "county-<region>"),
    (CityLink("amqps://county-qinghe:pw@city:5671/", tls_ca="/ca.pem", tls_cert="/c.pem"), "--tls-key"),
    (CityLink("http://county-qinghe:pw@city/"), "amqp://"),
])
def test_a_link_that_could_not_work_is_refused_saying_why(link, complaint):
    with pytest.raises(ValueError, match=complaint.replace("<", ".").replace(">", ".")):
        shovel_definition(link, "/", {})


def test_the_forward_queue_gets_the_activity_events_the_city_s_indicators_count():
    queue = forward_queue("quorum")
    assert {b.routing_key for b in queue.bindings} == {CITY_QUEUE.event_type, *CITY_QUEUE.also} == {
        "activity_recorded", "activities_recorded"}
    assert {b.exchange.name for b in queue.bindings} == {event_exchange("activities").name}
    assert queue.durable and queue.queue_arguments == {"x-queue-type": "quorum"}
    assert forward_queue("classic").queue_arguments == {}


def test_the_link_user_may_write_its_own_exchange_with_activity_keys_and_nothing_else():
    g = county_grant("qinghe")
    assert (g.user, g.configure, g.write, g.read) == ("county-qinghe", "^$", r"^(kepu\.county\.qinghe)$", "^$")
    assert g.topics == {"kepu.county.qinghe": ("^(activity_recorded|activities_recorded)$", "^$")}


def test_the_uri_for_the_county_carries_the_link_s_user_and_the_city_s_vhost():
    assert link_uri("amqps://city.example.org:5671", "/", "qinghe", "p/w") == \
        "amqps://county-qinghe:p%2Fw@city.example.org:5671/%2F"
    with pytest.raises(ValueError, match="--address"):
        link_uri("city.example.org:5671", "/", "qinghe", "pw")


def test_a_county_s_link_may_send_into_the_city_s_indicators_activity_queue_only():
    assert county_of("county-qinghe") == "qinghe" and county_of("county-") is None and county_of("gateway") is None
    assert role_of("county-qinghe", OPERATORS) == COUNTY_LINK
    assert event_refusal("county-qinghe", None, CITY_QUEUE.queue_name, OPERATORS) is None
    for sub in SUBSCRIPTIONS:
        if sub is not CITY_QUEUE:
            assert "may not send into" in event_refusal("county-qinghe", None, sub.queue_name, OPERATORS)
    # the indicators' own retry of a link's event keeps it acceptable; a forged claim does not help
    assert event_refusal("indicators", "county-qinghe", CITY_QUEUE.queue_name, OPERATORS) is None
    assert event_refusal("indicators", "notifications", CITY_QUEUE.queue_name, OPERATORS) is not None
    assert event_refusal("notifications", "county-qinghe", CITY_QUEUE.queue_name, OPERATORS) is not None


def test_check_says_in_words_whether_the_link_runs_and_what_to_do():
    running = link_state([{"name": SHOVEL_NAME, "state": "running", "dest_uri": "amqps://city:5671?cacertfile=x"}], 3)
    assert running.running and "runs" in running.summary and "3 event(s) wait" in running.summary
    refused = link_state([{"name": SHOVEL_NAME, "state": "terminated", "reason": "ACCESS_REFUSED - Login was refused"}],
                         12)
    assert not refused.running and "terminated" in refused.summary and "kepu link grant" in refused.advice
    assert "TLS" in link_state([{"name": SHOVEL_NAME, "state": "terminated", "reason": "{tls_alert, bad_certificate}"}],
                               0).advice
    assert "kepu link add" in link_state([], 0).advice and not link_state([], None).running
    assert "missing" in link_state([{"name": SHOVEL_NAME, "state": "running"}], None).summary
