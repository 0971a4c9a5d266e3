"""``kepu org …``: organisations and the tokens their systems use (operator commands, on RPC).

Secrets are made or sealed here, where they are shown or typed: a token is made by this command
and only its sha256 goes to organisations; a channel's target and secret are sealed for
notifications before they leave."""
from __future__ import annotations

import enum
import secrets

import typer
from pydantic import ValidationError
from rich.table import Table

from libs.cli.common import console, errors, services, wait_until_activities_know
from libs.common.access import token_hash
from libs.common.channels import KIND_HELP, ChannelSpec, sealed_channel
from libs.common.errors import invalid
from libs.common.events import CHANNEL_KINDS

app = typer.Typer(help="Organisations and their API tokens.", no_args_is_help=True)


class Role(str, enum.Enum):
    reporter = "reporter"
    viewer = "viewer"
    admin = "admin"


@app.command("list")
def org_list(kind: str = typer.Option(None, help="Only this kind (department, town, ...)."),
             region: str = typer.Option(None, help="Only this region and those below it.")) -> None:
    with services() as rpc:
        orgs = rpc.organisations.list_orgs_under(region, kind) if region else rpc.organisations.list_orgs(kind)
    table = Table("code", "name", "kind", "parent", "region", "note")
    for o in orgs:
        table.add_row(o["code"], o["name"], o["kind"], o["parent"] or "", o.get("region") or "",
                      "example data" if o["is_example"] else "")
    console.print(table)


@app.command("register")
def org_register(code: str, name: str, kind: str = typer.Option("town"), parent: str = typer.Option(None),
                 example: bool = typer.Option(False, "--example", help="Mark as demo data, not a real town.")) -> None:
    """Register a town, village or extra body; returns once reports may name it."""
    with services() as rpc:
        org = rpc.organisations.register_org(
            {"code": code, "name": name, "kind": kind, "parent": parent, "is_example": example})
        console.print(f"registered {org['code']} {org['name']} ({org['kind']}) under {org['parent']}, "
                      f"region {org.get('region') or '—'}")
        if not wait_until_activities_know(rpc, [org["code"]]):
            errors.print(f"the activities service has not learned of {org['code']} yet: reports naming it are "
                         "refused until it has (is it running? `kepu run` shows the services)", markup=False)
            raise typer.Exit(1)


def new_token() -> str:
    """A fresh bearer token, made here where it is shown: organisations is sent only its sha256."""
    return "kepu_" + secrets.token_urlsafe(32)


def issue_token(organisations, org: str, label: str = "", role: str = "reporter",
                expires: str | None = None) -> tuple[str, dict]:
    """Make a token for ORG and record its hash with ``organisations`` (an RPC proxy): (the token,
    what organisations recorded). Neither the request nor the reply carries the token."""
    token = new_token()
    return token, organisations.issue_token(org, token_hash(token), label, role, expires)


@app.command("token")
def org_token(org: str,
              role: Role = typer.Option(Role.reporter, help="reporter: writes and reads its own data; viewer: "
                                        "reads it; admin: the 科协 operators, reads all, corrects any."),
              expires: str = typer.Option(None, help="90d, 12h, 2w or a date (YYYY-MM-DD); default: never."),
              label: str = typer.Option("", help="What the token is for.")) -> None:
    """Issue a bearer token for ORG's system; it is shown only once (its id goes to stderr)."""
    with services() as rpc:
        token, issued = issue_token(rpc.organisations, org, label, role.value, expires)
    until = f", expires {issued['expires_at'][:16]} UTC" if issued["expires_at"] else ""
    errors.print(f"token_id {issued['token_id']} for {issued['org']} ({issued['role']}{until}; revoke with "
                 f"`kepu org revoke {issued['token_id']}`)", markup=False)
    typer.echo(token)


@app.command("tokens")
def org_tokens(org: str = typer.Option(None, help="Only this organisation's tokens.")) -> None:
    """List tokens: id, organisation, role, label, expiry, revocation (never the secret)."""
    with services() as rpc:
        tokens = rpc.organisations.list_tokens(org)
    table = Table("id", "org", "role", "label", "created", "expires", "revoked")
    for t in tokens:
        table.add_row(str(t["token_id"]), t["org"], t["role"], t["label"], (t["created_at"] or "")[:16],
                      (t["expires_at"] or "never")[:16], (t["revoked_at"] or "")[:16])
    console.print(table)


