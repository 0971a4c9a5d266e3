"""``kepu activity …``: what a department does through the gateway with its token."""
from __future__ import annotations

import functools
import inspect

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
from libs.common.contracts.activity import ActivityReport, value_kind

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


def content_options(*leave_out: str):
    """Give a command an option for each optional field of the activity contract (``--title``,
    ``--town``, a repeatable ``--co-organiser`` …, help from the field's description), handed to it
    together as ``content``: a field added to the contract is an option at once."""
    fields = {name: f for name, f in ActivityReport.model_fields.items()
              if not f.is_required() and name not in leave_out}

    def option(name: str, field) -> inspect.Parameter:
        many = value_kind(name) == "list"
        flag = "--" + name.replace("_", "-").removesuffix("s" if many else "")
        default = typer.Option(None if many else "", flag, help=field.description or field.title)
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                 annotation=list[str] if many else str)

    def decorate(command):
        own = inspect.signature(command, eval_str=True)

        @functools.wraps(command)
        def with_content(**kwargs):
            content = {name: kwargs.pop(name) for name in fields}
            for name in content:
                if value_kind(name) == "day":
                    content[name] = iso_date(content[name], "--" + name.replace("_", "-")) or ""
            return command(content=content, **kwargs)

        kept = [p for p in own.parameters.values() if p.name != "content"]
        with_content.__signature__ = own.replace(parameters=kept + [option(n, f) for n, f in fields.items()])
        return with_content

    return decorate


def _content(activity_type: str, start_date: str, quantity: list[str], content: dict) -> dict:
    """A report from the command's arguments and its contract options."""
    return {"activity_type": activity_type, "start_date": iso_date(start_date, "--date"),
            "quantities": _quantities(quantity), **content, "co_organisers": content.get("co_organisers") or []}


def _brief(a) -> str:
    state = " (retracted)" if a.retracted else ""
    return f"{a.activity_id} rev {a.revision}{state}: {a.activity_type} {a.start_date} {_amounts(a)} by {a.org}"


def _amounts(a) -> str:
    return ", ".join(f"{k}={num(v)}" for k, v in sorted(a.quantities.items()))


@app.command("report")
@content_options()
def report(
    activity_type: str = typer.Argument(..., help="Activity type code from the plan, e.g. caravan_tour."),
    start_date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    quantity: list[str] = typer.Option(..., "--quantity", "-q", help="code=value, e.g. -q sessions=3"),
    token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None, content: dict | None = None,
) -> None:
    """Report one activity, as a department system would."""
    with gateway(token, gateway_, ca_file) as client:
        resp = client.report(_content(activity_type, start_date, quantity, content))
    console.print(f"{'recorded' if resp.created else 'already recorded'} {_brief(resp.activity)}")


@app.command("correct")
@content_options("external_id")
def correct(
    activity_id: str, revision: int = typer.Option(..., help="The revision you are correcting (see `get`)."),
    activity_type: str = typer.Option(..., "--type"), start_date: str = typer.Option(..., "--date"),
    quantity: list[str] = typer.Option(..., "--quantity", "-q"), reason: str = typer.Option(""),
    token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None, content: dict | None = None,
) -> None:
    """Replace an activity's content (all of it) by a new revision."""
    with gateway(token, gateway_, ca_file) as client:
        activity = client.correct(activity_id, revision, _content(activity_type, start_date, quantity, content),
                                  reason)
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
