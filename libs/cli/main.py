"""The ``kepu`` command-line tool: run the system, manage the broker, work with plans."""
from __future__ import annotations

import typer

from libs.cli import broker, deadletters, plan, run, system, testenv

app = typer.Typer(help="Kepu Monitor: science-literacy action plans, tracked.", no_args_is_help=True)
app.add_typer(plan.app, name="plan")
app.add_typer(broker.app, name="broker")
app.add_typer(system.org_app, name="org")
app.add_typer(system.activity_app, name="activity")
app.add_typer(system.indicator_app, name="indicator")
app.add_typer(system.alert_app, name="alert")
app.add_typer(deadletters.app, name="dead-letters")
app.command("run")(run.run)
app.command("test-env", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    testenv.test_env)

if __name__ == "__main__":
    app()
