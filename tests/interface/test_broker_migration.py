"""Issue 22, moving a single node to a cluster: a node with classic queues holding events (no
consumer running) and parked messages becomes the seed of a three-node cluster; every queue is then
a quorum queue with a member on each node, holding the same messages (bodies and headers, the
sender recorded), and the indicators service counts the held events once.

The nodes are this test's own (ports ``KEPU_TEST_MIGRATION_BROKER_PORT``, default 9 above the
test node's, each node 3 above the last; names ``<test node>-mig``), in a temporary folder."""
from __future__ import annotations

import datetime as dt
import os
from types import SimpleNamespace

import pytest
from kombu import Connection, Producer, Queue

from libs.common.bus.dead_letters import PARKED_BY_HEADER, park_message, replay_dead_letters
from libs.common.bus.migrate import MIGRATING, MigrationRefused, migrate_queues, queue_type
from libs.common.bus.senders import SENDER_HEADER, broker_user
from libs.common.bus.topology import DEAD_LETTER_QUEUE, SUBSCRIPTIONS, declare_topology, rpc_queue, topology
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import Settings
from libs.localenv.cluster import RabbitCluster
from libs.localenv.migrate import migrate_local
from libs.localenv.rabbitmq import RabbitNode
from libs.localenv.supervisor import broker_users
from libs.localenv.testenv import TEST_BROKER
from services.indicators.service import IndicatorsService
from tests.interface.helpers import publish, wait_until
from tests.interface.test_indicators import caravan, value

HELD, PARKED = 40, 3
ACTIVITY_QUEUE = SUBSCRIPTIONS[0].queue_name


@pytest.fixture
def single_node(tmp_path):
    """One node as `kepu run` made it before the cluster: classic queues, the services' users."""
    port = int(os.environ.get("KEPU_TEST_MIGRATION_BROKER_PORT",
                              int(os.environ.get("KEPU_TEST_BROKER_PORT", TEST_BROKER["broker_port"])) + 9))
    name, _, host = os.environ.get("KEPU_TEST_BROKER_NODE", "kepu-test@localhost").partition("@")
    settings = Settings(var_dir=tmp_path, broker_node=f"{name}-mig@{host}", broker_port=port,
                        broker_mgmt_port=port + 10000, broker_metrics_port=port + 10001,
                        broker_dist_port=port + 20000, broker_nodes=1, bus_operators="operator",
                        metrics_port_base=-1, outbox_interval=0.05, evaluate_interval=3600,
                        as_of=dt.date(2024, 6, 30))
    node = RabbitNode.from_settings(settings)
    node.start()
    try:
        with Connection(node.amqp_uri) as conn:
            declare_topology(conn, "classic")
            rpc_queue("indicators", "classic")(conn.default_channel).declare()  # as the service had
        uris = broker_users(node, settings.model_copy(update={"amqp_uri": node.amqp_uri}))
        yield settings, uris
    finally:
        RabbitCluster.from_settings(settings, count=3).stop()


