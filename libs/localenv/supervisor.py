"""Runs the whole system the way ``make run`` does: broker, topology, services, gateway.

Each service is its own OS process (nameko services under eventlet, the gateway without),
so one crash shows up as one dead child, named, and everything is stopped together.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

from kombu import Connection

from libs.common.bus.topology import declare_topology
from libs.common.settings import METRICS_OFFSETS, SERVICES, Settings
from libs.localenv import broker_access, prometheus
from libs.localenv.cluster import RabbitCluster
from libs.localenv.county_link import vhost_of
from libs.localenv.ports import check_free
from libs.localenv.rabbitmq import RabbitNode, write_private_json

MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


@dataclass
class Supervisor:
    settings: Settings
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    argv: dict[str, list[str]] = field(default_factory=dict)
    child_env: dict[str, dict[str, str]] = field(default_factory=dict)
    restarts: dict[str, list[float]] = field(default_factory=dict)
    node: RabbitNode | RabbitCluster | None = None
    service_uris: dict[str, str] = field(default_factory=dict)
    started_broker: bool = False
    say: callable = print

    def start(self) -> None:
        s = self.settings
        ports = {"KEPU_GRPC_PORT": s.grpc_port, "KEPU_PORTAL_PORT": s.portal_port}
        if s.metrics_port_base >= 0:
            ports |= {f"KEPU_METRICS_PORT_BASE (+{s.metrics_port(name, r) - s.metrics_port_base}, {name})":
                      s.metrics_port(name, r) for name in METRICS_OFFSETS for r in self._replicas(name)}
        if self.runs_prometheus:
            ports["KEPU_PROMETHEUS_PORT (or KEPU_PROMETHEUS=false)"] = s.prometheus_port
        check_free(ports)
        if s.manage_broker:
            self.node = local_broker(s)
            self.say(f"starting RabbitMQ {self.node.node} (data in {self.node.base}) ...")
            self.started_broker = self.node.start()
            if not self.started_broker:
                self.say("RabbitMQ was already running; it will be left running")
        with Connection(self.node.amqp_uri if self.node else s.amqp_uri, connect_timeout=10) as conn:
            conn.ensure_connection(max_retries=5)
            declare_topology(conn, s.broker_queue_type)  # before any input is accepted: no event can be dropped
        if self.node is not None:  # our node: each service connects as its own user, as in production
            self.service_uris = broker_users(self.node, s)
            # and we, like `kepu` commands, as the operator (the settings were read before the node had users)
            self.settings = s = s.model_copy(update={"amqp_uri": self.service_uris["operator"]})
        (s.var_dir / "db").mkdir(parents=True, exist_ok=True)
        # the first replica of each service creates its tables and seeds them; then the others join
        for replicas in (range(1), range(1, self.settings.replicas)):
            for name in SERVICES:
                for replica in replicas:
                    argv = [sys.executable, "-m", "libs.common.service_runner", name]
                    env = {"KEPU_REPLICA": str(replica), **self._uri(name)}
                    self._spawn(self._child_name(name, replica), argv, env)
            self._wait_services_ready()
        if isinstance(self.node, RabbitCluster):  # the services' own queues too, on every node
            for lacking in self.node.settle():
                self.say(f"quorum queue without a replica on every node: {lacking}; `kepu broker check` once all run")
        self._spawn("gateway", [sys.executable, "-m", "services.gateway.server"], self._uri("gateway"))
        self._wait_gateway_ready()
        self._spawn("portal", [sys.executable, "-m", "services.portal.server"])
        self._wait_portal_ready()
        if self.runs_prometheus:
            # a broker this run did not start is scraped where KEPU_BROKER_METRICS_PORT says (loopback)
            rabbit_metrics = self.node.metrics_ports if isinstance(self.node, RabbitCluster) else \
                [self.node.metrics_port if self.node else s.broker_metrics_port]
            self._spawn("prometheus", prometheus.command(s, rabbit_metrics))
            self._wait_prometheus_ready()

    def _uri(self, user: str) -> dict[str, str]:
        return {"KEPU_AMQP_URI": self.service_uris[user]} if user in self.service_uris else {}

    @property
    def runs_prometheus(self) -> bool:
        """A project-local Prometheus, unless switched off or there are no /metrics ports to scrape."""
        return self.settings.prometheus and self.settings.metrics_port_base >= 0

    def _wait_http_ready(self, url: str, failed: str, timeout: float = 30) -> None:
        """Until ``url`` answers 200 (a child that exits meanwhile stops the start); ``failed`` is
        what to tell the operator when it does not within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_children()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{failed} within {timeout:.0f}s; its messages are above")
            time.sleep(0.2)

    def _wait_prometheus_ready(self) -> None:
        self._wait_http_ready(f"{prometheus.url(self.settings)}/-/ready",
                              f"Prometheus did not become ready on {prometheus.url(self.settings)} "
                              "(KEPU_PROMETHEUS=false runs without it)")

    def _replicas(self, name: str) -> range:
        """Each nameko service runs ``KEPU_REPLICAS`` times (competing consumers on one broker);
        the gateway once, on its one port."""
        return range(self.settings.replicas if name in SERVICES else 1)

    @staticmethod
    def _child_name(name: str, replica: int) -> str:
        return name if replica == 0 else f"{name}#{replica + 1}"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        # own session: Ctrl-C reaches only us, and we stop the children in order
        self.argv[name], self.child_env[name] = argv, {**self.env, **(env or {})}
        self._launch(name)

    def _launch(self, name: str) -> None:
        self.children[name] = subprocess.Popen(self.argv[name], env=self.child_env[name], stdin=subprocess.DEVNULL,
                                               start_new_session=True)

    def _check_children(self) -> None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with code {proc.returncode} during start-up; see its log above")

    def _wait_services_ready(self, timeout: float = 60) -> None:
        from libs.common.rpc import ClusterRpcProxy

        deadline = time.monotonic() + timeout
        pending = list(SERVICES)
        with ClusterRpcProxy(self.settings.nameko_config(), timeout=5) as rpc:
            while pending:
                self._check_children()
                if time.monotonic() > deadline:
                    raise SystemExit(f"services not ready after {timeout:.0f}s: {', '.join(pending)}")
                try:
                    getattr(rpc, pending[0]).health()
                    pending.pop(0)
                except Exception:  # noqa: BLE001 - not up yet
                    time.sleep(0.3)

    def _wait_gateway_ready(self, timeout: float = 30) -> None:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        target = self.settings.grpc_target
        deadline = time.monotonic() + timeout
        from services.gateway.settings import GatewaySettings

        if GatewaySettings().grpc_tls_cert_file:
            # over TLS the certificate names the host, which need not be the address we listen on:
            # the gateway binds its port only once it has read its certificate, so a listening
            # port of a live process is ready
            from libs.localenv.ports import port_in_use

            while not port_in_use(self.settings.grpc_port, self.settings.grpc_host):
                self._check_children()
                if time.monotonic() > deadline:
                    raise SystemExit(f"the gateway did not listen on {target} within {timeout:.0f}s")
                time.sleep(0.3)
            return
        with grpc.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                self._check_children()
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status == 1:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"the gateway did not become healthy on {target} within {timeout:.0f}s")
                time.sleep(0.3)

    def _wait_portal_ready(self) -> None:
        """The portal answers /healthz (200 once the gateway behind it serves)."""
        url = f"http://127.0.0.1:{self.settings.portal_port}/healthz"
        self._wait_http_ready(url, f"the web portal did not answer {url}")

    def _stop_children(self, names: list[str]) -> None:
        procs = {n: self.children[n] for n in names if n in self.children}
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.say(f"{name} did not stop within 20s; killing it")
                proc.kill()
                proc.wait()

    def endpoints(self) -> list[tuple[str, str]]:
        s = self.settings
        rows = [("gRPC gateway", s.grpc_target), ("web portal (people sign in here)", s.portal_base)]
        if s.metrics_port_base >= 0:
            rows += [(f"{self._child_name(n, r)} metrics", f"http://{s.metrics_host}:{s.metrics_port(n, r)}/metrics")
                     for n in METRICS_OFFSETS for r in self._replicas(n)]
        if self.runs_prometheus:
            rows.append(("Prometheus", f"{prometheus.url(s)}/  (rules: /alerts, config {prometheus.config_path(s)})"))
        if self.node:
            rows += [("RabbitMQ AMQP", self.node.address),
                     ("RabbitMQ management", f"http://127.0.0.1:{self.node.mgmt_port}/"),
                     ("RabbitMQ metrics", f"http://127.0.0.1:{self.node.metrics_port}/metrics")]
        return rows

    def wait(self) -> str:
        """Block until a signal, restarting a child that dies; give up on one that keeps dying."""
        reason: list[str] = []

        def on_signal(signum, frame):
            reason.append(signal.Signals(signum).name)

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while not reason:
            for name, proc in list(self.children.items()):
                if proc.poll() is None:
                    continue
                now = time.monotonic()
                recent = [t for t in self.restarts.get(name, []) if now - t < RESTART_WINDOW]
                if len(recent) >= MAX_RESTARTS:
                    reason.append(f"{name} exited with code {proc.returncode} {MAX_RESTARTS} times within "
                                  f"{RESTART_WINDOW:.0f}s; see its log above")
                    break
                self.say(f"{name} exited with code {proc.returncode}; restarting it (unacked work is redelivered)")
                self.restarts[name] = [*recent, now]
                self._launch(name)
            time.sleep(0.2)
        return reason[0]

    def stop(self) -> None:
        """The portal and the gateway first (no new input, in-flight calls finish), then the services,
        then the broker."""
        self._stop_children(["portal"])
        self._stop_children(["gateway"])
        self._stop_children([self._child_name(n, r) for n in reversed(SERVICES) for r in self._replicas(n)])
        self._stop_children(["prometheus"])
        self.children.clear()
        if self.node is not None and self.started_broker:
            self.say("stopping RabbitMQ ...")
            self.node.stop()


