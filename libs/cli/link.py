"""``kepu link …``: a county hosted apart forwards its activity events to its city's system.

On the city: ``grant`` makes the county's link user and exchange and prints the URI to hand to
the county's operator; ``revoke`` takes them away. On the county: ``add`` sets the shovel with that
URI, ``check`` says whether it runs, ``remove`` takes it away. See README "Counties hosted apart".
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from libs.cli.common import errors
from libs.common.bus.link import CityLink, check_region
from libs.common.settings import Settings, get_settings
from libs.localenv import county_link
from libs.localenv.broker_access import Management

app = typer.Typer(help="Link a county hosted apart to its city: the county's activity events count in the city.",
                  no_args_is_help=True)

BrokerApi = Annotated[str | None, typer.Option(
    "--broker-api", envvar="KEPU_BROKER_ADMIN_API", show_default=False,
    help="This broker's management API as its administrator (http://admin:password@host:15672); default: the "
         "project-local node's.")]
Region = Annotated[str, typer.Option("--county", help="The county's region code, as in its plan (region.code).")]


def _management(settings: Settings, api_uri: str | None) -> Management:
    from libs.localenv.supervisor import local_broker

    return Management(api_uri or local_broker(settings).api_uri)  # a local cluster: a node that runs


def _county(api_uri: str | None) -> county_link.County:
    settings = get_settings()
    return county_link.County(settings.amqp_uri, _management(settings, api_uri), settings.broker_queue_type)


def _fail(exc: Exception) -> typer.Exit:
    errors.print(f"[red]✗[/red] {exc}", markup=True)
    return typer.Exit(1)


def _known_county(settings: Settings, region: str) -> None:
    """Refuse a county the city's plans do not follow: its events could not be counted."""
    from libs.common.plan.atlas import load_atlas

    atlas = load_atlas(settings.plan_file)
    if region not in atlas.regions or atlas.parent(region) is None:
        below = [code for code in atlas.regions if atlas.parent(code) is not None]
        raise ValueError(f"the plans here ({settings.plan_file}) have no region {region!r} below another: a city "
                         f"counts a county's events by the county's plan, so add its plan file first (regions below: "
                         f"{', '.join(sorted(below)) or 'none'})")


@app.command()
def grant(county: Region, address: Annotated[str, typer.Option(
              help="Where the county's broker reaches this one, e.g. amqps://city.example.org:5671 (TLS between "
                   "hosts); default: this node's AMQP port on loopback.", show_default=False)] = "",
          broker_api: BrokerApi = None) -> None:
    """City side: make the link user county-REGION (a fresh password) and the exchange kepu.county.REGION
    bound to the indicators' activity queue, and print the URI the county's operator needs."""
    settings = get_settings()
    try:
        check_region(county)
        _known_county(settings, county)
        vhost = county_link.vhost_of(settings.amqp_uri)
        password = county_link.grant_county(_management(settings, broker_api), vhost, county)
        uri = county_link.link_uri(address or f"amqp://127.0.0.1:{settings.broker_port}", vhost, county, password)
    except (ValueError, RuntimeError, OSError) as exc:
        raise _fail(exc) from None
    typer.echo(f"county {county} may now send its activity events to this broker (and nothing else). "
               "Give its operator this URI, privately (it holds the link's password), to run:")
    typer.echo(f"  kepu link add --city-uri '{uri}'" + (" --tls-ca CITY-CA.pem" if uri.startswith("amqps") else ""))


@app.command()
def revoke(county: Region, broker_api: BrokerApi = None) -> None:
    """City side: remove county-REGION's link user and exchange (the county's events wait in its queue)."""
    settings = get_settings()
    try:
        county_link.revoke_county(_management(settings, broker_api), county_link.vhost_of(settings.amqp_uri), county)
    except (ValueError, RuntimeError, OSError) as exc:
        raise _fail(exc) from None
    typer.echo(f"revoked the link of county {county}")


@app.command()
def add(city_uri: Annotated[str, typer.Option(help="The URI `kepu link grant` printed on the city.")],
        tls_ca: Annotated[Path | None, typer.Option(dir_okay=False, exists=True, resolve_path=True,
                                                    help="PEM CA of the city's certificate (amqps).")] = None,
        tls_cert: Annotated[Path | None, typer.Option(dir_okay=False, exists=True, resolve_path=True,
                                                      help="A client certificate, if the city asks for one.")] = None,
        tls_key: Annotated[Path | None, typer.Option(dir_okay=False, exists=True, resolve_path=True,
                                                     help="The client certificate's key.")] = None,
        broker_api: BrokerApi = None) -> None:
    """County side: keep a copy of each activity event in kepu.forward.city and shovel it to the city."""
    link = CityLink(city_uri, *(str(f) if f else None for f in (tls_ca, tls_cert, tls_key)))
    try:
        county = _county(broker_api)
        county_link.add_link(county, link)
    except (ValueError, RuntimeError, OSError) as exc:
        raise _fail(exc) from None
    typer.echo(f"county {link.region} forwards its activity events to its city; see `kepu link check`")


@app.command()
def check(broker_api: BrokerApi = None) -> None:
    """County side: say whether the link to the city runs, and what to do if not (exit 1)."""
    try:
        state = county_link.read_link(_county(broker_api))
    except (RuntimeError, OSError) as exc:
        raise _fail(exc) from None
    typer.echo(("✓ " if state.running else "✗ ") + state.summary)
    if state.advice:
        typer.echo(f"  what to do: {state.advice}")
    raise typer.Exit(0 if state.running else 1)


@app.command()
def remove(force: Annotated[bool, typer.Option(help="Also drop events that have not reached the city.")] = False,
           broker_api: BrokerApi = None) -> None:
    """County side: stop forwarding (the shovel and its queue go)."""
    try:
        dropped = county_link.remove_link(_county(broker_api), force)
    except (RuntimeError, OSError) as exc:
        raise _fail(exc) from None
    typer.echo("removed the link to the city" + (f"; dropped {dropped} event(s) it had not sent" if dropped else ""))
