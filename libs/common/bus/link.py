"""A county hosted apart forwards its activity events to its city's system: names, the shovel's
definition, and how to read its state.

The county's broker runs a dynamic shovel (RabbitMQ's ``rabbitmq_shovel`` plugin): it takes the
county's activity events from a queue of the county's topology (``kepu.forward.city``, bound to
``activities.events`` for the activity event types) and publishes them to an exchange the city
made for that county alone (``kepu.county.<region>``), as a broker user the city made for it
alone (``county-<region>``). The city binds that exchange to its indicators' activity queue, so
its indicators count the events as if they were reported there, in the county's region and
rolled up; they count an event of a county's link only for that county's region and those below
(``services.indicators.domain.counting.county_refusal``).

At least once, never twice: with ``ack-mode: on-confirm`` the shovel acks a message in the county
only after the city's broker confirmed it, so a link dropped in between sends it again, and the
city's indicators count each event id once (``processed_events``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from kombu import Exchange

from libs.common.bus.topology import ACTIVITY_COUNTING, FORWARD_QUEUE

COUNTY_USER_PREFIX = "county-"
SHOVEL_NAME = "kepu-to-city"  # a county forwards to one city
CITY_QUEUE = ACTIVITY_COUNTING  # the city's indicators queue of activity events: the only one a link sends into
FORWARDED: tuple[str, ...] = (CITY_QUEUE.event_type, *CITY_QUEUE.also)  # the routing keys of activity events
RECONNECT_DELAY = 2  # seconds the shovel waits before dialling the city again
REGION_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def county_user(region: str) -> str:
    """The city's broker user for the link of county ``region``."""
    return f"{COUNTY_USER_PREFIX}{region}"


def county_of(user_id: str | None) -> str | None:
    """The county whose link this broker user is, or None for any other user."""
    if user_id and user_id.startswith(COUNTY_USER_PREFIX) and len(user_id) > len(COUNTY_USER_PREFIX):
        return user_id[len(COUNTY_USER_PREFIX):]
    return None


def county_exchange(region: str) -> Exchange:
    """Where the city takes county ``region``'s events: a topic exchange, so that topic permissions
    limit the link to the activity event types."""
    return Exchange(f"kepu.county.{region}", type="topic", durable=True)


def check_region(region: str) -> str:
    """``region`` if it can name a broker user and an exchange, else ValueError saying why."""
    if not REGION_CODE.match(region):
        raise ValueError(f"{region!r} is not a region code (lower-case letters, digits and '-', as in the plan's "
                         "region.code)")
    return region


@dataclass(frozen=True)
class CityLink:
    """What a county needs to reach its city: the city's AMQP URI as its link's user, and for TLS
    the CA that signed the city's certificate (and a client certificate, if the city asks for one)."""

    city_uri: str
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    @property
    def region(self) -> str:
        """The county, from the user the city made for it (``county-<region>``)."""
        user = unquote(urlsplit(self.city_uri).username or "")
        county = county_of(user)
        if county is None:
            raise ValueError(f"the city's URI must log in as the link's user county-<region> (from `kepu link grant`), "
                             f"not {user or 'nobody'!r}")
        return check_region(county)

    def destination_uri(self) -> str:
        """The city's URI as the shovel dials it: with TLS, the CA to verify the city by, and the
        name it must present (``server_name_indication``)."""
        parts = urlsplit(self.city_uri)
        if parts.scheme not in ("amqp", "amqps"):
            raise ValueError(f"the city's URI must start with amqp:// or amqps://, not {parts.scheme}://")
        if parts.scheme == "amqp":
            if self.tls_ca or self.tls_cert:
                raise ValueError("TLS files were given for an amqp:// URI: use the city's amqps:// URI")
            return self.city_uri
        if not self.tls_ca:
            raise ValueError("an amqps:// link needs --tls-ca, the CA of the city's certificate, so that the county "
                             "knows it talks to its city")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("give both --tls-cert and --tls-key (a client certificate), or neither")
        query = {"cacertfile": self.tls_ca, "verify": "verify_peer", "server_name_indication": parts.hostname}
        if self.tls_cert:
            query |= {"certfile": self.tls_cert, "keyfile": self.tls_key}
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))


