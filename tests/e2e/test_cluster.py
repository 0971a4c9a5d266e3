"""`kepu run --broker-nodes 3`: a three-node RabbitMQ cluster with quorum queues, broken on purpose.

One system for the module, on a cluster of its own (ports clear of both lanes' test nodes and the
bench's). While a department system streams reports, `kill -9` hits a node the services are not
connected to, then the one they are (node 1: the first of every node list), each restarted after:
the stream goes on, every accepted report is counted exactly once, the queues' leaders leave the
dead node and the restarted node's replicas catch up. Then two of the three nodes die: the
survivor pauses (``pause_minority``) and reports are refused with UNAVAILABLE rather than accepted
and lost; once a majority is back the same report, resent, is accepted and counted once.
"""
from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from libs.common.bus.dead_letters import peek_dead_letters
from libs.common.bus.topology import ACTIVITY_COUNTING, SUBSCRIPTIONS
from libs.common.settings import SERVICES, Settings, with_local_broker
from libs.localenv.cluster import RabbitCluster
from libs.localenv.ports import free_port, free_range
from libs.localenv.testenv import TEST_BROKER
from tests.chaos.harness import start_stream, stream_result
from tests.e2e.system import CARAVAN_2024, kepu, metric, settled_count, start_system, stop_system
from tests.eventually import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
CLUSTER_SHIFT = 30  # above the first lane's test node, below the second lane's (+50) and the bench's (+100)
ACTIVITY_QUEUE = ACTIVITY_COUNTING.queue_name


