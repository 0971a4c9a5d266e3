"""``kepu indicator …``: progress against the plan, read through the gateway with a token."""
from __future__ import annotations

import typer
from rich.table import Table

from libs.cli.common import (
    AsJson,
    CaFile,
    Gateway,
    Token,
    console,
    errors,
    gateway,
    iso_date,
    print_json,
    print_plain_json,
    services,
)
from libs.common.wording import figure

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
        table.add_row(r.indicator, r.window, r.scope, figure(r.actual, r.unit),
                      figure(r.expected, r.unit) if judged else "—", figure(r.target, r.unit) if judged else "—",
                      r.unit, r.status)
    console.print(table)


@app.command("year")
def year(token: Token = ..., year_: int = typer.Option(0, "--year", help="Calendar year; 0: the current one."),
         indicator: str = typer.Option(""), targets_only: bool = typer.Option(False, "--targets-only"),
         region: str = typer.Option("", help="A region your office reaches (its own or one below); default: yours."),
         as_json: AsJson = False, gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """A year's indicator windows with the breakdowns by organisation, town and region below you may read."""
    with gateway(token, gateway_, ca_file) as client:
        answer = client.year_progress(year_, indicator, targets_only, region)
    if as_json:
        print_json(answer)
        return
    below = any(p.by_region for p in answer.indicators)
    table = Table("indicator", "window", "total", "status", "by organisation", "by town",
                  *(["by region below"] if below else []), title=f"{answer.region} {answer.year} ({answer.plan})")
    for p in answer.indicators:
        total = (f"{figure(p.total.actual, p.unit)} / {figure(p.target, p.unit)} {p.unit}" if p.HasField("total")
                 else "—")
        table.add_row(f"{p.indicator} {p.name}", p.window, total, p.total.status if p.HasField("total") else "",
                      ", ".join(f"{w.scope[4:]} {_share(w, p.unit)}" for w in p.by_org),
                      ", ".join(f"{w.scope[5:]} {figure(w.actual, p.unit)}" for w in p.by_town),
                      *([", ".join(f"{w.scope[7:]} {figure(w.actual, p.unit)}" for w in p.by_region)] if below else []))
    console.print(table)


def _share(w, unit: str) -> str:
    """An organisation's share: its figure, or "—" (未报送 and the periods) when it has none."""
    if not w.HasField("actual"):
        return f"— (未报送 {'、'.join(w.missing_periods)})"
    return figure(w.actual, unit) + (f" (未报送 {'、'.join(w.missing_periods)})" if w.missing_periods else "")


@app.command("watch")
def watch(token: Token = ..., indicator: str = typer.Option(""),
          seconds: float = typer.Option(None, help="Stop after this long (default: until Ctrl-C)."),
          gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """Print status changes of your indicators as they happen."""
    with gateway(token, gateway_, ca_file) as client:
        try:
            for c in client.watch(indicator, timeout=seconds):
                console.print(f"{c.as_of} {c.indicator} {c.indicator_name} {c.window} {c.scope}: "
                              f"{c.previous or '—'} → {c.status} ({figure(c.actual, c.unit)} of "
                              f"{figure(c.target, c.unit)} {c.unit}, expected {figure(c.expected, c.unit)})",
                              markup=False)
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


@app.command("rebuild")
def rebuild(timeout: float = typer.Option(1800, help="Give up waiting after this many seconds (the rebuild goes on)."),
            as_json: AsJson = False) -> None:
    """Recompute every indicator from the activities' history (operators: after a fault, a plan
    change or a restore). Live reports keep being counted meanwhile; one transaction switches over."""
    import time

    started = time.monotonic()
    with services(timeout=timeout) as rpc:
        run = rpc.indicators.rebuild_begin()
        errors.print(f"rebuild {run}: replaying every activity ...")  # progress on stderr: stdout stays data
        count = rpc.activities.replay_activities(run)
        errors.print(f"{count} activities replayed; waiting for the indicators to take them in ...")
        while (state := rpc.indicators.rebuild_status(run))["state"] == "replaying":
            if time.monotonic() - started > timeout:
                errors.print(f"rebuild {run} is still running after {timeout:.0f}s ({state['replayed']} of "
                             f"{count} in); see `kepu indicators rebuild-status {run}`", markup=False)
                raise typer.Exit(1)
            time.sleep(0.5)
    state["seconds"] = round(time.monotonic() - started, 1)
    if as_json:
        print_plain_json(state)
    elif state["state"] == "switched":
        console.print(f"rebuild {run} switched over in {state['seconds']}s: {state['expected']} activities, "
                      f"{state['status_changes']} status change(s)")
    else:
        errors.print(f"rebuild {run} ended {state['state']} (a newer rebuild started)", markup=False)
        raise typer.Exit(1)


@app.command("rebuild-status")
def rebuild_status(run: str, as_json: AsJson = False) -> None:
    """Where a rebuild stands."""
    with services() as rpc:
        state = rpc.indicators.rebuild_status(run)
    if state is None:
        errors.print(f"no rebuild {run}", markup=False)
        raise typer.Exit(1)
    if as_json:
        print_plain_json(state)
    else:
        console.print(f"rebuild {state['run']}: {state['state']}, {state['replayed'] or 0} of "
                      f"{state['expected'] if state['expected'] is not None else '?'} activities in, "
                      f"started {state['started_at']}" + (f", finished {state['finished_at']}"
                                                          if state['finished_at'] else ""), markup=False)
