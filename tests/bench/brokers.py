"""The brokers a bench run puts its systems on: the one node `kepu test-env` started (classic
queues, as always), and with ``--broker-nodes N`` a RabbitMQ cluster of the bench's own (quorum
queues), so that both are measured in the same run on the same machine.

The cluster is the bench's: its nodes are named after the test node (``<name>-cluster``,
``<name>-cluster-2`` …), listen ``CLUSTER_PORT_OFFSET`` above the test node's ports (node k another
3×(k-1) up, as ``RabbitCluster`` lays them out) and keep their data under ``var/bench/cluster``. It
is started once and stopped at the end of the run, whatever ends it. `kepu test-env` kills the
bench a quarter of a second after a Ctrl-C, too soon to stop three nodes, and the nodes run in
sessions of their own; so a guard process (``python -m tests.bench.brokers --guard PID N``) waits for
the bench to exit and then stops whatever of the cluster still runs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from libs.common.bus.topology import QueueType
from libs.common.settings import REPO_ROOT, Settings
from libs.localenv.cluster import RabbitCluster
from libs.localenv.ports import port_in_use
from libs.localenv.rabbitmq import RabbitNode
from libs.localenv.testenv import test_broker
from tests.bench.harness import BENCH_DIR, alive

CLUSTER_PORT_OFFSET = 10  # clear of the test node's AMQP, PostgreSQL (+1), management and metrics ports
CLUSTER_PROFILE = "cluster"  # the nodes' folders: var/bench/cluster/rabbitmq, rabbitmq-2, …


@dataclass(frozen=True)
class Broker:
    """Where one system of the bench runs: the administrator's AMQP URI (a node list for a cluster)
    and management API, the type of its durable queues, and what to call it in the table."""

    label: str
    amqp_uri: str
    api_uri: str
    queue_type: QueueType
    cluster: RabbitCluster | None = None

    @property
    def slug(self) -> str:
        """For file names: ``1node-classic``, ``3nodes-quorum``."""
        return self.label.replace(" node", "node").replace(" ", "-")

    def settle(self, vhost: str) -> list[str]:
        """On a cluster, as `kepu run` does once its services declared their queues: every quorum
        queue onto every node, the leaders spread over them; returns the queues of ``vhost`` that
        still lack a member. Nothing to do on one node."""
        if self.cluster is None:
            return []
        self.cluster.settle()
        return self.cluster.under_replicated(vhost)

    def leaders(self, vhost: str) -> dict[str, int]:
        """How many of ``vhost``'s quorum queues each node leads (a cluster's work goes to its leaders)."""
        if self.cluster is None:
            return {}
        return dict(Counter(q.get("leader", "?") for q in self.cluster.quorum_queues(vhost).values()))


def test_env_broker() -> Broker:
    """The node `kepu test-env` started (it exports KEPU_AMQP_URI and KEPU_RABBIT_API_URI)."""
    amqp, api = os.environ.get("KEPU_AMQP_URI"), os.environ.get("KEPU_RABBIT_API_URI")
    if not (amqp and api):
        raise SystemExit("no test broker: run this through `make bench` (kepu test-env exports KEPU_AMQP_URI "
                         "and KEPU_RABBIT_API_URI)")
    return Broker("1 node classic", amqp, api, "classic")


def cluster_settings(test_node: RabbitNode, count: int) -> Settings:
    """The settings `RabbitCluster` builds the bench's cluster from: named after the test node, on
    ports ``CLUSTER_PORT_OFFSET`` above its ports."""
    name, _, host = test_node.node.partition("@")
    return Settings(var_dir=BENCH_DIR, broker_node=f"{name}-cluster@{host}", broker_nodes=count,
                    broker_port=test_node.port + CLUSTER_PORT_OFFSET,
                    broker_mgmt_port=test_node.mgmt_port + CLUSTER_PORT_OFFSET,
                    broker_metrics_port=test_node.metrics_port + CLUSTER_PORT_OFFSET,
                    broker_dist_port=test_node.dist_port + CLUSTER_PORT_OFFSET)


def bench_cluster(count: int) -> RabbitCluster:
    return RabbitCluster.from_settings(cluster_settings(test_broker(), count), profile=CLUSTER_PROFILE, count=count)


@contextmanager
def running_cluster(count: int, say: Callable[[str], None]) -> Iterator[Broker]:
    """The bench's cluster of ``count`` nodes, started (and joined) for the block and stopped after
    it, also on Ctrl-C, a crash, or the bench being killed (the guard)."""
    cluster = bench_cluster(count)
    guard = _start_guard(count)
    try:
        say(f"starting a RabbitMQ cluster of {count} nodes ({cluster.node}; AMQP {cluster.address}; "
            f"data in {cluster.base.parent}, made afresh) …")
        started = time.perf_counter()
        fresh(cluster)
        cluster.start()
        say(f"cluster up in {time.perf_counter() - started:.0f}s")
        yield Broker(f"{count} nodes quorum", cluster.amqp_uri, cluster.api_uri, "quorum", cluster)
    finally:
        say("stopping the cluster …")
        stop_leftovers(cluster, boot_wait=0)
        guard.terminate()
        guard.wait()


def _start_guard(count: int) -> subprocess.Popen:
    folder = BENCH_DIR / CLUSTER_PROFILE
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "guard.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.bench.brokers", "--guard", str(os.getpid()), str(count)],
                                cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)  # a Ctrl-C or a kill of the bench must not end it


def fresh(cluster: RabbitCluster) -> None:
    """Blank nodes, joined anew in every run: nodes of RabbitMQ 3.10 restarted together from their
    data can fail to boot (one syncs its feature flags with a peer still booting and stops with
    ``incompatible_feature_flags``), and nothing of an earlier run is worth keeping."""
    stop_leftovers(cluster, boot_wait=0)  # of a run that was killed before its guard could act
    for node in cluster.nodes:
        shutil.rmtree(node.base, ignore_errors=True)


def stop_leftovers(cluster: RabbitCluster, boot_wait: float = 90) -> list[str]:
    """Stop every node of ``cluster`` that still answers, after waiting up to ``boot_wait`` for one
    still booting (its distribution port open, not answering yet). By name, not by pid file: the
    bench's own stop may have been cut short after removing it. Returns the nodes stopped."""
    deadline = time.monotonic() + boot_wait
    for node in cluster.nodes:
        while port_in_use(node.dist_port) and not _answers(node) and time.monotonic() < deadline:
            time.sleep(1)
    running = [n for n in cluster.nodes if port_in_use(n.dist_port) and _answers(n)]
    if running:
        with ThreadPoolExecutor(len(running)) as pool:  # together: each would wait for the others to sync
            list(pool.map(_stop_or_kill, running))
    for node in cluster.nodes:
        node.pid_file.unlink(missing_ok=True)
    return [n.node for n in running]


def _stop_or_kill(node: RabbitNode, timeout: float = 60) -> None:
    """``rabbitmqctl stop``; a node stuck at boot (waiting for the tables of a peer that failed) does
    not stop so within ``timeout``: then its VM is killed (its pid is in its pid file)."""
    try:
        node.ctl("stop", timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.kill(int(node.pid_file.read_text().strip()), signal.SIGKILL)
        except (OSError, ValueError):  # no pid file, or the VM is gone meanwhile
            pass


def _answers(node: RabbitNode) -> bool:
    return node.ctl("ping", timeout=20).returncode == 0


def guard(parent: int, count: int, poll: float = 0.5) -> None:
    """Wait until the bench process ``parent`` is gone, then stop what is left of its cluster."""
    while alive(parent):
        time.sleep(poll)
    stopped = stop_leftovers(bench_cluster(count))
    print(f"bench (pid {parent}) gone; stopped {', '.join(stopped) or 'nothing: the bench had'}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.brokers", description=guard.__doc__)
    parser.add_argument("--guard", type=int, required=True, metavar="PID", help="The bench process to outlive.")
    parser.add_argument("nodes", type=int, help="How many nodes its cluster has.")
    args = parser.parse_args(argv)
    guard(args.guard, args.nodes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
