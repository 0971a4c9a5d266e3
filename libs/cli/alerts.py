"""``kepu alert …``: alerts addressed to your organisation (an admin: all), through the gateway."""
from __future__ import annotations

import enum
import os
import re

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
    print_json,
    print_plain_json,
    services,
)
from libs.common.wording import figure

app = typer.Typer(help="Alerts raised for lagging indicators and for reporting duties (reminders, 逾期未报送, "
                  "expected campaigns).", no_args_is_help=True)


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
    table = Table("id", "indicator", "window", "state", "status", "actual/expected/target", "to", "note")
    for a in rows:
        note = ", ".join(n for n in ("history" if a.historical else "",
                                     f"silenced until {a.silenced_until[:16]}" if a.silenced_until else "") if n)
        figures = a.text if a.topic not in ("", "indicator") else (  # a reporting duty: its line
            f"{' / '.join(figure(v, a.unit) for v in (a.actual, a.expected, a.target))} {a.unit}")
        table.add_row(str(a.id), f"{a.indicator} {a.indicator_name}", a.window, a.state, a.status, figures,
                      ", ".join(a.recipients), note)
    console.print(table)


def _duration_hours(text: str) -> float:
    """``90m``, ``12h``, ``3d``, ``2w`` → hours."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text)
    if not match:
        raise typer.BadParameter("write a duration such as 90m, 12h, 3d or 2w")
    hours = float(match[1]) * {"m": 1 / 60, "h": 1, "d": 24, "w": 168}[match[2]]
    if not 0 < hours <= 366 * 24:
        raise typer.BadParameter("a silence lasts more than nothing and at most a year (366d)")
    return hours


@app.command("silence")
def silence(reason: str = typer.Option(..., help="Why (kept with the silence, shown in `kepu alert silences`)."),
            for_: str = typer.Option(..., "--for", help="How long: 90m, 12h, 3d, 2w."),
            alert: int = typer.Option(None, help="One alert, by the id `kepu alert list --json` shows."),
            indicator: str = typer.Option(None, help="Every alert of this indicator; `reporting`: every period "
                                          "reminder and 逾期未报送; `campaign` (or campaign:TYPE): campaigns."),
            org: str = typer.Option(None, help="Nothing to this organisation (its alerts still go to others)."),
            by: str = typer.Option(os.environ.get("USER", "operator"), help="Who silences (default: $USER).")) -> None:
    """Hold digests about matching alerts for a while (operator command, on RPC). The alerts stay
    listed; when the silence ends, alerts opened or changed meanwhile go out as news, the others
    with the next reminder. Times are UTC."""
    spec = {"alert_id": alert, "indicator": indicator, "org": org, "hours": _duration_hours(for_), "reason": reason,
            "created_by": by}
    with services() as rpc:
        made = rpc.notifications.silence(spec)
    console.print(f"silence {made['silence_id']}: {made['matches']} until {made['ends_at'][:16]} UTC "
                  f"(end it early with `kepu alert unsilence {made['silence_id']}`)", markup=False)


@app.command("silences")
def silences(expired: bool = typer.Option(False, "--expired", help="Show ended silences too."),
             as_json: AsJson = False) -> None:
    """Silences in force (and, with --expired, those that ended)."""
    with services() as rpc:
        rows = rpc.notifications.list_silences(expired)
    if as_json:
        print_plain_json(rows)
        return
    table = Table("id", "matches", "until (UTC)", "by", "reason", "active")
    for s in rows:
        table.add_row(str(s["silence_id"]), s["matches"], s["ends_at"][:16], s["created_by"], s["reason"],
                      "yes" if s["active"] else "no")
    console.print(table)


@app.command("unsilence")
def unsilence(silence_id: int) -> None:
    """End a silence now."""
    with services() as rpc:
        ended = rpc.notifications.expire_silence(silence_id)
    if not ended:
        errors.print(f"no silence {silence_id} in force", markup=False)
        raise typer.Exit(1)
    console.print(f"silence {silence_id} ended")


deliveries_app = typer.Typer(help="Digests sent over channels: every delivery and its attempts.")
app.add_typer(deliveries_app, name="deliveries")


@deliveries_app.callback(invoke_without_command=True)
def deliveries(ctx: typer.Context,
               failed: bool = typer.Option(False, "--failed", help="Only parked ones and those waiting to retry."),
               limit: int = typer.Option(100, min=1, max=5000), as_json: AsJson = False) -> None:
    """List deliveries, newest first (operator command, on RPC)."""
    if ctx.invoked_subcommand is not None:
        return
    with services() as rpc:
        rows = rpc.notifications.list_deliveries(failed, limit)
    if as_json:
        print_plain_json(rows)
        return
    table = Table("id", "org", "digest", "channel", "status", "attempts", "next / sent (UTC)", "last error")
    for d in rows:
        when = d["sent_at"] or d["next_attempt_at"] or ""
        table.add_row(str(d["delivery_id"]), d["org"], d["digest"], f"{d['kind']} ({d['channel']})", d["status"],
                      str(d["attempts"]), when[:19], d["last_error"][:80])
    console.print(table)


@deliveries_app.command("retry")
def deliveries_retry(delivery_ids: list[int] = typer.Argument(None, help="Parked deliveries to retry (default: all).")
                     ) -> None:
    """Give parked deliveries a fresh set of attempts, now (after mending the channel)."""
    with services() as rpc:
        count = rpc.notifications.retry_deliveries(delivery_ids or None)
    console.print(f"{count} parked deliveries will be tried again")
