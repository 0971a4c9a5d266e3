"""What the ``kepu`` command groups share: consoles, option types, and the two ways in.

Department commands go through the gRPC gateway with a token (``gateway()``), as a department
system would; operator commands that bootstrap the system (tokens, towns, the clock) use nameko
RPC on the bus (``services()``).
"""
from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from libs.common.channels import masked
from libs.common.settings import get_settings
from libs.common.wording import number

console = Console()
errors = Console(stderr=True, highlight=False)

Token = Annotated[str, typer.Option(envvar="KEPU_TOKEN", help="Your bearer token (or set KEPU_TOKEN).",
                                    show_default=False)]
Gateway = Annotated[str | None, typer.Option("--gateway",
                                             help="host:port of the gateway (default from KEPU_GRPC_HOST/PORT).")]
CaFile = Annotated[Path | None, typer.Option(envvar="KEPU_GRPC_CA_FILE", help="PEM CA of a TLS gateway.",
                                             dir_okay=False, exists=True)]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def iso_date(value: str | None, option: str) -> str | None:
    """Check a YYYY-MM-DD option here, so the error names the option."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


def print_json(messages) -> None:
    """Proto messages (one, or a list) as JSON with the proto's field names, zeros included."""
    from google.protobuf.json_format import MessageToDict

    def one(message) -> dict:
        return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)

    data = [one(m) for m in messages] if isinstance(messages, list) else one(messages)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1))


def print_plain_json(data) -> None:
    """Plain data (what an RPC answered) as JSON."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1))


def num(value: float) -> str:
    """An amount as it was reported: 3, not 3.0; 2000000, not 2e+06 (an indicator's figures are
    read as ``wording.figure`` writes them)."""
    return number(value, 6)


@contextmanager
def gateway(token: str, target: str | None = None, ca_file: Path | None = None):
    """A ``KepuClient`` to the gateway; its errors are printed as readable lines (exit 1)."""
    from libs.client.client import ClientError, KepuClient

    settings = get_settings()
    client = KepuClient(target or settings.grpc_target, token, ca_file or settings.grpc_ca_file)
    try:
        yield client
    except ClientError as exc:
        for line in exc.lines():
            errors.print(line, markup=False)
        raise typer.Exit(1) from None
    finally:
        client.close()


@contextmanager
def services(timeout: float = 30):
    """RPC to the running services; their errors are printed for people, not as tracebacks."""
    from kombu.exceptions import KombuError
    from nameko.exceptions import RemoteError, UnknownService
    from nameko.standalone.rpc import RpcTimeout

    from libs.common.errors import ClientError
    from libs.common.rpc import ClusterRpcProxy

    settings = get_settings()
    try:
        with ClusterRpcProxy(settings.nameko_config(), timeout=timeout) as rpc:
            yield rpc
    except ClientError as exc:  # a refusal: the same exception the service raised, with its data
        errors.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except RemoteError as exc:
        errors.print(f"error: {exc.value}", markup=False)
        raise typer.Exit(2) from None
    except (RpcTimeout, UnknownService, KombuError, OSError, TimeoutError) as exc:
        where = masked("webhook", settings.amqp_uri)  # the password hidden
        errors.print(f"cannot reach the services ({type(exc).__name__}: {exc}) at {where}; "
                     "is `make run` going? (set KEPU_AMQP_URI for another broker)", markup=False)
        raise typer.Exit(3) from None


def wait_until_activities_know(rpc, codes: list[str], timeout: float = 30.0) -> bool:
    """After registering organisations: wait until the activities service's copy (fed by
    organisations' events) has them, so the next report naming them is accepted. False on timeout."""
    import time

    deadline = time.monotonic() + timeout
    while set(rpc.activities.known_organisations(codes)) != set(codes):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
