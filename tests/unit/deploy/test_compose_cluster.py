"""deploy/compose.cluster.yml, the cluster profile laid over docker-compose.yml (no engine here):
three RabbitMQ nodes that find each other, quorum queues, and every Kepu process on a list of the
three as its own user."""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

import yaml

from libs.common.settings import REPO_ROOT, Settings
from libs.localenv.broker_access import USERS

BASE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
TEXT = (REPO_ROOT / "deploy/compose.cluster.yml").read_text()
CLUSTER = yaml.safe_load(TEXT)
NODES = ("rabbitmq", "rabbitmq-2", "rabbitmq-3")
CONF = (REPO_ROOT / "deploy/rabbitmq/cluster.conf").read_text()


def merged(name: str) -> dict:
    """A service as `docker compose -f docker-compose.yml -f deploy/compose.cluster.yml` sees it
    (mappings merged key by key and volumes by their target, the override winning)."""
    base, over = BASE["services"].get(name, {}), CLUSTER["services"].get(name, {})
    service = {**base, **over}
    for key in ("environment", "depends_on"):
        if isinstance(base.get(key), dict) or isinstance(over.get(key), dict):
            service[key] = {**(base.get(key) or {}), **(over.get(key) or {})}
    by_target = {v.split(":")[1]: v for v in (*base.get("volumes", []), *over.get("volumes", []))}
    service["volumes"] = list(by_target.values())
    return service


def test_three_nodes_find_each_other_by_the_names_the_config_lists():
    listed = re.findall(r"classic_config\.nodes\.\d+ = rabbit@([\w-]+)", CONF)
    assert tuple(listed) == NODES
    assert "cluster_partition_handling = pause_minority" in CONF
    for node in NODES:
        service = merged(node)
        assert service.get("hostname") == node  # its data lives under rabbit@<hostname>
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
        assert mounts["/etc/rabbitmq/conf.d/30-cluster.conf"] == "./deploy/rabbitmq/cluster.conf"
        assert "/var/lib/rabbitmq" in mounts and mounts["/var/lib/rabbitmq"].removesuffix("-data") != ""
        for source in (s for s in mounts.values() if s.startswith("./")):
            assert (REPO_ROOT / source).exists(), source
        env = service["environment"]
        assert "-setcookie ${RABBITMQ_ERLANG_COOKIE:?" in env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"]
        assert "-setcookie ${RABBITMQ_ERLANG_COOKIE:?" in env["RABBITMQ_CTL_ERL_ARGS"]  # the health check's CLI
        assert service["healthcheck"]["test"][-1] == "ping"
    volumes = {v.split(":")[0] for n in NODES for v in merged(n)["volumes"] if not v.startswith("./")}
    assert volumes <= set(BASE["volumes"]) | set(CLUSTER["volumes"]) and len(volumes) == 3


def test_every_process_connects_to_each_node_as_its_own_user_and_declares_quorum_queues():
    for user in USERS:
        name = "cli" if user == "operator" else user
        env = merged(name)["environment"]
        assert env["KEPU_BROKER_QUEUE_TYPE"] == "quorum"
        uris = env["KEPU_AMQP_URI"].split(";")
        assert all(f"${{KEPU_BROKER_PASSWORD_{user.upper()}:?" in uri for uri in uris), uris
        resolved = [urlsplit(re.sub(r"\$\{[^}]*\}", "secret", uri)) for uri in uris]  # as compose fills them in
        assert [u.hostname for u in resolved] == list(NODES), uris
        assert {unquote(u.username) for u in resolved} == {user}
    for var in ("KEPU_BROKER_QUEUE_TYPE", "KEPU_BROKER_NODES"):
        assert var.removeprefix("KEPU_").lower() in Settings.model_fields


def test_the_topology_is_declared_once_all_three_nodes_run():
    setup = merged("broker-setup")
    assert setup["environment"]["KEPU_BROKER_NODES"] == str(len(NODES))
    assert setup["environment"]["KEPU_BROKER_QUEUE_TYPE"] == "quorum"
    assert all(setup["depends_on"][n] == {"condition": "service_healthy"} for n in NODES)


def test_the_cookie_is_a_secret_from_the_env_file():
    example = (REPO_ROOT / "deploy/env.example").read_text()
    for secret in set(re.findall(r"\$\{(\w+):\?", TEXT)):
        assert re.search(rf"^{secret}=", example, re.MULTILINE), f"{secret} is missing from deploy/env.example"
