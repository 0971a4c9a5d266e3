"""``kepu broker …``: the project-local RabbitMQ node, or cluster (``KEPU_BROKER_NODES``)."""
from __future__ import annotations

import typer

from libs.common.settings import get_settings
from libs.localenv.rabbitmq import ADMIN

app = typer.Typer(help="Start, stop and inspect the project-local RabbitMQ node or cluster.", no_args_is_help=True)


def _local():
    from libs.localenv.supervisor import local_broker

    return local_broker(get_settings())


@app.command()
def start() -> None:
    """Start the node, or every node of the cluster (no-op for those that run)."""
    node = _local()
    node.start()
    typer.echo(f"RabbitMQ {node.node} up: {node.address}  management http://127.0.0.1:{node.mgmt_port}/ "
               f"(administrator {ADMIN}, password in {node.base / 'admin.json'})")


@app.command()
def stop() -> None:
    """Stop the node, or every node of the cluster."""
    _local().stop()
    typer.echo("stopped")


@app.command()
def status() -> None:
    """Say whether the node (each node) runs."""
    from libs.localenv.cluster import RabbitCluster

    local = _local()
    nodes = local.nodes if isinstance(local, RabbitCluster) else [local]
    running = {n.node: n.is_running() for n in nodes}
    for node in nodes:
        typer.echo(f"{node.node}: {'running' if running[node.node] else 'stopped'} ({node.address})")
    raise typer.Exit(0 if all(running.values()) else 1)


@app.command()
def check() -> None:
    """The cluster's health: every node runs, and every quorum queue has a replica on every node
    (RabbitMQ 3.10 adds none by itself to a node that joined after the queue was declared: this
    grows them, and spreads the queues' leaders). Exit code 1 while something lacks."""
    from libs.localenv.cluster import RabbitCluster

    local = _local()
    if not isinstance(local, RabbitCluster):
        typer.echo(f"one node ({local.node}): {'running' if local.is_running() else 'stopped'}; "
                   "KEPU_BROKER_NODES=3 for a cluster")
        raise typer.Exit(0 if local.is_running() else 1)
    down = [n.node for n in local.nodes if not n.is_running()]
    if down:
        typer.echo(f"not running: {', '.join(down)}: `kepu broker start` starts them; their queue replicas "
                   "catch up by themselves")
    lacking = local.settle() if len(down) < len(local.nodes) else []
    for queue in lacking:
        typer.echo(f"under-replicated: {queue}")
    if not down and not lacking:
        queues = local.quorum_queues()
        leaders = ", ".join(f"{n.node} ({sum(q['leader'] == n.node for q in queues.values())})" for n in local.nodes)
        typer.echo(f"{len(local.nodes)} nodes running; {len(queues)} quorum queues, each on every node; "
                   f"leaders: {leaders}")
    raise typer.Exit(1 if down or lacking else 0)


@app.command()
def setup() -> None:
    """Declare the topology (exchanges, queues, bindings) as the operator, on the broker at
    KEPU_AMQP_URI: services only check that it is there. `kepu run` does this for its own node;
    compose's broker-setup for production."""
    from kombu import Connection

    from libs.common.bus.topology import declare_topology

    settings = get_settings()
    with Connection(settings.amqp_uri, connect_timeout=10) as conn:
        declare_topology(conn, settings.broker_queue_type)
    typer.echo("declared the topology")


@app.command()
def migrate() -> None:
    """Move a single node's classic queues, with every message in them, into quorum queues (a queue's
    type is fixed, so each is emptied into `<name>.migrating`, declared again, and filled back; each
    message acked only after its copy is confirmed). Stop the services and the gateway first (it
    checks); their outboxes keep what they have until they run again. The project-local node becomes
    the seed of the KEPU_BROKER_NODES cluster; with KEPU_AMQP_URI, that broker's queues (its nodes
    joined already). Run it again after an interruption: it finishes the job."""
    from libs.common.bus.migrate import MigrationRefused, migrate_queues
    from libs.common.settings import Settings

    settings = get_settings()
    try:
        if Settings().amqp_uri:  # a broker of the operator's own
            migrate_queues(settings.amqp_uri, settings.operator_users, typer.echo)
            typer.echo("give each quorum queue a member on every node: `rabbitmq-queues grow <node> all` for each "
                       "node, then `rabbitmq-queues rebalance quorum`")
        else:
            from libs.localenv.migrate import migrate_local

            migrate_local(settings, typer.echo)
    except MigrationRefused as refused:
        typer.echo(f"not migrated: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo("done: start the services with the same KEPU_BROKER_NODES (their queues are quorum queues now)")
