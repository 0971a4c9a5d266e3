"""`make bench BROKER_NODES=3` (issue 22): the same cases on the test node with classic queues and on
a cluster of the bench's own with quorum queues; each cluster row is read as a multiple of the same
case and database on the one node. No broker here: the pairing, the table and where the cluster lives."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from libs.localenv.cluster import RabbitCluster
from libs.localenv.rabbitmq import RabbitNode
from tests.bench.brokers import Broker, cluster_settings
from tests.bench.harness import BENCH_DIR, Vhost
from tests.bench.results import Result, apply_one_node_ratios, render, side_by_side

ONE, THREE = "1 node classic", "3 nodes quorum"


def row(case: str, value: float | None, db: str = "sqlite", broker: str = ONE) -> Result:
    return Result(case=case, db=db, value=value, unit="activities/s", broker=broker)


def test_a_cluster_row_is_a_multiple_of_the_same_case_on_the_same_database_on_one_node():
    one_node = [row("batch e2e", 2000.0), row("batch e2e", 1000.0, db="postgresql"), row("single ×1", 0.0),
                row("memory gateway", None)]
    cluster = [row("batch e2e", 1500.0, broker=THREE), row("batch e2e", 900.0, db="postgresql", broker=THREE),
               row("single ×1", 50.0, broker=THREE), row("memory gateway", 80.0, broker=THREE),
               row("baseline publish", 300.0, broker=THREE), row("catch-up", None, broker=THREE)]
    apply_one_node_ratios(cluster, one_node)
    assert [r.ratio_one_node for r in cluster] == [0.75, 0.9, None, None, None, None]
    assert all(r.ratio_one_node is None for r in one_node)


def test_each_one_node_row_is_followed_by_the_cluster_s_rows_of_its_case_and_database():
    a, b, c = row("baseline", 1.0), row("batch", 2.0), row("batch", 3.0, db="postgresql")
    qa, qc, qx = row("baseline", 1.0, broker=THREE), row("batch", 3.0, "postgresql", THREE), row("new", 1.0, broker=THREE)
    assert side_by_side([a, b, c], [qx, qc, qa]) == [a, qa, b, c, qc, qx]
    assert side_by_side([a], []) == [a]


def test_the_table_names_the_broker_and_the_one_node_ratio_only_when_two_brokers_are_in_it():
    def headers(rows: list[Result]) -> list[str]:
        return [column.header for column in render(rows, "t").columns]

    assert "broker" not in headers([row("batch", 1.0)]) and "× 1 node classic" not in headers([row("batch", 1.0)])
    on_cluster = row("batch", 1.5, broker=THREE)
    on_cluster.ratio_one_node = 1.5
    assert {"broker", "× 1 node classic"} <= set(headers([row("batch", 1.0), on_cluster]))
    console = Console(width=300, record=True)
    console.print(render([row("batch", 1.0), on_cluster], "t"))
    assert "1.50×" in console.export_text()


def test_the_bench_s_cluster_has_names_ports_and_folders_of_its_own_clear_of_the_test_node():
    test_node = RabbitNode(base=Path("/x/var/bench/env/test/rabbitmq"), node="kepu-bench@localhost", port=5892,
                           mgmt_port=15892, metrics_port=15893, dist_port=25892)
    cluster = RabbitCluster.from_settings(cluster_settings(test_node, 3), profile="cluster", count=3)
    assert [n.node for n in cluster.nodes] == [
        "kepu-bench-cluster@localhost", "kepu-bench-cluster-2@localhost", "kepu-bench-cluster-3@localhost"]
    assert [n.port for n in cluster.nodes] == [5902, 5905, 5908]
    assert [n.base for n in cluster.nodes] == [BENCH_DIR / "cluster" / f"rabbitmq{s}" for s in ("", "-2", "-3")]
    taken = {test_node.port, test_node.port + 1, test_node.mgmt_port, test_node.metrics_port, test_node.dist_port}
    ours = [p for n in cluster.nodes for p in (n.port, n.mgmt_port, n.metrics_port, n.dist_port)]
    assert len(set(ours)) == len(ours) and not taken & set(ours)


def test_a_system_on_the_cluster_gets_its_vhost_on_every_node():
    vhost = Vhost("http://a:b@127.0.0.1:15902", "amqp://kepu-admin:p@127.0.0.1:5902/;amqp://kepu-admin:p@127.0.0.1:5905/",
                  name="kepu-bench-1")
    assert vhost.amqp_uri == "amqp://kepu-admin:p@127.0.0.1:5902/kepu-bench-1;amqp://kepu-admin:p@127.0.0.1:5905/kepu-bench-1"
    assert vhost.user == "kepu-admin"
    assert Broker(THREE, vhost.amqp_uri, "", "quorum").slug == "3nodes-quorum"
    assert Broker(ONE, "", "", "classic").slug == "1node-classic"
