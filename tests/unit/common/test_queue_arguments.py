"""Every durable queue of the operator's topology says its type when it is declared, the same way
each time (RabbitMQ fixes a queue's type at its first declaration and refuses another)."""
from __future__ import annotations

from libs.common.bus.topology import SUBSCRIPTIONS, TOPOLOGY, queue_arguments, topology


def test_on_a_cluster_every_durable_queue_is_quorum_and_on_one_node_none_names_a_type():
    assert all(q.durable and q.queue_arguments == {"x-queue-type": "quorum"} for q in topology("quorum"))
    assert all(not q.queue_arguments for q in topology("classic"))  # as brokers before quorum queues hold them
    assert [q.name for q in topology("quorum")] == [q.name for q in TOPOLOGY]
    assert len(TOPOLOGY) == len(SUBSCRIPTIONS) + 2  # the parked and the rebuild queues


def test_the_arguments_are_one_definition():
    assert queue_arguments("quorum") == {"x-queue-type": "quorum"} and queue_arguments("classic") == {}
