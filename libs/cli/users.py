"""``kepu org user …``: people's accounts for the web portal, and their sessions (operator
commands, on RPC).

The one-time set-up code is made here, where its link is shown: organisations is sent only its
sha256, so neither the bus nor a database holds a code that would let someone choose the
person's password."""
from __future__ import annotations

import enum
import secrets

import typer
from rich.table import Table

from libs.cli.common import console, errors, services
from libs.common.access import ROLES, token_hash
from libs.common.settings import get_settings

app = typer.Typer(help="People's accounts for the web portal (set-up links, disabling, sessions).",
                  no_args_is_help=True)
Role = enum.Enum("Role", {role: role for role in ROLES}, type=str)


def new_setup_code() -> str:
    """A one-time set-up code, made here where its link is shown."""
    return secrets.token_urlsafe(24)


def setup_link(code: str) -> str:
    return f"{get_settings().portal_base}/setup/{code}"


def _print_link(view: dict, code: str) -> None:
    errors.print(f"account {view['account']} ({view['display_name']}, {view['role']} of {view['org']}): send this "
                 "link to the person, once; it sets the password and then stops working", markup=False)
    typer.echo(setup_link(code))
    errors.print(f"the link works until {view['setup_expires_at'][:16]} UTC; a new one: "
                 f"`kepu org user reset {view['account']}`", markup=False)


@app.command("add")
def user_add(org: str, account: str = typer.Argument(..., help="Login name: 3-64 of a-z 0-9 . _ - (fulian-wang)."),
             name: str = typer.Option(..., "--name", help="The person's name as shown, e.g. 王芳."),
             role: Role = typer.Option(..., help="reporter: reports and reads its organisation's data; viewer: "  # type: ignore[valid-type]
                                       "reads it; admin: the 科协 operators."),
             valid: str = typer.Option("72h", help="How long the set-up link works: 72h, 7d (at most 30d).")) -> None:
    """Make ACCOUNT for a person of ORG and print a one-time link where they choose a password."""
    code = new_setup_code()
    with services() as rpc:
        view = rpc.organisations.add_account(org, account, name, role.value, token_hash(code), valid)
    _print_link(view, code)


@app.command("reset")
def user_reset(account: str, valid: str = typer.Option("72h", help="How long the new link works.")) -> None:
    """A new set-up link for ACCOUNT (a forgotten password); the old password works until the new one is set."""
    code = new_setup_code()
    with services() as rpc:
        view = rpc.organisations.reset_account(account, token_hash(code), valid)
    _print_link(view, code)


@app.command("list")
def user_list(org: str = typer.Option(None, help="Only this organisation's accounts.")) -> None:
    """Accounts, with their open sessions (never a password or a hash)."""
    with services() as rpc:
        accounts = rpc.organisations.list_accounts(org)
    table = Table("account", "name", "org", "role", "state", "sessions", "created")
    for a in accounts:
        state = ("disabled" if a["disabled_at"] else "set up" if a["password_set"] else "waiting for set-up") + \
            (" (reset pending)" if a["password_set"] and a["setup_pending"] else "")
        table.add_row(a["account"], a["display_name"], a["org"], a["role"], state, str(a["active_sessions"]),
                      (a["created_at"] or "")[:16])
    console.print(table)


@app.command("disable")
def user_disable(account: str) -> None:
    """ACCOUNT can no longer sign in; its open sessions end (within KEPU_GRPC_TOKEN_CACHE_SECONDS)."""
    with services() as rpc:
        view = rpc.organisations.disable_account(account)
    console.print(f"disabled {view['account']}; its sessions ended", markup=False)


@app.command("enable")
def user_enable(account: str) -> None:
    """ACCOUNT may sign in again (its ended sessions stay ended)."""
    with services() as rpc:
        view = rpc.organisations.enable_account(account)
    console.print(f"enabled {view['account']}", markup=False)


@app.command("sessions")
def user_sessions(account: str = typer.Option(None, help="Only this account's sessions."),
                  org: str = typer.Option(None, help="Only this organisation's."),
                  ended: bool = typer.Option(False, "--all", help="Ended and expired sessions too.")) -> None:
    """Sessions, newest first: who, since when, last call, from where."""
    with services() as rpc:
        sessions = rpc.organisations.list_sessions(account, org, not ended)
    table = Table("id", "account", "org", "signed in", "last call", "address", "state")
    for s in sessions:
        state = "active" if s["active"] else (s["ended_why"] or "expired")
        table.add_row(str(s["session_id"]), s["account"], s["org"], (s["created_at"] or "")[:16],
                      (s["last_seen_at"] or "")[:16], s["address"], state)
    console.print(table)


@app.command("sign-out")
def user_sign_out(account: str = typer.Argument(None, help="End every open session of this account."),
                  session: int = typer.Option(None, "--session", help="End only this session (an id from "
                                              "`kepu org user sessions`).")) -> None:
    """End a person's sessions (they must sign in again), within KEPU_GRPC_TOKEN_CACHE_SECONDS."""
    if account is None and session is None:
        errors.print("name an ACCOUNT, or --session ID", markup=False)
        raise typer.Exit(2)
    with services() as rpc:
        ended = rpc.organisations.end_sessions(account, session)
    console.print(f"ended {ended} session{'s' if ended != 1 else ''}", markup=False)
