"""``kepu test-env -- CMD``: run CMD with the test broker and PostgreSQL up, then stop them."""
from __future__ import annotations

import os
import subprocess

import typer

from libs.common.bus.senders import broker_user
from libs.localenv.testenv import test_broker, test_postgres


def test_env(ctx: typer.Context, keep: bool = typer.Option(False, help="Leave the servers running after.")) -> None:
    """Start the test RabbitMQ node and PostgreSQL, run the command after --, stop them."""
    command = [a for a in ctx.args if a != "--"]
    if not command:
        raise typer.BadParameter("give the command to run after --")
    broker, postgres = test_broker(), test_postgres()
    typer.echo(f"starting test RabbitMQ ({broker.node}, port {broker.port}) and PostgreSQL (port {postgres.port}) ...")
    try:
        broker.start()
        postgres.start()
        # the test node's administrator runs the systems tests and benchmarks start: trusted as the operator
        env = {**os.environ, "KEPU_AMQP_URI": broker.amqp_uri, "KEPU_RABBIT_API_URI": broker.api_uri,
               "KEPU_TEST_POSTGRES_URL": postgres.url, "KEPU_TEST_ENV": "1",
               "KEPU_BUS_OPERATORS": f"operator,{broker_user(broker.amqp_uri)}"}
        code = subprocess.call(command, env=env)
    finally:
        if not keep:
            postgres.stop()
            broker.stop()
    raise typer.Exit(code)