@app.command("revoke")
def org_revoke(token_id: int = typer.Argument(..., help="The token_id shown when the token was issued.")) -> None:
    """Revoke a token; the gateway refuses it within a few seconds."""
    with services() as rpc:
        revoked = rpc.organisations.revoke_token(token_id)
    if not revoked:
        errors.print(f"no active token with id {token_id}", markup=False)
        raise typer.Exit(1)
    console.print(f"revoked token {token_id}")


channel_app = typer.Typer(help="Where an organisation's alert digests go (webhook, 企业微信, 钉钉, email, "
                               "Alertmanager).", no_args_is_help=True)
app.add_typer(channel_app, name="channel")
ChannelKindOption = enum.Enum("ChannelKind", {kind: kind for kind in CHANNEL_KINDS}, type=str)


def add_channel(rpc, org: str, kind: str, target: str, secret: str = "", label: str = "") -> dict:
    """Check a channel, seal its target and secret with notifications' public key, and add it at
    organisations (``rpc``: a proxy to both): neither service nor the bus sees them in clear."""
    try:
        spec = ChannelSpec(kind=kind, target=target, secret=secret, label=label)
    except ValidationError as exc:
        raise invalid(exc) from None
    return rpc.organisations.add_channel(org, sealed_channel(spec, rpc.notifications.public_key()).model_dump())


@channel_app.command("add")
def channel_add(org: str, kind: ChannelKindOption,  # type: ignore[valid-type]
                target: str = typer.Argument(..., help="; ".join(f"{k}: {h}" for k, h in KIND_HELP.items())),
                secret: str = typer.Option("", envvar="KEPU_CHANNEL_SECRET", show_default=False,
                                           help="DingTalk only: the robot's signing secret (SEC…); better from "
                                                "KEPU_CHANNEL_SECRET than the command line (shell history)."),
                label: str = typer.Option("", help="What the channel is, e.g. 科协值班群.")) -> None:
    """Send ORG's alert digests to a channel too (the log always gets them). Target and secret are
    sealed here for the notifications service, which must be running."""
    with services() as rpc:
        added = add_channel(rpc, org, kind.value, target, secret, label)
    console.print(f"channel {added['channel_id']} for {added['org']}: {added['kind']} {added['target']}",
                  markup=False)


@channel_app.command("list")
def channel_list(org: str = typer.Option(None, help="Only this organisation's channels."),
                 removed: bool = typer.Option(False, help="Show removed channels too.")) -> None:
    """Channels, secrets masked."""
    with services() as rpc:
        channels = rpc.organisations.list_channels(org, removed)
    table = Table("id", "org", "kind", "target", "secret", "label", "removed", "note")
    for c in channels:
        table.add_row(str(c["channel_id"]), c["org"], c["kind"], c["target"], c["secret"], c["label"],
                      (c["removed_at"] or "")[:16], "" if c["sealed"] else "in clear: `kepu org channel seal`")
    console.print(table)


@channel_app.command("remove")
def channel_remove(channel_id: int) -> None:
    with services() as rpc:
        removed = rpc.organisations.remove_channel(channel_id)
    if not removed:
        errors.print(f"no channel with id {channel_id} (or removed already)", markup=False)
        raise typer.Exit(1)
    console.print(f"removed channel {channel_id}")


@channel_app.command("seal")
def channel_seal() -> None:
    """Seal the channels added before sealing existed (kept in clear until now) for notifications."""
    with services() as rpc:
        count = rpc.organisations.seal_channels(rpc.notifications.public_key())
    console.print(f"sealed {count} channels and sent them to notifications")


@channel_app.command("resend")
def channel_resend() -> None:
    """Send every channel to notifications again (after restoring its database)."""
    with services() as rpc:
        count = rpc.organisations.republish_channels()
    console.print(f"sent {count} channels to notifications")


from libs.cli.users import app as user_app  # noqa: E402 - the `user` group, in its own module

app.add_typer(user_app, name="user")
