"""The ``kepu`` command-line tool: run the system, manage the broker, work with plans, and use the
gRPC API as a department does (report, import, correct, read progress and alerts)."""
from __future__ import annotations

import logging

import typer

from libs.cli import (
    activities,
    alerts,
    broker,
    db,
    deadletters,
    demo,
    importer,
    indicators,
    link,
    orgs,
    periods,
    plan,
    reports,
    run,
    testenv,
)

# The CLI's own RPC calls close their channels while the broker's publish confirms are on their
# way; amqp then warns "Received method (60, 80) during closing channel", harmless, on stderr.
logging.getLogger("amqp").setLevel(logging.ERROR)

app = typer.Typer(help="Kepu Monitor: science-literacy action plans, tracked.", no_args_is_help=True)
app.add_typer(plan.app, name="plan")
app.add_typer(broker.app, name="broker")
app.add_typer(orgs.app, name="org")
app.add_typer(activities.app, name="activity")
app.add_typer(indicators.app, name="indicator")
app.add_typer(indicators.app, name="indicators", hidden=True)  # `kepu indicators rebuild` reads naturally too
app.add_typer(alerts.app, name="alert")
app.add_typer(periods.app, name="period")
app.add_typer(reports.app, name="report")
app.add_typer(deadletters.app, name="dead-letters")
app.add_typer(db.app, name="db")
app.add_typer(link.app, name="link")
app.command("import")(importer.import_file)
app.command("run")(run.run)
app.command("demo")(demo.demo)
app.command("test-env", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    testenv.test_env)

if __name__ == "__main__":
    app()
