"""Commands that talk to a running system: organisations, tokens, reports, progress, alerts."""
from __future__ import annotations

import datetime as dt
import enum
import json
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table

from libs.common.settings import get_settings

console = Console()
errors = Console(stderr=True, highlight=False)
org_app = typer.Typer(help="Organisations and their API tokens.", no_args_is_help=True)
activity_app = typer.Typer(help="Report activities through the gRPC gateway.", no_args_is_help=True)
indicator_app = typer.Typer(help="Progress of the plan's indicators.", no_args_is_help=True)
alert_app = typer.Typer(help="Alerts raised for lagging indicators.", no_args_is_help=True)


def iso_date(value: str | None, option: str) -> str | None:
    """Check a YYYY-MM-DD option here, so the error names the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


@contextmanager
def services():
    """RPC to the running services; their errors are printed for people, not as tracebacks."""
    from kombu.exceptions import KombuError
    from nameko.exceptions import RemoteError, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy, RpcTimeout

    settings = get_settings()
    try:
        with ClusterRpcProxy(settings.nameko_config(), timeout=30) as rpc:
            yield rpc
    except RemoteError as exc:
        errors.print(f"error: {exc.value}", markup=False)
        raise typer.Exit(2) from None
    except (RpcTimeout, UnknownService, KombuError, OSError, TimeoutError) as exc:
        errors.print(f"cannot reach the services ({type(exc).__name__}: {exc}) at {settings.amqp_uri}; "
                     "is `make run` going? (set KEPU_AMQP_URI for another broker)", markup=False)
        raise typer.Exit(3) from None


@org_app.command("list")
def org_list(kind: str = typer.Option(None, help="Only this kind (department, town, ...).")) -> None:
    with services() as rpc:
        orgs = rpc.organisations.list_orgs(kind)
    table = Table("code", "name", "kind", "parent", "note")
    for o in orgs:
        table.add_row(o["code"], o["name"], o["kind"], o["parent"] or "", "example data" if o["is_example"] else "")
    console.print(table)


@org_app.command("register")
def org_register(code: str, name: str, kind: str = typer.Option("town"), parent: str = typer.Option(None),
                 example: bool = typer.Option(False, "--example", help="Mark as demo data, not a real town.")) -> None:
    with services() as rpc:
        org = rpc.organisations.register_org(
            {"code": code, "name": name, "kind": kind, "parent": parent, "is_example": example})
    console.print(f"registered {org['code']} {org['name']} ({org['kind']}) under {org['parent']}")


@org_app.command("token")
def org_token(org: str, label: str = typer.Option("", help="What the token is for.")) -> None:
    """Issue a bearer token for ORG's system; it is shown only once (its id goes to stderr)."""
    with services() as rpc:
        issued = rpc.organisations.issue_token(org, label)
    errors.print(f"token_id {issued['token_id']} for {issued['org']} (revoke with `kepu org revoke "
                 f"{issued['token_id']}`)", markup=False)
    typer.echo(issued["token"])


@org_app.command("revoke")
def org_revoke(token_id: int = typer.Argument(..., help="The token_id shown when the token was issued.")) -> None:
    """Revoke a token; the gateway refuses it within a few seconds."""
    with services() as rpc:
        revoked = rpc.organisations.revoke_token(token_id)
    if not revoked:
        errors.print(f"no active token with id {token_id}", markup=False)
        raise typer.Exit(1)
    console.print(f"revoked token {token_id}")


