"""A project-local RabbitMQ cluster: ``KEPU_BROKER_NODES`` nodes on this machine, one Erlang cookie.

Node 1 is the single node ``make run`` always had (its name, ports and ``var/run/rabbitmq``), so an
existing node becomes the cluster's seed with its data; node k is ``<name>-k`` with its own folder
(``var/run/rabbitmq-k``) and ports ``BROKER_PORT_STEP`` × (k-1) above node 1's. The nodes share node 1's
HOME (the cookie) and administrator, listen on loopback only, and pause when they see no majority
(``pause_minority``): a lone node refuses connections rather than taking messages no quorum can hold.

Quorum queues get a replica on every node that runs when they are declared; RabbitMQ 3.10 does not
add one later to a node that joins or returns, so ``settle`` grows every queue onto every node and
spreads the leaders, and ``under_replicated`` names the queues that still lack a member.
"""
from __future__ import annotations

import json
import secrets
import string
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from libs.common.settings import BROKER_PORT_STEP, Settings, node_list_uri
from libs.localenv.ports import port_in_use
from libs.localenv.rabbitmq import ADMIN, RABBIT_BIN, RabbitNode

# idle schedulers of three VMs otherwise spin on two cores beside the work they serve
LEAN_VM = "+sbwt none +sbwtdcpu none +sbwtdio none"
CLUSTER_CONFIG = "cluster_partition_handling = pause_minority\n"


def node_name(first: str, index: int) -> str:
    """``kepu@localhost`` for index 0, ``kepu-2@localhost`` for index 1, ..."""
    if index == 0:
        return first
    name, _, host = first.partition("@")
    return f"{name}-{index + 1}@{host}"


def node_ports(settings: Settings, index: int) -> dict[str, int]:
    step = BROKER_PORT_STEP * index
    return {"port": settings.broker_port + step, "mgmt_port": settings.broker_mgmt_port + step,
            "metrics_port": settings.broker_metrics_port + step, "dist_port": settings.broker_dist_port + step}