def local_uri(vhost: str) -> str:
    """The shovel's URI of the county's own broker (a direct connection on the node) and vhost."""
    return "amqp://" if vhost == "/" else f"amqp:///{quote(vhost, safe='')}"


def shovel_definition(link: CityLink, vhost: str, queue_arguments: dict[str, str]) -> dict:
    """The dynamic shovel's value (``PUT /api/parameters/shovel/<vhost>/<name>``): from the
    county's forward queue to the county's exchange at the city, acked once the city confirmed,
    each message marked as sent by the link's user (the county's messages carry their own
    ``user_id``, which the city's broker would refuse on the link's connection)."""
    return {
        "src-protocol": "amqp091",
        "src-uri": local_uri(vhost),
        "src-queue": FORWARD_QUEUE,
        "src-queue-args": queue_arguments,  # as the operator declared it (the shovel only checks it is there)
        "dest-protocol": "amqp091",
        "dest-uri": link.destination_uri(),
        "dest-exchange": county_exchange(link.region).name,  # the routing keys are kept
        "dest-publish-properties": {"user_id": county_user(link.region)},
        "ack-mode": "on-confirm",
        "reconnect-delay": RECONNECT_DELAY,
    }


@dataclass(frozen=True)
class LinkState:
    """The shovel as the county's broker reports it, in words for an operator."""

    running: bool
    summary: str
    advice: str = ""


def link_state(shovels: list[dict], waiting: int | None) -> LinkState:
    """What ``GET /api/shovels/<vhost>`` says of the link, with ``waiting`` events in the forward
    queue (None: the queue is missing)."""
    mine = next((s for s in shovels if s.get("name") == SHOVEL_NAME), None)
    backlog = "" if waiting is None else f"; {waiting} event(s) wait in {FORWARD_QUEUE}"
    if mine is None:
        return LinkState(False, "no link to a city is configured on this broker" + backlog,
                         "add one with `kepu link add --city-uri URI` (the city's operator gives the URI: "
                         "`kepu link grant --county REGION`)")
    if waiting is None:
        return LinkState(False, f"the link exists but its queue {FORWARD_QUEUE} is missing: activity events are "
                                "not kept for the city", "run `kepu link add` again: it declares the queue")
    state = mine.get("state", "unknown")
    if state == "running":
        return LinkState(True, f"the link to the city runs ({_where(mine)}){backlog}")
    reason = mine.get("reason") or mine.get("info") or ""
    why = f" ({_short(reason)})" if reason else ""
    return LinkState(False, f"the link to the city is {state}{why}{backlog}; it tries again every "
                            f"{RECONNECT_DELAY}s and nothing is lost meanwhile",
                     _advice(str(reason)))


def _where(shovel: dict) -> str:
    return str(shovel.get("dest_uri") or shovel.get("dest") or shovel.get("dest_exchange") or "the city").split("?")[0]


def _short(reason: object, limit: int = 300) -> str:
    text = " ".join(str(reason).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _advice(reason: str) -> str:
    """What to do about a link that does not run, from the broker's reason."""
    lowered = reason.lower()
    if "access_refused" in lowered or "auth" in lowered or "login" in lowered:
        return ("the city refused the link's user or password: ask the city's operator for a fresh URI (`kepu link "
                "grant --county REGION`), then `kepu link add --city-uri URI` again")
    if "tls" in lowered or "ssl" in lowered or "certificate" in lowered or "unknown_ca" in lowered:
        return ("TLS failed: check that --tls-ca is the CA of the city's certificate and the URI's host is the name "
                "on it, then `kepu link add` again")
    if "not_found" in lowered or "no exchange" in lowered:
        return "the city has no exchange for this county: the city's operator runs `kepu link grant --county REGION`"
    return ("the county's broker cannot reach the city's, or the city refuses it: check the host, port and "
            "firewall between the two systems, that --tls-ca is the CA of the city's certificate and the URI's host "
            "the name on it, and that the URI is the latest `kepu link grant` printed; the county broker's log says "
            f"which (\"Shovel '{SHOVEL_NAME}' failed to connect\"). Events wait in the county's queue meanwhile")
