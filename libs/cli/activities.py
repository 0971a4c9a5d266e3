"""``kepu activity …``: what a department does through the gateway with its token."""
from __future__ import annotations

import typer
from rich.table import Table

from libs.cli.common import (
    AsJson,
    CaFile,
    Gateway,
    Token,
    console,
    gateway,
    iso_date,
    num,
    print_json,
)

app = typer.Typer(help="Report, correct, retract and read activities through the gRPC gateway.",
                  no_args_is_help=True)


def _quantities(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{item!r}: expected code=number", param_hint="--quantity") from None
    return out


def _content(activity_type, start_date, end_date, quantity, title, town, external_id, target_group,
             co_organiser) -> dict:
    return {"activity_type": activity_type, "title": title, "external_id": external_id, "town": town,
            "target_group": target_group, "co_organisers": co_organiser or [],
            "start_date": iso_date(start_date, "--date"), "end_date": iso_date(end_date, "--end-date") or "",
            "quantities": _quantities(quantity)}


def _brief(a) -> str:
    state = " (retracted)" if a.retracted else ""
    return f"{a.activity_id} rev {a.revision}{state}: {a.activity_type} {a.start_date} {_amounts(a)} by {a.org}"


def _amounts(a) -> str:
    return ", ".join(f"{k}={num(v)}" for k, v in sorted(a.quantities.items()))


@app.command("report")
def report(
    activity_type: str = typer.Argument(..., help="Activity type code from the plan, e.g. caravan_tour."),
    start_date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    quantity: list[str] = typer.Option(..., "--quantity", "-q", help="code=value, e.g. -q sessions=3"),
    token: Token = ..., title: str = typer.Option(""), town: str = typer.Option(""),
    external_id: str = typer.Option("", help="Your own id: resending it is safe."),
    target_group: str = typer.Option(""), end_date: str = typer.Option(""),
    co_organiser: list[str] = typer.Option(None, help="Code of a co-organiser (repeatable)."),
    gateway_: Gateway = None, ca_file: CaFile = None,
) -> None:
    """Report one activity, as a department system would."""
    content = _content(activity_type, start_date, end_date, quantity, title, town, external_id, target_group,
                       co_organiser)
    with gateway(token, gateway_, ca_file) as client:
        resp = client.report(content)
    console.print(f"{'recorded' if resp.created else 'already recorded'} {_brief(resp.activity)}")


@app.command("correct")
def correct(
    activity_id: str, revision: int = typer.Option(..., help="The revision you are correcting (see `get`)."),
    activity_type: str = typer.Option(..., "--type"), start_date: str = typer.Option(..., "--date"),
    quantity: list[str] = typer.Option(..., "--quantity", "-q"), reason: str = typer.Option(""),
    title: str = typer.Option(""), town: str = typer.Option(""), target_group: str = typer.Option(""),
    end_date: str = typer.Option(""), co_organiser: list[str] = typer.Option(None),
    token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None,
) -> None:
    """Replace an activity's content (all of it) by a new revision."""
    content = _content(activity_type, start_date, end_date, quantity, title, town, "", target_group, co_organiser)
    with gateway(token, gateway_, ca_file) as client:
        activity = client.correct(activity_id, revision, content, reason)
    console.print(f"corrected {_brief(activity)}")


@app.command("retract")
def retract(activity_id: str, reason: str = typer.Option(..., help="Why (goes into the audit trail)."),
            revision: int = typer.Option(0, help="The revision you are retracting; 0: the current one."),
            token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """Withdraw an activity: it stops counting everywhere, and stays readable with its history."""
    with gateway(token, gateway_, ca_file) as client:
        activity = client.retract(activity_id, reason, revision)
    console.print(f"retracted {_brief(activity)}")


@app.command("get")
def get(activity_id: str, token: Token = ..., as_json: AsJson = False,
        gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    with gateway(token, gateway_, ca_file) as client:
        activity = client.get(activity_id)
    if as_json:
        print_json(activity)
        return
    console.print(_brief(activity))


@app.command("history")
def history(activity_id: str, token: Token = ..., as_json: AsJson = False,
            gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """Every change of an activity: who (organisation, role, token id), when, why, what it became."""
    with gateway(token, gateway_, ca_file) as client:
        entries = client.history(activity_id)
    if as_json:
        print_json(entries)
        return
    table = Table("rev", "action", "at", "by", "reason", "content")
    for e in entries:
        a = e.activity
        table.add_row(str(e.revision), e.action, e.at[:19], f"{e.by_org} ({e.by_role}, token {e.by_token_id})",
                      e.reason, f"{a.activity_type} {a.start_date} {_amounts(a)}")
    console.print(table)


@app.command("list")
def list_(token: Token = ..., activity_type: str = typer.Option("", "--type"),
          date_from: str = typer.Option("", "--from", help="Start date from (YYYY-MM-DD)."),
          date_to: str = typer.Option("", "--to", help="Start date up to (YYYY-MM-DD)."),
          town: str = typer.Option(""), org: str = typer.Option("", help="Reporting org (admins)."),
          retracted: bool = typer.Option(False, "--retracted", help="Include retracted activities."),
          limit: int = typer.Option(100, help="At most this many (0: all)."), as_json: AsJson = False,
          gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """Your organisation's activities (an admin: anyone's), newest first."""
    with gateway(token, gateway_, ca_file) as client:
        found = list(client.list_activities(
            limit=limit or None, activity_type=activity_type, start_date_from=iso_date(date_from, "--from") or "",
            start_date_to=iso_date(date_to, "--to") or "", town=town, org=org, include_retracted=retracted))
    if as_json:
        print_json(found)
        return
    table = Table("id", "rev", "type", "title", "start", "town", "quantities", "org")
    for a in found:
        table.add_row(a.activity_id, str(a.revision) + (" retracted" if a.retracted else ""), a.activity_type,
                      a.title, a.start_date, a.town, _amounts(a), a.org)
    console.print(table)


@app.command("types")
def types(token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """The activity types the running system accepts, with the quantities each carries (GetPlan)."""
    with gateway(token, gateway_, ca_file) as client:
        plan = client.plan()
    names = {q.code: f"{q.name}（{q.unit}）" for q in plan.quantities}
    table = Table("code", "name", "category", "quantities")
    for t in plan.activity_types:
        table.add_row(t.code, t.name, t.category, ", ".join(f"{q} {names.get(q, '')}" for q in t.quantities))
    console.print(table)
