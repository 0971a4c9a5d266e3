"""Settings shared by every process, read from ``KEPU_*`` environment variables.

One prefix, documented defaults: the defaults describe a developer machine where
``make run`` starts a project-local broker on ports that do not clash with a system
RabbitMQ (5672) or a system Prometheus (9090).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("organisations", "activities", "indicators", "notifications")
SINGLE_PROCESSES = ("gateway", "portal")  # one process each, on their own ports (no replicas)
METRICS_OFFSETS = {name: i for i, name in enumerate((*SERVICES, *SINGLE_PROCESSES))}
BROKER_PORT_STEP = 3  # node k of a local cluster: every port 3×(k-1) up (the test profile's are neighbours)


class Settings(BaseSettings):
    """Every knob of the system; see README "Configuration" for the table."""

    model_config = SettingsConfigDict(env_prefix="KEPU_", extra="ignore")

    var_dir: Path = Field(REPO_ROOT / "var", description="Data, logs and pid files.")
    amqp_uri: str = Field("", description="Broker URI; default: the project-local node at broker_port.")
    broker_node: str = "kepu@localhost"
    broker_port: int = 5682
    broker_mgmt_port: int = 15682
    broker_metrics_port: int = 15702
    broker_dist_port: int = 25682
    manage_broker: bool = Field(True, description="`kepu run` starts/stops the project-local node.")
    broker_nodes: int = Field(1, ge=1, le=7, description="`kepu run` starts a RabbitMQ cluster of this many nodes "
                              "on this machine (node k on ports 3×(k-1) above the first's); 3 survives losing one.")
    broker_queue_type: Literal["classic", "quorum"] = Field(
        "classic", description="The type of every durable queue (the operator's topology and each service's RPC "
        "queue): quorum on a cluster of nodes (the default when KEPU_BROKER_NODES > 1). Fixed when a queue is "
        "first declared; a broker whose queues are of the other type refuses the declaration "
        "(PRECONDITION_FAILED): move it over with `kepu broker migrate`, do not just flip this.")
    database_url_template: str = Field(
        "sqlite:///{var_dir}/db/{service}.sqlite3",
        description="SQLAlchemy URL per service; {service} and {var_dir} are filled in.",
    )
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50061
    grpc_ca_file: Path | None = Field(None, description="Clients (kepu): PEM CA to trust; set for a TLS gateway.")
    portal_port: int = Field(8460, description="Port of the web portal (services/portal).")
    portal_url: str = Field("", description="The portal's address as people reach it, for the set-up links "
                            "`kepu org user add` prints; empty: http://127.0.0.1:KEPU_PORTAL_PORT.")
    metrics_host: str = "127.0.0.1"
    metrics_port_base: int = Field(9461, description="organisations=base, activities=+1, ...")
    plan_file: Path = Field(REPO_ROOT / "plans", description="The plan file, or a directory of plan files (every "
                            "*.yaml in it): each region's plans, in succession, and the regions above and below.")
    as_of: dt.date | None = Field(None, description="Freeze the clock at this date (demos, tests).")
    timezone: str = Field("Asia/Shanghai", description="The county's time zone: what today is (reports may not "
                          "be dated after it).")
    outbox_interval: float = Field(0.2, description="Seconds between outbox relay sweeps.")
    evaluate_interval: float = Field(60.0, description="Seconds between clock re-evaluations.")
    max_workers: int = 10
    replicas: int = Field(1, ge=1, le=8, description="`kepu run` starts this many processes of each service.")
    replica: int = Field(0, ge=0, description="This process's replica number (set by `kepu run`).")
    batch_size: int = Field(500, ge=1, le=5000, description="Events a consumer applies in one transaction, at most.")
    batch_wait: float = Field(0.005, ge=0, le=5, description="Seconds a consumer waits to fill a batch after its "
                              "first event (under load batches fill while the last one is applied).")
    bus_operators: str = Field("operator", description="Broker users trusted as the operator, comma-separated "
                               "(`kepu` commands and `kepu run`; a test broker adds its administrator).")
    log_level: str = "INFO"
    prometheus: bool = Field(True, description="`kepu run` also starts a project-local Prometheus (loopback).")
    prometheus_port: int = Field(9390, description="Port of that Prometheus.")

    @model_validator(mode="after")
    def _quorum_on_a_cluster(self) -> "Settings":
        """A cluster's queues are quorum queues unless the operator says otherwise: a classic queue
        lives on one node and dies with it."""
        if self.broker_nodes > 1 and "broker_queue_type" not in self.model_fields_set:
            self.broker_queue_type = "quorum"
        return self

    @property
    def broker_ports(self) -> list[int]:
        """The AMQP port of each project-local node (``broker_nodes`` of them, 3 apart)."""
        return [self.broker_port + BROKER_PORT_STEP * i for i in range(self.broker_nodes)]

    @property
    def operator_users(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.bus_operators.split(",") if u.strip())

    @property
    def portal_base(self) -> str:
        """The web portal's address, without a trailing slash (set-up links start with it)."""
        return (self.portal_url or f"http://127.0.0.1:{self.portal_port}").rstrip("/")

    @property
    def grpc_target(self) -> str:
        """Where clients reach the gateway (host:port)."""
        return f"{self.grpc_host}:{self.grpc_port}"

    def database_url(self, service: str) -> str:
        return self.database_url_template.format(service=service, var_dir=self.var_dir)

    def metrics_port(self, service: str, replica: int | None = None) -> int:
        """The service's /metrics port: replica 0 at base+offset, replica k a block of
        ``len(METRICS_OFFSETS)`` ports higher; a negative base turns the endpoints off (tests)."""
        if self.metrics_port_base < 0:
            return -1
        replica = self.replica if replica is None else replica
        return self.metrics_port_base + len(METRICS_OFFSETS) * replica + METRICS_OFFSETS[service]

    def nameko_config(self) -> dict:
        """The config dict nameko's container expects, derived from these settings."""
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": self.max_workers,
            "serializer": "json",
            "KEPU": self.model_dump(mode="json"),
        }


