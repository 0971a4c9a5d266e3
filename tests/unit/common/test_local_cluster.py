"""The project-local cluster's layout (libs/localenv/cluster.py) and what a cluster changes in the
settings: node names and ports, the node list clients get, quorum queues by default, and no
password of any node in the logs."""
from __future__ import annotations

import logging

from kombu import Connection

from libs.common.logs import HiddenPasswords
from libs.common.settings import Settings, with_local_broker
from libs.localenv.cluster import RabbitCluster, node_name


def test_node_one_is_the_single_node_of_before_and_the_others_step_their_ports_by_three(tmp_path):
    settings = Settings(var_dir=tmp_path, broker_nodes=3, broker_node="kepu@localhost", broker_port=5682,
                        broker_mgmt_port=15682, broker_metrics_port=15702, broker_dist_port=25682)
    nodes = RabbitCluster.from_settings(settings).nodes
    assert [n.node for n in nodes] == ["kepu@localhost", "kepu-2@localhost", "kepu-3@localhost"]
    assert nodes[0].base == tmp_path / "run" / "rabbitmq"  # an existing node's data: the seed
    assert [n.base.name for n in nodes[1:]] == ["rabbitmq-2", "rabbitmq-3"]
    assert [(n.port, n.mgmt_port, n.metrics_port, n.dist_port) for n in nodes] == [
        (5682, 15682, 15702, 25682), (5685, 15685, 15705, 25685), (5688, 15688, 15708, 25688)]
    ports = {p for n in nodes for p in (n.port, n.mgmt_port, n.metrics_port, n.dist_port)}
    assert len(ports) == 12
    # one cookie and one administrator for all, and no VM spinning idle schedulers on two cores
    assert {n.env()["HOME"] for n in nodes} == {str(tmp_path / "run" / "rabbitmq" / "home")}
    assert {n.admin_file for n in nodes} == {tmp_path / "run" / "rabbitmq" / "admin.json"}
    assert all("+sbwt none" in n.env()["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] for n in nodes)
    assert node_name("kepu-test@localhost", 2) == "kepu-test-3@localhost"


def test_the_test_profile_s_neighbouring_ports_do_not_collide(tmp_path):
    settings = Settings(var_dir=tmp_path, broker_nodes=3, broker_port=5792, broker_mgmt_port=15792,
                        broker_metrics_port=15793, broker_dist_port=25792)
    nodes = RabbitCluster.from_settings(settings, profile="test").nodes
    ports = [p for n in nodes for p in (n.port, n.mgmt_port, n.metrics_port, n.dist_port)]
    assert len(set(ports)) == len(ports)


def test_clients_get_every_node_and_a_cluster_s_queues_are_quorum_queues(tmp_path):
    settings = with_local_broker(Settings(amqp_uri="", var_dir=tmp_path, broker_nodes=3, broker_port=5682))
    assert settings.broker_queue_type == "quorum"
    connection = Connection(settings.amqp_uri)
    assert [connection.port, *(Connection(a).port for a in connection.alt[1:])] == [5682, 5685, 5688]
    assert Settings(broker_nodes=3, broker_queue_type="classic").broker_queue_type == "classic"  # said: kept
    one = Settings(broker_nodes=1, broker_port=5682)
    assert one.broker_queue_type == "classic" and one.broker_ports == [5682]


def test_no_password_of_a_node_list_reaches_the_log():
    record = logging.LogRecord("nameko", logging.WARNING, __file__, 1, "Error connecting to broker at %s (%s)",
                               ("amqp://activities:********@h:5682/;amqp://activities:s3cr-t_x@h:5685/",
                                "refused"), None)
    assert HiddenPasswords().filter(record)
    assert "s3cr-t_x" not in record.getMessage() and "amqp://activities:********@h:5685/" in record.getMessage()


def test_a_cluster_is_not_started_as_one_node(tmp_path):
    """Node 1 of a cluster alone would wait minutes at boot for the peers it knows."""
    import pytest

    from libs.localenv.supervisor import local_broker

    for folder in ("rabbitmq", "rabbitmq-2", "rabbitmq-3"):
        (tmp_path / "run" / folder).mkdir(parents=True)
    assert isinstance(local_broker(Settings(var_dir=tmp_path, broker_nodes=3)), RabbitCluster)
    with pytest.raises(SystemExit, match="a cluster of 3 nodes .* --broker-nodes 3"):
        local_broker(Settings(var_dir=tmp_path, broker_nodes=1))


def test_a_vm_is_dead_only_when_the_pid_it_wrote_is_gone(tmp_path):
    """A pid file being written (empty) is a VM still booting, not one that died: launching the node
    again then would find its own ports taken."""
    import os
    import subprocess

    from libs.localenv.rabbitmq import RabbitNode

    node = RabbitNode(base=tmp_path, node="n@localhost", port=1, mgmt_port=2, metrics_port=3, dist_port=4)
    node.pid_file.write_text("")
    assert node.written_pid() is None and node.vm_pid() is None  # booting: not yet known
    node.pid_file.write_text(str(os.getpid()))
    assert node.vm_pid() == os.getpid()
    gone = subprocess.Popen(["true"])
    gone.wait()
    node.pid_file.write_text(str(gone.pid))
    assert node.written_pid() == gone.pid and node.vm_pid() is None  # died
