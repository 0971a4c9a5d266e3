"""``kepu alert …``: alerts addressed to your organisation (an admin: all), through the gateway."""
from __future__ import annotations

import enum

import typer
from rich.table import Table

from libs.cli.common import (
    AsJson,
    CaFile,
    Gateway,
    Token,
    console,
    gateway,
    num,
    print_json,
)

app = typer.Typer(help="Alerts raised for lagging indicators.", no_args_is_help=True)


class AlertState(str, enum.Enum):
    firing = "firing"
    resolved = "resolved"


@app.command("list")
def list_(token: Token = ..., state: AlertState = typer.Option(None, help="Only firing or only resolved alerts."),
          indicator: str = typer.Option(""), as_json: AsJson = False,
          gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    with gateway(token, gateway_, ca_file) as client:
        rows = client.list_alerts(state.value if state else "", indicator)
    if as_json:
        print_json(rows)
        return
    table = Table("indicator", "window", "state", "status", "actual/expected/target", "to")
    for a in rows:
        table.add_row(f"{a.indicator} {a.indicator_name}", a.window, a.state, a.status,
                      f"{num(a.actual)} / {num(a.expected)} / {num(a.target)} {a.unit}", ", ".join(a.recipients))
    console.print(table)