@activity_app.command("report")
def activity_report(
    activity_type: str = typer.Argument(..., help="Activity type code from the plan, e.g. caravan_tour."),
    start_date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    quantity: list[str] = typer.Option(..., "--quantity", "-q", help="code=value, e.g. -q sessions=3"),
    token: str = typer.Option(..., envvar="KEPU_TOKEN", help="The department's bearer token."),
    title: str = typer.Option(""), town: str = typer.Option(""), external_id: str = typer.Option(""),
    target_group: str = typer.Option(""), end_date: str = typer.Option(""),
    gateway: str = typer.Option(None, help="host:port of the gateway (default from settings)."),
) -> None:
    """Report one activity over gRPC, as a department system would."""
    import grpc
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    from libs.common.api.kepu.v1 import gateway_pb2 as pb
    from libs.common.api.kepu.v1 import gateway_pb2_grpc as pb_grpc

    quantities = {}
    for item in quantity:
        key, _, value = item.partition("=")
        try:
            quantities[key] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{item!r}: expected code=number", param_hint="--quantity") from None
    start_date, end_date = iso_date(start_date, "--date"), iso_date(end_date or None, "--end-date") or ""
    s = get_settings()
    with grpc.insecure_channel(gateway or f"{s.grpc_host}:{s.grpc_port}") as channel:
        stub = pb_grpc.ActivityServiceStub(channel)
        try:
            resp = stub.ReportActivity(pb.ReportActivityRequest(
                activity_type=activity_type, title=title, external_id=external_id, town=town,
                target_group=target_group, start_date=start_date, end_date=end_date, quantities=quantities,
            ), metadata=[("authorization", f"Bearer {token}")], timeout=30)
        except grpc.RpcError as exc:
            errors.print(f"{exc.code().name}: {exc.details()}", markup=False)
            status = rpc_status.from_call(exc)
            for detail in status.details if status is not None else []:
                bad = error_details_pb2.BadRequest()
                if detail.Unpack(bad):
                    for v in bad.field_violations:
                        errors.print(f"  field {v.field}: {v.description}", markup=False)
            raise typer.Exit(1) from None
    a = resp.activity
    console.print(f"{'recorded' if resp.created else 'already recorded'} {a.activity_id} "
                  f"({a.activity_type}, {a.start_date}, {dict(a.quantities)}) for {a.org}")


@indicator_app.command("progress")
def progress(indicator: str = typer.Option(None), scope: str = typer.Option(None),
             as_json: bool = typer.Option(False, "--json")) -> None:
    with services() as rpc:
        rows = rpc.indicators.get_progress(indicator, scope)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("indicator", "window", "scope", "actual", "expected", "target", "unit", "status")
    for r in rows:
        judged = r["status"] not in (None, "tracking")  # breakdowns and tracking counts have no target
        table.add_row(r["indicator"], r["window"], r["scope"], f"{r['actual']:g}",
                      f"{r['expected']:g}" if judged else "—", f"{r['target']:g}" if judged else "—",
                      r["unit"], r["status"] or "")
    console.print(table)


@indicator_app.command("evaluate")
def evaluate(as_of: str = typer.Option(None, "--as-of", help="Move a frozen clock (`kepu run --as-of`) to this date.")
             ) -> None:
    """Re-evaluate every indicator window now (after moving a frozen clock, with --as-of)."""
    as_of = iso_date(as_of, "--as-of")
    with services() as rpc:
        if as_of:
            rpc.activities.set_clock(as_of)
        n = rpc.indicators.evaluate(as_of)
    console.print(f"{n} status change(s)")


class AlertState(str, enum.Enum):
    firing = "firing"
    resolved = "resolved"


@alert_app.command("list")
def alerts(state: AlertState = typer.Option(None, help="Only firing or only resolved alerts."),
           as_json: bool = typer.Option(False, "--json")) -> None:
    with services() as rpc:
        rows = rpc.notifications.list_alerts(state.value if state else None)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("indicator", "window", "state", "status", "actual/expected/target", "to")
    for a in rows:
        table.add_row(f"{a['indicator']} {a['indicator_name']}", a["window"], a["state"], a["status"],
                      f"{a['actual']:g} / {a['expected']:g} / {a['target']:g} {a['unit']}", ", ".join(a["recipients"]))
    console.print(table)
