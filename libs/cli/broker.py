"""``kepu broker …``: the project-local RabbitMQ node."""
from __future__ import annotations

import typer

from libs.common.settings import get_settings
from libs.localenv.rabbitmq import ADMIN, RabbitNode

app = typer.Typer(help="Start, stop and inspect the project-local RabbitMQ node.", no_args_is_help=True)

@app.command()
def start() -> None:
    """Start the node (no-op if it runs)."""
    node = RabbitNode.from_settings(get_settings())
    node.start()
    typer.echo(f"RabbitMQ {node.node} up: {node.address}  management http://127.0.0.1:{node.mgmt_port}/ "
               f"(administrator {ADMIN}, password in {node.base / 'admin.json'})")


@app.command()
def stop() -> None:
    """Stop the node."""
    RabbitNode.from_settings(get_settings()).stop()
    typer.echo("stopped")


@app.command()
def status() -> None:
    """Say whether the node runs."""
    node = RabbitNode.from_settings(get_settings())
    running = node.is_running()
    typer.echo(f"{node.node}: {'running' if running else 'stopped'} ({node.address})")
    raise typer.Exit(0 if running else 1)


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