def local_broker_login(var_dir: Path) -> tuple[str, str]:
    """The project-local node's operator (``users.json``) or administrator (``admin.json``), as
    `kepu run` keeps them under ``var/run/rabbitmq``; ('', '') before the node was ever made."""
    import json

    base = var_dir / "run" / "rabbitmq"
    try:
        return "operator", json.loads((base / "users.json").read_text())["operator"]
    except (OSError, ValueError, KeyError):
        pass
    try:
        admin = json.loads((base / "admin.json").read_text())
        return admin["user"], admin["password"]
    except (OSError, ValueError, KeyError):
        return "", ""


def with_local_broker(settings: Settings) -> Settings:
    """Without KEPU_AMQP_URI: the node `kepu run` starts, as the operator user it granted
    (``kepu`` commands), else as the node's administrator (before the first grant). Read here, when
    a command asks, never while settings validate."""
    if settings.amqp_uri:
        return settings
    user, password = local_broker_login(settings.var_dir)
    return settings.model_copy(update={"amqp_uri": node_list_uri(user, password, settings.broker_ports)})


def node_list_uri(user: str, password: str, ports: list[int]) -> str:
    """The local nodes as a kombu node list (``amqp://…:p1/;amqp://…:p2/``): a client connects to
    the first that answers and fails over to the next."""
    from urllib.parse import quote

    login = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return ";".join(f"amqp://{login}@127.0.0.1:{port}/" for port in ports)


@lru_cache
def get_settings() -> Settings:
    """This process's settings: the environment, and the local broker's login when none is given."""
    return with_local_broker(Settings())


def settings_from_config(config: dict) -> Settings:
    """Rebuild Settings inside a nameko container (tests pass their own config)."""
    return Settings(**config["KEPU"]) if "KEPU" in config else Settings(amqp_uri=config["AMQP_URI"])
