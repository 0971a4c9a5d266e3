"""Setting up a county's link to its city on the two brokers (``kepu link …``), through each
broker's management API as its administrator; names and rules in ``libs.common.bus.link``.

The city grants (``grant_county``): a user ``county-<region>`` with a fresh password, and an
exchange ``kepu.county.<region>`` bound to its indicators' activity queue. The county adds
(``add_link``): its forward queue (part of its topology from then on) and a dynamic shovel from
that queue to the city's exchange.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from kombu import Connection

from libs.common.bus.link import (
    CITY_QUEUE,
    FORWARDED,
    SHOVEL_NAME,
    CityLink,
    LinkState,
    check_region,
    county_exchange,
    county_user,
    link_state,
    shovel_definition,
)
from libs.common.bus.topology import FORWARD_QUEUE, QueueType, declare_topology, queue_arguments
from libs.localenv.broker_access import Management, county_grant, put_grant, quoted


def vhost_of(amqp_uri: str) -> str:
    """The vhost an AMQP URI names (``/`` when it names none)."""
    path = urlsplit(amqp_uri.split(";")[0]).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def link_uri(address: str, vhost: str, region: str, password: str) -> str:
    """The URI the county's shovel dials: ``address`` (scheme, host, port) with the link's user,
    password and the city's vhost."""
    parts = urlsplit(address)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise ValueError(f"--address must be amqp://HOST:PORT or amqps://HOST:PORT, not {address!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    login = f"{quote(county_user(region), safe='')}:{quote(password, safe='')}"
    return urlunsplit((parts.scheme, f"{login}@{host}", "/" + quote(vhost, safe=""), "", ""))


# --- the city ---------------------------------------------------------------------------------

def grant_county(api: Management, vhost: str, region: str) -> str:
    """Make (or make again, with a fresh password) county ``region``'s link user and exchange;
    returns the password. The city's topology must be declared (its indicators' queue)."""
    check_region(region)
    v = quoted(vhost)
    if api.get(f"queues/{v}/{quoted(CITY_QUEUE.queue_name)}") is None:
        raise RuntimeError(f"the city's broker has no queue {CITY_QUEUE.queue_name} on vhost {vhost!r}: declare the "
                           "topology first (`kepu run` does; or `kepu broker setup`)")
    exchange = county_exchange(region)
    api.put(f"exchanges/{v}/{quoted(exchange.name)}", {"type": exchange.type, "durable": True})
    for key in FORWARDED:
        api.send("POST", f"bindings/{v}/e/{quoted(exchange.name)}/q/{quoted(CITY_QUEUE.queue_name)}",
                 {"routing_key": key})
    password = secrets.token_urlsafe(24)
    put_grant(api, vhost, county_grant(region), password)
    return password


def revoke_county(api: Management, vhost: str, region: str) -> None:
    """Remove county ``region``'s link user (its connections close) and exchange (with its bindings)."""
    check_region(region)
    user = county_user(region)
    for connection in api.get("connections") or []:
        if connection.get("user") == user:
            api.delete(f"connections/{quoted(connection['name'])}")
    api.delete(f"users/{quoted(user)}")
    api.delete(f"exchanges/{quoted(vhost)}/{quoted(county_exchange(region).name)}")


# --- the county -------------------------------------------------------------------------------

@dataclass(frozen=True)
class County:
    """The county's broker: AMQP as the operator (who declares the topology) and its management API."""

    amqp_uri: str
    api: Management
    queue_type: QueueType = "classic"

    @property
    def vhost(self) -> str:
        return vhost_of(self.amqp_uri)

    @property
    def shovel_path(self) -> str:
        return f"parameters/shovel/{quoted(self.vhost)}/{quoted(SHOVEL_NAME)}"


def add_link(county: County, link: CityLink) -> None:
    """Declare the forward queue (with the topology) and set the shovel to the city."""
    definition = shovel_definition(link, county.vhost, queue_arguments(county.queue_type))
    with Connection(county.amqp_uri, connect_timeout=10) as conn:
        declare_topology(conn, county.queue_type, forward_to_city=True)
    try:
        county.api.put(county.shovel_path, {"value": definition})
    except RuntimeError as exc:
        said = str(exc).lower()
        if "component" in said or ("shovel" in said and "not found" in said):
            raise RuntimeError("the county's broker has no shovel plugin: enable rabbitmq_shovel and "
                               "rabbitmq_shovel_management (the project-local node has them after "
                               "`kepu broker stop && kepu broker start`)") from exc
        raise


def waiting(county: County) -> int | None:
    """Events in the forward queue not yet confirmed by the city (None: no such queue)."""
    queue = county.api.get(f"queues/{quoted(county.vhost)}/{quoted(FORWARD_QUEUE)}")
    return None if queue is None else int(queue.get("messages", 0) or 0)


def read_link(county: County) -> LinkState:
    """The link's state as the county's broker reports it."""
    shovels = county.api.get(f"shovels/{quoted(county.vhost)}") or []
    return link_state(shovels, waiting(county))


def remove_link(county: County, drop_waiting: bool = False) -> int:
    """Remove the shovel and the forward queue; returns how many events it dropped. Refuses while
    events wait for the city, unless ``drop_waiting``."""
    held = waiting(county) or 0
    if held and not drop_waiting:
        raise RuntimeError(f"{held} activity event(s) have not reached the city yet: wait until `kepu link check` "
                           "shows none waiting, or remove with --force to drop them")
    county.api.delete(county.shovel_path)
    county.api.delete(f"queues/{quoted(county.vhost)}/{quoted(FORWARD_QUEUE)}")
    return held
