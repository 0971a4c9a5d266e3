"""``kepu dead-letters …``: messages a service failed on twice, parked for an operator."""
from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from libs.cli.common import print_plain_json
from libs.common.bus.dead_letters import peek_dead_letters, replay_dead_letters
from libs.common.settings import get_settings

app = typer.Typer(help="Inspect and replay parked messages (the kepu.parked queue).", no_args_is_help=True)
console = Console()


@app.command("list")
def list_(limit: int = typer.Option(100), as_json: bool = typer.Option(False, "--json")) -> None:
    """Show parked messages with the error that parked them (they stay parked)."""
    rows = peek_dead_letters(get_settings().amqp_uri, limit)
    if as_json:
        print_plain_json(rows)
        return
    table = Table("event", "type", "failed in", "error", "replays")
    for r in rows:
        body = r["body"]
        envelope = body.get("json")
        if isinstance(envelope, dict):
            event, kind = str(envelope.get("event_id", "?")), str(envelope.get("type", "?"))
        elif "hex" in body:  # not an envelope: show what it is
            event, kind = "-", f"binary, {body['size']} bytes: {body['hex'][:47]}"
        elif "text" in body:
            event, kind = "-", f"text, {body['size']} bytes: {body['text'][:40]!r}"
        else:
            event, kind = "-", f"JSON {type(envelope).__name__}: {str(envelope)[:40]}"
        table.add_row(event, kind, str(r["queue"]), str(r["error"]), str(r["replays"]))
    console.print(table)
    console.print(f"{len(rows)} parked message(s)")


@app.command()
def replay(limit: int = typer.Option(1000)) -> None:
    """Send parked messages back to the queue they failed in; run after fixing the cause."""
    settings = get_settings()
    done = replay_dead_letters(settings.amqp_uri, settings.operator_users, limit)
    console.print(f"replayed {done.replayed} message(s)")
    for line in done.refused:
        console.print(f"left parked: {line}", markup=False)
