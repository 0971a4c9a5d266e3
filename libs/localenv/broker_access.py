"""One broker user per service, with least-privilege permissions derived from the topology.

RabbitMQ grants per vhost three regular expressions over resource names: *configure* (declare,
delete), *write* (publish to an exchange; bind a queue) and *read* (consume from a queue; bind
from an exchange). Derived here from ``libs.common.bus.topology`` (one definition), used by
``kepu run`` for the project-local node and by the compose stack's ``broker-setup`` (``python -m
libs.localenv.broker_access``), so the local node and production grant the same. No service
imports it: it is what sets a broker up, not what runs on it.

What each service may do:
- declare the shared topology (every relay declares it before publishing: no event is dropped);
- serve its RPC queue, call others' (nameko's ``nameko-rpc`` exchange, its own reply queues);
- publish events to its own exchange only (``activities.events`` is the activities service's:
  nobody else can forge an ``activity_recorded``);
- consume only its own subscriber queues;
- park failing messages (the ``kepu.dead-letters`` exchange), retry a message only into its own
  queues (``kepu.retry.<service>``); only activities replays for a rebuild (``kepu.rebuild``).
  Nobody but the operator writes to the default exchange, which reaches every queue by name.
The gateway only calls RPC and watches status changes; ``kepu`` commands and ``kepu run`` act as
the operator (the broker's administrator user).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from libs.common.bus.topology import (
    DEAD_LETTERS,
    REBUILD_EXCHANGE,
    REBUILD_QUEUE,
    SUBSCRIPTIONS,
    TOPOLOGY,
    retry_exchange,
)
from libs.common.settings import SERVICES

RPC_EXCHANGE = "nameko-rpc"
SOURCES = sorted({sub.source for sub in SUBSCRIPTIONS})
USERS = (*SERVICES, "gateway", "operator")  # operator: `kepu` commands (tokens, rebuilds, dead letters)


def _any(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def _names(*names: str) -> list[str]:
    return [re.escape(n) for n in names]


@dataclass(frozen=True)
class Grant:
    user: str
    configure: str
    write: str
    read: str


def grant(user: str) -> Grant:
    """The permissions of one service's (or the gateway's, or the operator's) broker user."""
    if user == "operator":  # declares the topology, reads and replays dead letters, calls any RPC
        return Grant(user, configure=".*", write=".*", read=".*")
    if user == "gateway":
        replies = r"rpc\.reply-standalone_rpc_proxy-.+"
        watch = r"gateway-watch-.+"
        return Grant(user, configure=_any(replies, watch, *_names(RPC_EXCHANGE)),
                     write=_any(replies, watch, *_names(RPC_EXCHANGE)),
                     read=_any(replies, watch, *_names(RPC_EXCHANGE, "indicators.events")))
    queues = _names(*(q.name for q in TOPOLOGY))  # declared (and bound) by every relay and consumer
    exchanges = _names(*(f"{s}.events" for s in SOURCES), RPC_EXCHANGE, DEAD_LETTERS.name, REBUILD_EXCHANGE.name,
                       *(retry_exchange(s).name for s in SERVICES))
    own = [f"rpc-{re.escape(user)}", rf"rpc\.reply-{re.escape(user)}-.+"]
    consumed = _names(*(sub.queue_name for sub in SUBSCRIPTIONS if sub.service == user))
    if user == "indicators":
        consumed += _names(REBUILD_QUEUE)
    # publish: RPC, and events to its own exchange only; bind: the queues it declares
    write = [*own, *queues, *_names(RPC_EXCHANGE, f"{user}.events", DEAD_LETTERS.name, retry_exchange(user).name)]
    if user == "activities":
        write += _names(REBUILD_EXCHANGE.name)
    return Grant(user, configure=_any(*own, *queues, *exchanges), write=_any(*write),
                 read=_any(*own, *consumed, *exchanges))


def apply(api_uri: str, vhost: str, passwords: dict[str, str], timeout: float = 10) -> None:
    """Create (or update) each user with its password and permissions on ``vhost``, through the
    management API at ``api_uri`` (``http://admin:password@host:15672``; the vhost is created)."""
    from urllib.parse import quote, urlsplit

    import requests

    parts = urlsplit(api_uri)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}/api"
    auth = (parts.username or "", parts.password or "")
    session = requests.Session()
    session.auth = auth

    def put(path: str, body: dict) -> None:
        answer = session.put(f"{base}/{path}", json=body, timeout=timeout)
        if answer.status_code not in (200, 201, 204):
            raise RuntimeError(f"broker management API refused PUT {path}: {answer.status_code} {answer.text[:200]}")

    v = quote(vhost, safe="")
    put(f"vhosts/{v}", {})
    for user in USERS:
        g = grant(user)
        put(f"users/{quote(user, safe='')}", {"password": passwords[user], "tags": ""})
        put(f"permissions/{v}/{quote(user, safe='')}", {"configure": g.configure, "write": g.write, "read": g.read})


def service_uri(amqp_uri: str, user: str, password: str) -> str:
    """``amqp_uri`` (any user) with ``user``'s credentials instead."""
    from urllib.parse import quote, urlsplit, urlunsplit

    parts = urlsplit(amqp_uri)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, f"{quote(user, safe='')}:{quote(password, safe='')}@{host}", parts.path,
                       parts.query, ""))


def main() -> int:
    """``python -m libs.localenv.broker_access``: the compose stack's one-shot ``broker-setup``. The
    management API from ``KEPU_BROKER_ADMIN_API`` (http://admin:password@rabbitmq:15672), each
    user's password from ``KEPU_BROKER_PASSWORD_<USER>`` (e.g. ``KEPU_BROKER_PASSWORD_ACTIVITIES``)."""
    import os
    import sys
    import time

    names = {u: f"KEPU_BROKER_PASSWORD_{u.upper()}" for u in USERS}
    missing = [name for name in names.values() if not os.environ.get(name)]
    if missing or not os.environ.get("KEPU_BROKER_ADMIN_API"):
        print(f"set KEPU_BROKER_ADMIN_API and {', '.join(missing) or 'the passwords'} (see deploy/env.example)",
              file=sys.stderr)
        return 2
    passwords = {u: os.environ[name] for u, name in names.items()}
    for attempt in range(30):  # the broker answers pings before its management listener is up
        try:
            apply(os.environ["KEPU_BROKER_ADMIN_API"], os.environ.get("KEPU_BROKER_VHOST", "/"), passwords)
            break
        except (OSError, RuntimeError) as exc:
            if attempt == 29:
                print(f"could not grant the broker users: {exc}", file=sys.stderr)
                return 1
            time.sleep(2)
    print(f"granted {', '.join(USERS)} their permissions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
