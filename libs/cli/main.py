"""The ``kepu`` command-line tool: run the system, manage the broker, work with plans."""
from __future__ import annotations

import typer

from libs.cli import broker, plan, run

app = typer.Typer(help="Kepu Monitor: science-literacy action plans, tracked.", no_args_is_help=True)
app.add_typer(plan.app, name="plan")
app.add_typer(broker.app, name="broker")
app.command("run")(run.run)

if __name__ == "__main__":
    app()
