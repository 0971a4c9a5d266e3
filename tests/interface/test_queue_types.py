"""Quorum queues on the real broker (issue 22, first step, on the one test node): the operator
declares every durable queue of the topology with ``x-queue-type: quorum`` when told to, a service
declares its RPC queue the same way and answers over it, the RPC reply queues stay transient
classic queues, and a queue declared again with another type is refused, never silently changed."""
from __future__ import annotations

import pytest
from amqp.exceptions import PreconditionFailed
from kombu import Connection

from libs.common.bus.topology import declare_topology, topology
from libs.common.rpc import ClusterRpcProxy
from services.organisations.service import OrganisationsService


def queues(rabbit_manager, vhost: str) -> dict[str, dict]:
    return {q["name"]: q for q in rabbit_manager.get_queues(vhost)}


@pytest.mark.parametrize("database_url_template", ["sqlite"], indirect=True)
def test_every_durable_queue_is_quorum_and_a_service_answers_over_one(rabbit_config, rabbit_manager,
                                                                       container_factory, settings):
    quorum = settings.model_copy(update={"broker_queue_type": "quorum"})
    with Connection(quorum.amqp_uri) as conn:
        declare_topology(conn, "quorum")
        declare_topology(conn, "quorum")  # the operator's declaration is idempotent
    container_factory(OrganisationsService, quorum.nameko_config()).start()
    with ClusterRpcProxy(quorum.nameko_config(), timeout=10) as proxy:
        assert any(o["code"] == "edu" for o in proxy.organisations.list_orgs("department"))
        found = queues(rabbit_manager, rabbit_config["vhost"])
    durable = {q.name for q in topology("quorum")} | {"rpc-organisations"}
    assert {name: found[name]["type"] for name in durable} == {name: "quorum" for name in durable}
    replies = [q for name, q in found.items() if name.startswith("rpc.reply-")]
    assert replies and all(q["type"] == "classic" and not q["durable"] for q in replies)


def test_a_queue_of_one_type_is_not_declared_again_as_the_other(rabbit_config):
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        declare_topology(conn, "classic")
        with pytest.raises(PreconditionFailed, match="x-queue-type"):
            declare_topology(conn, "quorum")
