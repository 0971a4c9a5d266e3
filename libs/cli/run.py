"""``kepu run``: the whole system in the foreground; Ctrl-C stops all of it."""
from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def run(
    as_of: str = typer.Option(None, "--as-of", help="Freeze the clock at YYYY-MM-DD (demos, backfills)."),
    plan: Path = typer.Option(None, "--plan", help="Plan file (default: the seed plan)."),
    replicas: int = typer.Option(None, "--replicas", min=1, max=8,
                                 help="Processes per service, competing for its queues (default KEPU_REPLICAS or 1)."),
    broker_nodes: int = typer.Option(None, "--broker-nodes", min=1, max=7,
                                     help="RabbitMQ nodes: 3 is a cluster with quorum queues that survives losing "
                                     "one (default KEPU_BROKER_NODES or 1)."),
) -> None:
    """Start RabbitMQ, the four services and the gRPC gateway; print where they listen."""
    from libs.cli.common import iso_date
    from libs.common.settings import Settings, with_local_broker
    from libs.localenv.supervisor import Supervisor

    env = dict(os.environ)
    if as_of:
        env["KEPU_AS_OF"] = as_of = iso_date(as_of, "--as-of")
    if plan:
        env["KEPU_PLAN_FILE"] = str(plan.resolve())
    if replicas:
        env["KEPU_REPLICAS"] = str(replicas)
    if broker_nodes:
        env["KEPU_BROKER_NODES"] = str(broker_nodes)
    chosen = {"as_of": as_of, "plan_file": plan, "replicas": replicas, "broker_nodes": broker_nodes}
    settings = with_local_broker(Settings(**{k: v for k, v in chosen.items() if v}))
    digest_hours = alert_hours()  # a typo in the working hours stops here, before anything starts
    sup = Supervisor(settings, env=env, say=lambda m: console.print(f"[dim]{m}[/]"))
    try:
        sup.start()
        table = Table(title="Kepu Monitor is running", show_header=False)
        for what, where in sup.endpoints():
            table.add_row(what, where)
        console.print(table)
        console.print(f"plan: {settings.plan_file}   clock: {settings.as_of or 'today'}   data: {settings.var_dir}")
        console.print(digest_hours, highlight=False)
        console.print("next, in another terminal: `kepu demo` (a year of example data), `kepu org token ORG` (a "
                      "department's token), `kepu alert list`; README \"A first session\"", highlight=False)
        console.print("ready. Press Ctrl-C to stop everything.", highlight=False)
        reason = sup.wait()
        console.print(f"stopping ({reason}) ...")
    finally:
        sup.stop()
    console.print("stopped.")


def alert_hours() -> str:
    """When alert digests go out, so that a quiet first start on a Sunday is not a mystery (the
    notifications service's working hours, read without its other settings and secrets)."""
    import datetime as dt

    from services.notifications.settings import WorkingHoursSettings

    settings = WorkingHoursSettings()
    hours = settings.working_hours()
    now = dt.datetime.now(dt.timezone.utc)
    when = "now" if hours.is_open(now) else hours.next_open(now).astimezone(hours.tz).strftime("%a %Y-%m-%d %H:%M")
    days = "China's working days" if hours.days is None else f"weekdays {settings.alert_working_days}"
    return (f"alert digests: {settings.alert_working_hours} {settings.alert_timezone}, {days} (next: {when}); "
            "channels: `kepu org channel add ORG KIND TARGET`")
