"""The test environment: its own RabbitMQ node and PostgreSQL server, beside any `make run`.

Names, ports and data differ from the run profile, so `make test` never touches a running
system. They can be moved with KEPU_TEST_BROKER_NODE, KEPU_TEST_BROKER_PORT,
KEPU_TEST_BROKER_MGMT_PORT, KEPU_TEST_BROKER_METRICS_PORT, KEPU_TEST_BROKER_DIST_PORT and
KEPU_TEST_POSTGRES_PORT (e.g. for two checkouts testing on one machine).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from libs.common.settings import Settings, get_settings
from libs.localenv.postgres import PostgresNode
from libs.localenv.rabbitmq import RabbitNode

TEST_BROKER = {"broker_port": 5792, "broker_mgmt_port": 15792, "broker_metrics_port": 15793, "broker_dist_port": 25792}
TEST_POSTGRES_PORT = 5793


def test_broker(settings: Settings | None = None) -> RabbitNode:
    settings = settings or get_settings()
    ports = {k: int(os.environ.get(f"KEPU_TEST_{k.upper()}", v)) for k, v in TEST_BROKER.items()}
    node = os.environ.get("KEPU_TEST_BROKER_NODE", "kepu-test@localhost")
    return RabbitNode.from_settings(settings.model_copy(update={**ports, "broker_node": node}), profile="test")


def test_postgres(settings: Settings | None = None) -> PostgresNode:
    settings = settings or get_settings()
    port = int(os.environ.get("KEPU_TEST_POSTGRES_PORT", TEST_POSTGRES_PORT))
    base = settings.var_dir / "test" / "postgres"
    if os.geteuid() == 0:
        # run as the `postgres` user, which may not be able to enter a checkout under /root:
        # the throw-away test cluster lives in the system's temporary folder instead
        base = Path(tempfile.gettempdir()) / f"kepu-test-postgres-{port}"
    return PostgresNode(base=base, port=port)