def peek(amqp_uri: str, queue: str) -> list[tuple[bytes, dict, str]]:
    """(body, headers, user_id) of every message of ``queue``, left in place."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        taken = Queue(queue, no_declare=True)(channel)
        found = []
        while (message := taken.get(no_ack=False)) is not None:
            headers = {k: v for k, v in (message.headers or {}).items() if k != "x-delivery-count"}  # the broker's
            found.append((message.body, headers, message.properties.get("user_id")))
        channel.close()  # unacked: all back in the queue
    return found


def test_a_single_node_s_held_and_parked_messages_move_into_quorum_queues_on_three_nodes_and_count_once(
        single_node, container_factory):
    settings, uris = single_node
    publish(uris["activities"], *(caravan(1, activity_id=f"held-{i}") for i in range(HELD)))
    for i in range(PARKED):  # parked by indicators, as its consumer parks: valid events, replayable
        event = caravan(1, activity_id=f"parked-{i}")
        park_message(uris["indicators"], SimpleNamespace(body=event.model_dump_json().encode(), headers={},
                                                         content_type="application/json", content_encoding="utf-8"),
                     "a database was away", ACTIVITY_QUEUE, "activities")
    wait_until(lambda: len(peek(uris["operator"], ACTIVITY_QUEUE)) == HELD)
    held_before, parked_before = peek(uris["operator"], ACTIVITY_QUEUE), peek(uris["operator"], DEAD_LETTER_QUEUE)
    assert len(parked_before) == PARKED

    cluster_settings = settings.model_copy(update={"broker_nodes": 3, "broker_queue_type": "quorum",
                                                   "amqp_uri": uris["operator"]})
    moves = migrate_local(cluster_settings, say=lambda line: None)

    assert {m.name: m.moved for m in moves if m.moved} == {ACTIVITY_QUEUE: HELD, DEAD_LETTER_QUEUE: PARKED}
    assert not any(m.parked for m in moves)
    cluster = RabbitCluster.from_settings(cluster_settings)
    quorum = cluster.quorum_queues()
    durable = {q.name for q in topology("quorum")} | {"rpc-indicators"}
    assert durable <= set(quorum) and not [n for n in quorum if n.endswith(MIGRATING)]
    assert all(len(quorum[name]["members"]) == 3 for name in durable) and not cluster.under_replicated()
    held_after = peek(uris["operator"], ACTIVITY_QUEUE)
    assert [body for body, _, _ in held_after] == [body for body, _, _ in held_before]
    assert [headers for _, headers, _ in held_after] == [{**h, SENDER_HEADER: user} for _, h, user in held_before]
    assert {user for _, _, user in held_after} == {"operator"}
    assert [(b, h) for b, h, _ in peek(uris["operator"], DEAD_LETTER_QUEUE)] == \
        [(b, {**h, PARKED_BY_HEADER: user}) for b, h, user in parked_before]
    again = migrate_queues(uris["operator"], cluster_settings.operator_users, say=lambda line: None)
    assert all(m.already for m in again)  # a second run finds nothing left to do

    config = cluster_settings.model_copy(update={"amqp_uri": uris["indicators"]}).nameko_config()
    (settings.var_dir / "db").mkdir(exist_ok=True)
    service = container_factory(IndicatorsService, config)
    service.start()
    try:  # stopped before the cluster is (the fixture's)
        with ClusterRpcProxy(cluster_settings.nameko_config(), timeout=10) as proxy:
            wait_until(lambda: value(proxy.indicators) == HELD, timeout=30)
            assert replay_dead_letters(uris["operator"], cluster_settings.operator_users).replayed == PARKED
            wait_until(lambda: value(proxy.indicators) == HELD + PARKED, timeout=30)
    finally:
        service.stop()
    assert peek(uris["operator"], DEAD_LETTER_QUEUE) == []  # none parked by the move, none left


def put(amqp_uri: str, queue: str, bodies: list[str]) -> None:
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.default_channel)
        for body in bodies:
            producer.publish(body, routing_key=queue, content_type="text/plain", delivery_mode=2,
                             user_id=broker_user(amqp_uri))


def test_a_run_cut_short_mid_move_is_finished_by_the_next_losing_nothing(rabbit_config):
    """The state a crash leaves while messages move out: some still in the classic queue, some
    (and a copy of one whose ack was lost) in the temporary quorum queue. One node suffices."""
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as conn:
        declare_topology(conn, "classic")
        Queue(ACTIVITY_QUEUE + MIGRATING, durable=True,
              queue_arguments={"x-queue-type": "quorum"})(conn.default_channel).declare()
    put(uri, ACTIVITY_QUEUE + MIGRATING, ["e1", "e2", "e3"])
    put(uri, ACTIVITY_QUEUE, ["e3", "e4", "e5"])  # e3 copied, its ack lost: a duplicate, dropped by event id

    moves = migrate_queues(uri, frozenset({broker_user(uri)}), say=lambda line: None)

    assert {m.name: m.moved for m in moves if m.moved} == {ACTIVITY_QUEUE: 6}
    assert [body for body, _, _ in peek(uri, ACTIVITY_QUEUE)] == ["e1", "e2", "e3", "e3", "e4", "e5"]
    with Connection(uri) as conn:
        assert {q.name: queue_type(conn, q.name) for q in topology()} == {q.name: "quorum" for q in topology()}
        assert queue_type(conn, ACTIVITY_QUEUE + MIGRATING) is None


def test_it_refuses_while_a_service_consumes_and_as_anyone_but_an_operator(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as conn:
        declare_topology(conn, "classic")
        Queue(ACTIVITY_QUEUE, no_declare=True)(conn.default_channel).consume()  # a service still running
        with pytest.raises(MigrationRefused, match=f"stop the services.*{ACTIVITY_QUEUE} has 1 consumer"):
            migrate_queues(uri, frozenset({broker_user(uri)}), say=lambda line: None)
    with pytest.raises(MigrationRefused, match="connect as an operator"):
        migrate_queues(uri, frozenset({"operator"}), say=lambda line: None)
    with Connection(uri) as conn:  # nothing was changed
        assert queue_type(conn, ACTIVITY_QUEUE) == "classic"
