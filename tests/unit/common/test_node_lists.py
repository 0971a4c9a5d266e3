"""A broker of several nodes (issue 22, first step): a service's address lists the nodes (kombu's
``amqp://a;amqp://b``, tried in turn), its credentials are put on each, and the user the broker
stamps on its messages is read from it; copies of messages wait for the broker's confirm only so long."""
from __future__ import annotations

from kombu import Connection, Exchange

from libs.common.bus import publisher
from libs.common.bus.senders import broker_user
from libs.localenv.broker_access import service_uri

NODES = "amqp://operator:x@127.0.0.1:5682/kepu;amqp://operator:x@127.0.0.1:5685/kepu;amqp://127.0.0.1:5688/kepu"


def test_a_service_s_credentials_go_on_every_node_and_kombu_fails_over_between_them():
    uri = service_uri(NODES, "activities", "p@ss;word")
    assert uri.split(";") == [f"amqp://activities:p%40ss%3Bword@127.0.0.1:{port}/kepu" for port in (5682, 5685, 5688)]
    assert broker_user(uri) == "activities"
    connection = Connection(uri)
    assert (connection.hostname, connection.port, connection.userid, connection.password) == (
        "127.0.0.1", 5682, "activities", "p@ss;word")
    assert len(connection.alt) == 3  # kombu's alternates, switched to when one node refuses


def test_a_copy_waits_for_its_confirm_a_bounded_while(monkeypatch):
    """Without a majority a quorum queue neither acks nor nacks: the copy's publish must time out."""
    sent = {}

    class Recording:
        def __init__(self, channel):
            pass

        def publish(self, body, **options):
            sent.update(options)

    class Message:
        body, content_type, content_encoding = b"{}", "application/json", "utf-8"

    monkeypatch.setattr(publisher, "Producer", Recording)
    monkeypatch.setattr(publisher, "Connection", lambda *a, **k: Connection("memory://"))
    publisher.send_copy("amqp://indicators:x@127.0.0.1:5682/", Exchange("kepu.retry.indicators"), "q", Message(), {})
    assert sent["confirm_timeout"] == publisher.COPY_CONFIRM_TIMEOUT and sent["mandatory"] is True
