"""One broker user per service, with least-privilege permissions derived from the topology.

RabbitMQ grants per vhost three regular expressions over resource names: *configure* (declare,
delete), *write* (publish to an exchange; bind a queue) and *read* (consume from or purge a
queue; bind from an exchange), and per topic exchange two more over routing keys (*topic
permissions*: which keys a user may publish, and bind with). Derived here from
``libs.common.bus.topology`` and ``libs.common.bus.senders`` (one definition), used by ``kepu
run`` for the project-local node and by the compose stack's ``broker-setup`` (``python -m
libs.localenv.broker_access``), so the local node and production grant the same. No service
imports it: it is what sets a broker up, not what runs on it.

The operator declares the topology (every exchange, queue and binding). A service may then:
- declare and bind only its own RPC queue (``rpc-<service>``), with the binding key
  ``<service>.*`` alone, and consume it;
- publish on ``nameko-rpc`` only replies (a reply's routing key is the caller's reply id), so a
  stolen service password calls no one's method;
- publish events to its own exchange only, with the event types it emits (``activities.events``
  is the activities service's: nobody else can forge an ``activity_recorded``);
- consume only its own subscriber queues;
- park failing messages (the ``kepu.dead-letters`` exchange; the queue they wait in is
  ``kepu.parked``, which only the operator reads or purges), retry a message only into its own
  queues (``kepu.retry.<service>``); only activities replays for a rebuild (``kepu.rebuild``).
No service may declare, bind, unbind, purge or delete a queue or exchange of another, nor of
the topology; nobody but the operator writes to the default exchange, which reaches every queue
by name. The gateway calls the RPC methods it serves and watches status changes through queues
of its own; ``kepu`` commands and ``kepu run`` act as the operator.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from libs.common.bus.link import FORWARDED, county_exchange, county_user
from libs.common.bus.senders import GATEWAY, GATEWAY_CALLS, OPERATOR
from libs.common.bus.topology import (
    DEAD_LETTERS,
    REBUILD_EXCHANGE,
    REBUILD_QUEUE,
    RPC_EXCHANGE,
    SUBSCRIPTIONS,
    event_exchange,
    retry_exchange,
)
from libs.common.events import INDICATOR_STATUS_CHANGED
from libs.common.settings import SERVICES

RPC = RPC_EXCHANGE.name
USERS = (*SERVICES, GATEWAY, OPERATOR)  # operator: `kepu` commands (tokens, rebuilds, dead letters)
REPLY_KEY = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # nameko's reply ids (uuid4)
NOTHING = "^$"


def _any(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$" if patterns else NOTHING


def _names(*names: str) -> list[str]:
    return [re.escape(n) for n in names]


@dataclass(frozen=True)
class Grant:
    user: str
    configure: str
    write: str
    read: str
    # topic exchange -> (routing keys the user may publish, binding keys it may bind with)
    topics: dict[str, tuple[str, str]] = field(default_factory=dict)


def emitted(service: str) -> list[str]:
    """The event types a service publishes on its own exchange (what others subscribe to)."""
    return sorted({t for sub in SUBSCRIPTIONS if sub.source == service for t in (sub.event_type, *sub.also)})


def grant(user: str) -> Grant:
    """The permissions of one service's (or the gateway's, or the operator's) broker user."""
    if user == OPERATOR:  # declares the topology, reads and replays dead letters, calls any RPC
        return Grant(user, configure=".*", write=".*", read=".*")
    if user == GATEWAY:
        replies = r"rpc\.reply-standalone_rpc_proxy-.+"
        watch = r"gateway-watch-.+"
        calls = _names(*GATEWAY_CALLS)
        return Grant(user, configure=_any(replies, watch), write=_any(replies, watch, *_names(RPC)),
                     read=_any(replies, watch, *_names(RPC, event_exchange("indicators").name)),
                     topics={RPC: (_any(*calls), _any(REPLY_KEY)),
                             event_exchange("indicators").name: (NOTHING, _any(INDICATOR_STATUS_CHANGED))})
    own_rpc = f"rpc-{re.escape(user)}"
    consumed = _names(*(sub.queue_name for sub in SUBSCRIPTIONS if sub.service == user))
    if user == "indicators":
        consumed += _names(REBUILD_QUEUE)
    own_events = event_exchange(user).name
    write = [own_rpc, *_names(RPC, own_events, DEAD_LETTERS.name, retry_exchange(user).name)]
    if user == "activities":
        write += _names(REBUILD_EXCHANGE.name)
    topics = {RPC: (_any(REPLY_KEY), _any(re.escape(f"{user}.*"))),
              own_events: (_any(*_names(*emitted(user))), NOTHING)}
    return Grant(user, configure=_any(own_rpc), write=_any(*write), read=_any(own_rpc, *consumed, *_names(RPC)),
                 topics=topics)


def county_grant(region: str) -> Grant:
    """The city's user for county ``region``'s link: it may publish only activity event types, only
    to the exchange made for that county (bound to the indicators' activity queue), and declare,
    bind or read nothing."""
    exchange = county_exchange(region).name
    return Grant(county_user(region), configure=NOTHING, write=_any(*_names(exchange)), read=NOTHING,
                 topics={exchange: (_any(*_names(*FORWARDED)), NOTHING)})


