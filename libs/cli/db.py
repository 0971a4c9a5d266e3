"""``kepu db …``: each service's database schema: where it stands, upgrading it, new revisions.

The services upgrade their database themselves when they start; ``kepu db upgrade`` does it
ahead of a start (e.g. before switching a production host to a new release, after a backup).
"""
from __future__ import annotations

import typer
from rich.table import Table

from libs.cli.common import console, errors
from libs.common.db import ensure_database, make_engine
from libs.common.settings import SERVICES, get_settings

app = typer.Typer(help="Database schemas of the services (alembic migrations).", no_args_is_help=True)


def _engines():
    from libs.common import migrations

    settings = get_settings()
    for service in SERVICES:
        url = settings.database_url(service)
        ensure_database(url)
        engine = make_engine(url)
        try:
            yield service, engine, migrations
        finally:
            engine.dispose()


@app.command()
def status() -> None:
    """Each service's database, its revision and the newest one this release has."""
    table = Table("service", "database", "revision", "newest", "state")
    for service, engine, migrations in _engines():
        now, newest = migrations.current(engine), migrations.head(service)
        state = "up to date" if now == newest else ("empty or from release 13" if now is None else "to upgrade")
        table.add_row(service, engine.url.render_as_string(hide_password=True), now or "-", newest, state)
    console.print(table)


@app.command()
def upgrade() -> None:
    """Bring every service's database to the newest revision (back them up first)."""
    for service, engine, migrations in _engines():
        try:
            before = migrations.migrate(engine, service)
        except migrations.SchemaMismatch as exc:
            errors.print(f"error: {exc}")
            raise typer.Exit(1) from None
        newest = migrations.head(service)
        step = "already at" if before == newest else f"{before or 'empty or release 13'} ->"
        console.print(f"{service}: {step} {newest}")


@app.command()
def revision(service: str = typer.Argument(..., help=f"One of {', '.join(SERVICES)}."),
             message: str = typer.Option(..., "-m", "--message", help="What the revision changes.")) -> None:
    """Write a new revision from the difference between the service's models and its newest
    revision (for developers: read and edit it, then commit it)."""
    from libs.common.migrations import write_revision

    if service not in SERVICES:
        raise typer.BadParameter(f"{service!r} is not a service; one of {', '.join(SERVICES)}", param_hint="SERVICE")
    console.print(f"wrote {write_revision(service, message)}")