@dataclass
class RabbitCluster:
    nodes: list[RabbitNode]

    @classmethod
    def from_settings(cls, settings: Settings, profile: str = "run", count: int | None = None) -> "RabbitCluster":
        count = count or settings.broker_nodes
        seed = settings.var_dir / profile / "rabbitmq"
        nodes = [RabbitNode(base=seed if i == 0 else seed.with_name(f"rabbitmq-{i + 1}"),
                            node=node_name(settings.broker_node, i), **node_ports(settings, i),
                            home=seed / "home", admin_file=seed / "admin.json",
                            extra_config=CLUSTER_CONFIG, erl_args=LEAN_VM)
                 for i in range(count)]
        return cls(nodes)

    # what a single RabbitNode offers, so `kepu run` and the tests use either alike
    @property
    def seed(self) -> RabbitNode:
        return self.nodes[0]

    @property
    def node(self) -> str:
        return ", ".join(n.node for n in self.nodes)

    @property
    def base(self) -> Path:
        return self.seed.base

    @property
    def port(self) -> int:
        return self.seed.port

    @property
    def mgmt_port(self) -> int:
        return self.seed.mgmt_port

    @property
    def metrics_port(self) -> int:
        return self.seed.metrics_port

    @property
    def metrics_ports(self) -> list[int]:
        return [n.metrics_port for n in self.nodes]

    @property
    def admin_password(self) -> str:
        return self.seed.admin_password

    @property
    def amqp_uri(self) -> str:
        """The administrator's node list."""
        return node_list_uri(ADMIN, self.admin_password, [n.port for n in self.nodes])

    @property
    def api_uri(self) -> str:
        """The management API of the first node that runs (any node serves the whole cluster)."""
        return self._running().api_uri

    @property
    def address(self) -> str:
        return ";".join(n.address for n in self.nodes)

    def is_running(self) -> bool:
        return all(n.is_running() for n in self.nodes)

    def start(self, timeout: float = 120) -> bool:
        """Start the nodes that do not run, all at once, join new ones to the seed, wait for all.
        Returns whether this call started any (so the caller stops only what it started)."""
        down = [n for n in self.nodes if not n.is_running()]
        try:
            if down:
                self._share_cookie()
                for node in down:
                    node.launch()
                with ThreadPoolExecutor(len(down)) as pool:
                    list(pool.map(lambda n: self._boot(n, timeout), down))
            if self._join_all():  # queues the seed held before they joined get replicas on them
                self.settle()
        except BaseException:  # nothing this call launched is left running
            for node in down:
                node.stop(timeout=30)
            raise
        return bool(down)

    @staticmethod
    def _boot(node: RabbitNode, timeout: float, attempts: int = 3) -> None:
        """Wait for a launched node; launch it again if its VM died while booting. RabbitMQ 3.10 nodes
        restarted together can race on their feature flags (``incompatible_feature_flags``: one
        syncs with a peer still booting and stops), while the others wait at boot for it. Watched
        here, not by `rabbitmqctl wait`, which waits its whole timeout for a VM that is gone."""
        for attempt in range(1, attempts + 1):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if node.written_pid() is not None and node.vm_pid() is None:
                    break  # died while booting
                if node.vm_pid() is not None and port_in_use(node.port):  # its AMQP listener is open
                    node.await_up(timeout)
                    return
                time.sleep(0.3)
            else:
                raise SystemExit(f"RabbitMQ {node.node} did not start within {timeout:.0f}s; see {node.base / 'log'}")
            if attempt == attempts:
                raise SystemExit(f"RabbitMQ {node.node} stopped while booting, {attempts} times; "
                                 f"see {node.base / 'log'}")
            node.launch()

    def _share_cookie(self) -> None:
        """One cookie for every node and CLI call, written before any VM could make its own."""
        cookie = self.seed.home / ".erlang.cookie"
        if cookie.exists():
            return
        cookie.parent.mkdir(parents=True, exist_ok=True)
        cookie.write_text("".join(secrets.choice(string.ascii_uppercase) for _ in range(20)))
        cookie.chmod(0o400)

    def members(self) -> set[str]:
        """The nodes the seed counts in its cluster (running or not)."""
        answer = self.seed.ctl("cluster_status", "--formatter", "json")
        if answer.returncode != 0:
            raise SystemExit(f"cannot read the cluster's status from {self.seed.node}: {answer.stderr.strip()}")
        return set(json.loads(answer.stdout)["disk_nodes"])

    def _join_all(self, timeout: float = 90) -> list[RabbitNode]:
        """Join the nodes the seed does not count yet; returns them."""
        members = self.members()
        joining = [n for n in self.nodes[1:] if n.node not in members]
        for node in joining:
            # a blank node of its own: it forgets that and joins the seed's (users, vhosts, queues)
            for step in (("stop_app",), ("reset",), ("join_cluster", self.seed.node), ("start_app",)):
                done = node.ctl(*step, timeout=timeout)
                if done.returncode != 0:
                    raise SystemExit(f"{node.node} could not {' '.join(step)}: {done.stderr.strip()}; "
                                     f"see {node.base / 'log'}")
        waited = self.seed.ctl("await_online_nodes", str(len(self.nodes)), "--timeout", str(int(timeout)),
                               timeout=timeout + 10)
        if waited.returncode != 0:
            raise SystemExit(f"the cluster did not see {len(self.nodes)} nodes online: {waited.stderr.strip()}")
        return joining

    def queues_cli(self, *args: str, via: RabbitNode | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        via = via or self._running()
        return subprocess.run([str(RABBIT_BIN / "rabbitmq-queues"), "-n", via.node, *args], env=via.env(),
                              capture_output=True, text=True, timeout=timeout)

    def _running(self) -> RabbitNode:
        return next((n for n in self.nodes if n.pid_file.exists()), self.seed)

    def settle(self) -> list[str]:
        """Every quorum queue onto every running node, and, when all run, leaders spread; returns
        the queues that still lack a member (a node is down: run again once it is back)."""
        running = [n for n in self.nodes if n.pid_file.exists()]
        for node in running:
            self._queues_step("grow", node.node, "all")
        if len(running) == len(self.nodes):  # with a node away a rebalance waits for it
            self._queues_step("rebalance", "quorum")
        return self.under_replicated()

    def _queues_step(self, *args: str) -> None:
        try:
            done = self.queues_cli(*args, timeout=60)
        except subprocess.TimeoutExpired:
            raise SystemExit(f"`rabbitmq-queues {' '.join(args)}` did not finish within 60s: is a majority of the "
                             "nodes up? (`kepu broker status`)") from None
        if done.returncode != 0:
            raise SystemExit(f"`rabbitmq-queues {' '.join(args)}` failed: {done.stderr.strip() or done.stdout.strip()}")

    def quorum_queues(self, vhost: str = "/") -> dict[str, dict]:
        """Each quorum queue of ``vhost``: its members, leader and online members."""
        from libs.localenv.broker_access import Management, quoted

        queues = Management(self.api_uri).get(f"queues/{quoted(vhost)}?columns=name,type,members,leader,online")
        return {q["name"]: q for q in queues or [] if q.get("type") == "quorum"}

    def under_replicated(self, vhost: str = "/") -> list[str]:
        everyone = {n.node for n in self.nodes}
        return sorted(f"{name} (members: {', '.join(sorted(q.get('members', [])))})"
                      for name, q in self.quorum_queues(vhost).items() if set(q.get("members", [])) != everyone)

    def raft_status(self, queue: str) -> dict[str, dict]:
        """Each replica of quorum queue ``queue`` by node: its Raft state and log/commit indexes (a
        restarted node has caught up when its commit index equals the leader's)."""
        answer = self.queues_cli("quorum_status", queue, "--formatter", "json")
        if answer.returncode != 0:
            raise RuntimeError(f"cannot read the replicas of {queue}: {answer.stderr.strip()}")
        return {row["Node Name"]: row for row in json.loads(answer.stdout)}

    def kill(self, index: int) -> None:
        """``kill -9`` of node ``index``'s VM (chaos tests)."""
        import os
        import signal

        node = self.nodes[index]
        os.kill(int(node.pid_file.read_text().strip()), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while node.ctl("ping", timeout=10).returncode == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        node.pid_file.unlink(missing_ok=True)

    def restart(self, index: int, timeout: float = 120) -> None:
        """Start node ``index`` again (after ``kill``); it rejoins and its replicas catch up."""
        node = self.nodes[index]
        node.launch()
        self._boot(node, timeout)

    def stop(self) -> None:
        """Stop every node (together: each would otherwise wait for the others to sync)."""
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda n: n.stop(), self.nodes))