class Management:
    """The broker's management API at ``api_uri`` (``http://admin:password@host:15672``), as its
    administrator: what grants users and, for a county's link, exchanges, bindings and the shovel."""

    def __init__(self, api_uri: str, timeout: float = 10):
        from urllib.parse import urlsplit

        import requests

        parts = urlsplit(api_uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port}/api"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = (parts.username or "", parts.password or "")

    def send(self, method: str, path: str, body: dict | None = None, missing_ok: bool = False):
        """``method`` on ``path`` (under /api); raises RuntimeError with the broker's answer if refused."""
        answer = self.session.request(method, f"{self.base}/{path}", json=body, timeout=self.timeout)
        if answer.status_code in (200, 201, 204) or (missing_ok and answer.status_code == 404):
            return answer
        raise RuntimeError(f"broker management API refused {method} {path}: {answer.status_code} {answer.text[:300]}")

    def put(self, path: str, body: dict) -> None:
        self.send("PUT", path, body)

    def delete(self, path: str) -> None:
        """Delete what ``path`` names; already gone is fine."""
        self.send("DELETE", path, missing_ok=True)

    def get(self, path: str):
        """The JSON at ``path``, or None where there is nothing (404)."""
        answer = self.send("GET", path, missing_ok=True)
        return None if answer.status_code == 404 else answer.json()


def quoted(name: str) -> str:
    """A vhost's or a resource's name as one segment of a management API path."""
    from urllib.parse import quote

    return quote(name, safe="")


def put_grant(api: Management, vhost: str, g: Grant, password: str) -> None:
    """Create (or update) ``g``'s user with ``password`` and exactly ``g``'s permissions on ``vhost``."""
    v, who = quoted(vhost), quoted(g.user)
    api.put(f"users/{who}", {"password": password, "tags": ""})
    api.put(f"permissions/{v}/{who}", {"configure": g.configure, "write": g.write, "read": g.read})
    api.delete(f"topic-permissions/{v}/{who}")  # none left from before
    for exchange, (write, read) in g.topics.items():
        api.put(f"topic-permissions/{v}/{who}", {"exchange": exchange, "write": write, "read": read})


def apply(api_uri: str, vhost: str, passwords: dict[str, str], timeout: float = 10) -> None:
    """Create (or update) each user with its password and permissions on ``vhost``, through the
    management API at ``api_uri`` (``http://admin:password@host:15672``; the vhost is created)."""
    api = Management(api_uri, timeout)
    api.put(f"vhosts/{quoted(vhost)}", {})
    for user in USERS:
        put_grant(api, vhost, grant(user), passwords[user])


def service_uri(amqp_uri: str, user: str, password: str) -> str:
    """``amqp_uri`` (any user) with ``user``'s credentials instead; a list of nodes (kombu's
    ``amqp://a;amqp://b``, tried in turn) gets them on every node."""
    from urllib.parse import quote, urlsplit, urlunsplit

    def one(uri: str) -> str:
        parts = urlsplit(uri)
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, f"{quote(user, safe='')}:{quote(password, safe='')}@{host}", parts.path,
                           parts.query, ""))

    return ";".join(one(uri) for uri in amqp_uri.split(";") if uri)


def nodes_running(api_uri: str, expected: int) -> list[str]:
    """The running nodes of the broker's cluster; RuntimeError naming those missing while fewer
    than ``expected`` run."""
    nodes = Management(api_uri).get("nodes") or []
    running = sorted(n["name"] for n in nodes if n.get("running"))
    if len(running) < expected:
        away = sorted(n["name"] for n in nodes if not n.get("running"))
        raise RuntimeError(f"{len(running)} of {expected} RabbitMQ nodes run ({', '.join(running) or 'none'}; "
                           f"not running: {', '.join(away) or 'not yet joined'})")
    return running


def main() -> int:
    """``python -m libs.localenv.broker_access``: the compose stack's one-shot ``broker-setup``. The
    management API from ``KEPU_BROKER_ADMIN_API`` (http://admin:password@rabbitmq:15672), each
    user's password from ``KEPU_BROKER_PASSWORD_<USER>`` (e.g. ``KEPU_BROKER_PASSWORD_ACTIVITIES``)."""
    import os
    import sys
    import time
    from urllib.parse import quote, urlsplit

    names = {u: f"KEPU_BROKER_PASSWORD_{u.upper()}" for u in USERS}
    missing = [name for name in names.values() if not os.environ.get(name)]
    if missing or not os.environ.get("KEPU_BROKER_ADMIN_API"):
        print(f"set KEPU_BROKER_ADMIN_API and {', '.join(missing) or 'the passwords'} (see deploy/env.example)",
              file=sys.stderr)
        return 2
    passwords = {u: os.environ[name] for u, name in names.items()}
    nodes = int(os.environ.get("KEPU_BROKER_NODES", "1"))
    for attempt in range(30):  # the broker answers pings before its management listener is up
        try:
            # a cluster's queues get a replica on each node that runs when they are declared
            nodes_running(os.environ["KEPU_BROKER_ADMIN_API"], nodes)
            apply(os.environ["KEPU_BROKER_ADMIN_API"], os.environ.get("KEPU_BROKER_VHOST", "/"), passwords)
            break
        except (OSError, RuntimeError) as exc:
            if attempt == 29:
                print(f"could not set up the broker: {exc}", file=sys.stderr)
                return 1
            time.sleep(2)
    print(f"granted {', '.join(USERS)} their permissions")
    from kombu import Connection

    from libs.common.bus.topology import declare_topology

    api = urlsplit(os.environ["KEPU_BROKER_ADMIN_API"])
    vhost = quote(os.environ.get("KEPU_BROKER_VHOST", "/"), safe="")
    operator = service_uri(f"amqp://{api.hostname}:{os.environ.get('KEPU_BROKER_AMQP_PORT', '5672')}/{vhost}",
                           OPERATOR, passwords[OPERATOR])
    queue_type = os.environ.get("KEPU_BROKER_QUEUE_TYPE", "classic")  # as the services are told (compose)
    with Connection(operator, connect_timeout=10) as conn:
        declare_topology(conn, queue_type)  # as the operator: the services only check that it is there
    print("declared the topology (exchanges, queues, bindings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