def local_broker(settings: Settings, profile: str = "run") -> RabbitNode | RabbitCluster:
    """The project-local broker: one node, or a cluster of ``KEPU_BROKER_NODES``. Node 1 of a
    cluster started alone would wait at boot for the peers it knows: refused, with the fix."""
    seed = settings.var_dir / profile / "rabbitmq"
    made = 1 + sum(1 for _ in seed.parent.glob("rabbitmq-[0-9]*")) if seed.exists() else 0
    if made > settings.broker_nodes:
        raise SystemExit(f"this machine's RabbitMQ is a cluster of {made} nodes ({seed}, {seed.name}-2 …): start it "
                         f"with --broker-nodes {made} (KEPU_BROKER_NODES={made})")
    if settings.broker_nodes > 1:
        return RabbitCluster.from_settings(settings, profile)
    return RabbitNode.from_settings(settings, profile)


def broker_users(node: RabbitNode | RabbitCluster, settings: Settings) -> dict[str, str]:
    """Grant each service and the gateway its own user on the project-local node (the permissions
    of ``libs.localenv.broker_access``, as in production); passwords are made once and kept in
    ``var/run/rabbitmq/users.json`` (readable by the owner only). Returns each one's AMQP URI."""
    path = node.base / "users.json"
    try:
        passwords = json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or cut short by a crash: make new ones
        passwords = {}
    if set(passwords) != set(broker_access.USERS):
        passwords = {user: secrets.token_urlsafe(18) for user in broker_access.USERS}
        write_private_json(path, passwords)
    vhost = vhost_of(settings.amqp_uri)
    broker_access.apply(node.api_uri, vhost, passwords)
    return {user: broker_access.service_uri(settings.amqp_uri, user, pw) for user, pw in passwords.items()}
