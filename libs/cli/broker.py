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