@pytest.fixture(scope="module")
def cluster_env(tmp_path_factory):
    """`kepu run` with three broker nodes, its env (for `kepu` commands) and the cluster."""
    var = tmp_path_factory.mktemp("cluster")
    ports = {name: int(os.environ.get(f"KEPU_TEST_{name.upper()}", port)) + CLUSTER_SHIFT
             for name, port in TEST_BROKER.items()}
    env = {k: v for k, v in os.environ.items() if k not in ("KEPU_AMQP_URI", "KEPU_RABBIT_API_URI")}
    env |= {"KEPU_VAR_DIR": str(var), "KEPU_BROKER_NODES": "3", "KEPU_BROKER_NODE": "kepu-testc@localhost",
            **{f"KEPU_{name.upper()}": str(port) for name, port in ports.items()},
            "KEPU_MANAGE_BROKER": "1", "KEPU_AS_OF": "2024-06-30",
            "KEPU_EVALUATE_INTERVAL": "3600", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    metrics = free_range(40)
    grpc, portal = (eventually(lambda: (p := free_port()) not in range(metrics, metrics + 40) and p) for _ in "gp")
    env |= {"KEPU_METRICS_PORT_BASE": str(metrics), "KEPU_GRPC_PORT": str(grpc), "KEPU_PORTAL_PORT": str(portal)}
    settings = Settings(amqp_uri="", var_dir=var, broker_nodes=3, broker_node="kepu-testc@localhost", **ports)
    cluster = RabbitCluster.from_settings(settings)
    proc, _ = start_system(env)
    try:
        yield env, cluster, settings
    finally:
        for index, node in enumerate(cluster.nodes):  # a failed test may have left one down
            if not node.pid_file.exists():
                cluster.restart(index)
        stop_system(proc)
        cluster.stop()


def operator_uri(settings: Settings) -> str:
    return with_local_broker(settings).amqp_uri  # the operator `kepu run` granted, on the node list


def counted(env) -> float:
    return metric(env, "indicators", CARAVAN_2024) or 0.0


def counted_more(env, than: float, timeout: float = 120) -> tuple[float, float]:
    """Once reports are counted beyond ``than``: the count, and how long that took."""
    started = time.monotonic()
    now = eventually(lambda: (got := counted(env)) > than and got, timeout=timeout,
                     what=f"reports counted beyond {than:g}", every=0.2)
    return now, time.monotonic() - started


def all_replicas_online(cluster: RabbitCluster) -> bool:
    everyone = {n.node for n in cluster.nodes}
    queues = cluster.quorum_queues()
    return bool(queues) and all(set(q.get("online", [])) == everyone for q in queues.values())


def caught_up(cluster: RabbitCluster, node: str) -> bool:
    """``node``'s replica of the activity queue has committed all its leader has."""
    replicas = cluster.raft_status(ACTIVITY_QUEUE)
    leader = next(r for r in replicas.values() if r["Raft State"] == "leader")
    return node in replicas and replicas[node]["Commit Index"] == leader["Commit Index"]


def test_the_cluster_forms_with_every_queue_a_quorum_queue_on_every_node(cluster_env):
    env, cluster, _ = cluster_env
    check = kepu(env, "broker", "check")
    assert "3 nodes running" in check.stdout and "each on every node" in check.stdout, check.stdout
    queues = cluster.quorum_queues()
    expected = {s.queue_name for s in SUBSCRIPTIONS} | {f"rpc-{name}" for name in SERVICES}
    assert expected <= set(queues), expected - set(queues)
    assert all(len(q["members"]) == 3 for q in queues.values()), {n: q["members"] for n, q in queues.items()}
    leaders = {q["leader"] for q in queues.values()}
    assert len(leaders) == 3, leaders  # spread, not all on the node that declared them
    status = kepu(env, "broker", "status")
    assert status.stdout.count(": running") == 3, status.stdout


def test_a_node_whose_vm_dies_while_booting_is_launched_again(cluster_env):
    """What RabbitMQ 3.10's feature-flag race does to a node restarted with its peers: it stops
    while booting. `kepu run` (``RabbitCluster.start``) launches it again and it rejoins."""
    _, cluster, _ = cluster_env
    node = cluster.nodes[2]
    node.stop()
    node.launch()
    first = eventually(lambda: node.vm_pid(), timeout=30, what="node 3's VM started")
    os.kill(first, signal.SIGKILL)
    RabbitCluster._boot(node, timeout=90)
    assert node.vm_pid() not in (None, first)
    eventually(lambda: all_replicas_online(cluster), timeout=60, what="node 3's replicas back online")


def test_kill_9_of_a_node_mid_stream_loses_and_doubles_nothing(cluster_env):
    env, cluster, settings = cluster_env
    token = kepu(env, "org", "token", "cast").stdout.strip().splitlines()[-1]
    stream = start_stream(env, token, rate=40, count=1200, prefix=f"cluster-{uuid.uuid4().hex[:6]}")
    resumed = {}
    try:
        now, _ = counted_more(env, 0.0)
        # node 2: no service is connected to it, but it leads some queues
        led = {name for name, q in cluster.quorum_queues().items() if q["leader"] == cluster.nodes[1].node}
        cluster.kill(1)
        now, resumed["node 2 killed"] = counted_more(env, now)
        moved = cluster.quorum_queues()
        assert all(moved[name]["leader"] != cluster.nodes[1].node for name in led), "leaders stayed on a dead node"
        cluster.restart(1)
        eventually(lambda: all_replicas_online(cluster), timeout=60, what="node 2's replicas back online")
        # node 1: every service, the gateway and the outbox relays are connected to it
        cluster.kill(0)
        now, resumed["node 1 killed"] = counted_more(env, now)
        cluster.restart(0)
        eventually(lambda: all_replicas_online(cluster), timeout=60, what="node 1's replicas back online")
        eventually(lambda: caught_up(cluster, cluster.nodes[0].node), timeout=60,
                   what="node 1's replica of the activity queue caught up")
    finally:
        result = stream_result(stream, timeout=600)
    print(f"reports counted again after: {resumed}; stream: {result}")
    assert result["given_up"] == 0 and result["refused"] == 0, result
    assert settled_count(env, token, lambda: counted(env), result["sessions"]) == result["sessions"]
    assert peek_dead_letters(operator_uri(settings)) == []
    assert kepu(env, "broker", "check").returncode == 0


def test_two_of_three_nodes_lost_refuses_reports_until_a_majority_is_back(cluster_env):
    env, cluster, _ = cluster_env
    token = kepu(env, "org", "token", "cast").stdout.strip().splitlines()[-1]
    before = counted(env)
    report = ("activity", "report", "caravan_tour", "--date", "2024-03-01", "-q", "sessions=7",
              "--external-id", f"majority-{uuid.uuid4().hex[:6]}", "--token", token)
    cluster.kill(1)
    cluster.kill(2)
    try:
        refused = kepu(env, *report, check=False)
        assert refused.returncode != 0, refused.stdout
        assert "UNAVAILABLE" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    finally:
        cluster.restart(1)
    accepted = eventually(lambda: (r := kepu(env, *report, check=False)).returncode == 0 and r, timeout=120,
                          what="the report accepted once a majority is back", every=1)
    assert "UNAVAILABLE" not in accepted.stdout
    cluster.restart(2)
    assert settled_count(env, token, lambda: counted(env), before + 7) == before + 7
