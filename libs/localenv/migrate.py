"""`kepu broker migrate` for the project-local broker: the single node becomes the seed of the
cluster (``KEPU_BROKER_NODES``), its classic queues quorum queues on every node, nothing lost."""
from __future__ import annotations

from typing import Callable

from libs.common.bus.migrate import MigrationRefused, QueueMove, migrate_queues, require_operator
from libs.common.bus.senders import broker_user
from libs.common.settings import Settings
from libs.localenv.cluster import RabbitCluster


def migrate_local(settings: Settings, say: Callable[[str], None] = print) -> list[QueueMove]:
    """Start the cluster (the existing node keeps its data and is joined by the others), move every
    queue (``libs.common.bus.migrate``), then give each quorum queue a member on every node and
    check it has. ``settings.amqp_uri``: the operator on the nodes (``with_local_broker``)."""
    if settings.broker_nodes < 2:
        raise MigrationRefused("set KEPU_BROKER_NODES=3 (the cluster the node is to become) and run this again")
    if not broker_user(settings.amqp_uri):
        raise MigrationRefused(f"no project-local node under {settings.var_dir / 'run'} to move (`kepu run` makes one)")
    require_operator(settings.amqp_uri, settings.operator_users)  # `kepu run` granted it (users.json)
    cluster = RabbitCluster.from_settings(settings)
    if cluster.seed.is_running() and not cluster.is_running():
        say(f"{cluster.seed.node} runs on its own: it joins the cluster as it is (restart it with "
            "`kepu broker stop` first to give it the cluster's settings, pause_minority)")
    cluster.start()
    say(f"cluster of {len(cluster.nodes)} nodes up: {cluster.address}")
    moves = migrate_queues(settings.amqp_uri, settings.operator_users, say)
    if lacking := cluster.settle():
        raise MigrationRefused("quorum queues without a member on every node: " + "; ".join(lacking)
                               + ". Once every node runs, `kepu broker check` grows them.")
    say(f"every quorum queue has a member on each of the {len(cluster.nodes)} nodes")
    return moves
