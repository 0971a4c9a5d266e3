"""``kepu indicator …``: progress against the plan, read through the gateway with a token."""
from __future__ import annotations

import typer
from rich.table import Table

from libs.cli.common import AsJson, CaFile, Gateway, Token, console, gateway, iso_date, num, print_json, services

app = typer.Typer(help="Progress of the plan's indicators.", no_args_is_help=True)


def _judged(status: str) -> bool:
    return status not in ("", "tracking")  # breakdowns and tracking counts have no target


@app.command("progress")
def progress(token: Token = ..., indicator: str = typer.Option(""), scope: str = typer.Option(""),
             as_json: AsJson = False, gateway_: Gateway = None,
             ca_file: CaFile = None) -> None:
    """Every window you may read (an admin: all), in every scope or one."""
    with gateway(token, gateway_, ca_file) as client:
        rows = client.progress(indicator, scope)
    if as_json:
        print_json(rows)
        return
    table = Table("indicator", "window", "scope", "actual", "expected", "target", "unit", "status")
    for r in rows:
        judged = _judged(r.status)
        table.add_row(r.indicator, r.window, r.scope, num(r.actual), num(r.expected) if judged else "—",
                      num(r.target) if judged else "—", r.unit, r.status)
    console.print(table)


@app.command("year")
def year(token: Token = ..., year_: int = typer.Option(0, "--year", help="Calendar year; 0: the current one."),
         indicator: str = typer.Option(""), targets_only: bool = typer.Option(False, "--targets-only"),
         as_json: AsJson = False, gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """A year's indicator windows with the breakdowns by organisation and town you may read."""
    with gateway(token, gateway_, ca_file) as client:
        answer = client.year_progress(year_, indicator, targets_only)
    if as_json:
        print_json(answer)
        return
    table = Table("indicator", "window", "total", "status", "by organisation", "by town", title=f"{answer.year}")
    for p in answer.indicators:
        total = f"{num(p.total.actual)} / {num(p.target)} {p.unit}" if p.HasField("total") else "—"
        table.add_row(f"{p.indicator} {p.name}", p.window, total, p.total.status if p.HasField("total") else "",
                      ", ".join(f"{w.scope[4:]} {num(w.actual)}" for w in p.by_org),
                      ", ".join(f"{w.scope[5:]} {num(w.actual)}" for w in p.by_town))
    console.print(table)


@app.command("watch")
def watch(token: Token = ..., indicator: str = typer.Option(""),
          seconds: float = typer.Option(None, help="Stop after this long (default: until Ctrl-C)."),
          gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """Print status changes of your indicators as they happen."""
    with gateway(token, gateway_, ca_file) as client:
        try:
            for c in client.watch(indicator, timeout=seconds):
                console.print(f"{c.as_of} {c.indicator} {c.indicator_name} {c.window} {c.scope}: "
                              f"{c.previous or '—'} → {c.status} ({num(c.actual)} of {num(c.target)} {c.unit}, "
                              f"expected {num(c.expected)})", markup=False)
        except KeyboardInterrupt:
            pass


@app.command("evaluate")
def evaluate(as_of: str = typer.Option(None, "--as-of", help="Move a frozen clock (`kepu run --as-of`) to this date.")
             ) -> None:
    """Re-evaluate every indicator window now (operators; after moving a frozen clock, with --as-of)."""
    as_of = iso_date(as_of, "--as-of")
    with services() as rpc:
        if as_of:
            rpc.activities.set_clock(as_of)
        n = rpc.indicators.evaluate(as_of)
    console.print(f"{n} status change(s)")
