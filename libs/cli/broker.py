"""``kepu broker …``: the project-local RabbitMQ node."""
from __future__ import annotations

import os
import subprocess
from typing import List

import typer

from libs.common.settings import Settings, get_settings
from libs.localenv.rabbitmq import RabbitNode

app = typer.Typer(help="Start, stop and inspect the project-local RabbitMQ node.", no_args_is_help=True)

# The test node has its own name, ports and data, so `make test` can run beside `make run`.
TEST_PORTS = {"broker_node": "kepu-test@localhost", "broker_port": 5792, "broker_mgmt_port": 15792,
              "broker_metrics_port": 15793, "broker_dist_port": 25792}


def test_node(settings: Settings | None = None) -> RabbitNode:
    settings = settings or get_settings()
    ports = {k: int(os.environ.get(f"KEPU_TEST_{k.upper()}", v)) if k != "broker_node" else v
             for k, v in TEST_PORTS.items()}
    return RabbitNode.from_settings(settings.model_copy(update=ports), profile="test")


@app.command()
def start() -> None:
    """Start the node (no-op if it runs)."""
    node = RabbitNode.from_settings(get_settings())
    node.start()
    typer.echo(f"RabbitMQ {node.node} up: {node.amqp_uri}  management http://127.0.0.1:{node.mgmt_port}/")


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
    typer.echo(f"{node.node}: {'running' if running else 'stopped'} ({node.amqp_uri})")
    raise typer.Exit(0 if running else 1)


@app.command("run-tests", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run_tests(ctx: typer.Context, keep: bool = typer.Option(False, help="Leave the node running after.")) -> None:
    """Start the test node, run the given command with KEPU_AMQP_URI pointing at it, stop the node."""
    command: List[str] = [a for a in ctx.args if a != "--"]
    if not command:
        raise typer.BadParameter("give the command to run after --")
    node = test_node()
    typer.echo(f"starting test RabbitMQ node {node.node} on port {node.port} ...")
    node.start()
    env = {**os.environ, "KEPU_AMQP_URI": node.amqp_uri, "KEPU_RABBIT_API_URI": node.api_uri,
           "KEPU_TEST_BROKER_STARTED": "1"}
    try:
        code = subprocess.call(command, env=env)
    finally:
        if not keep:
            node.stop()
    raise typer.Exit(code)
