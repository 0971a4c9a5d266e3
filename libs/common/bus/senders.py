"""Who may send what on the bus: one table, checked by every receiver and granted by the broker.

Every message carries the AMQP ``user_id`` of its sender, and RabbitMQ refuses a ``user_id``
that is not the user of the connection it arrives on: the sender of a message is proven, not
claimed. Broker users are named after what they run (``activities``, ``gateway`` …); the
operator's users (``kepu`` commands, ``kepu run``, a test broker's administrator) are named in
``KEPU_BUS_OPERATORS``. A receiver acts on a message only when its sender may send it:

- an **event** of source S only from S's user (``activities`` alone emits ``activity_recorded``),
  from the consuming service itself (its own retries, which only it can write into its queues:
  the original sender, checked on first receipt, travels in ``SENDER_HEADER``), or from an
  operator (``kepu dead-letters replay``, which checks who parked the message first);
- an **RPC** from the gateway for the methods the gateway serves, from a service for its own
  ``health``, and from an operator for any method;
- on a city's broker, a **county's link** (``county-<region>``, ``libs.common.bus.link``) may send
  activity events into the indicators' activity queue and nowhere else; the indicators then count
  them only for that county's region and those below (a ``SenderRefused`` parks any other).

Anything else is refused (RPC) or parked with the reason (events), and counted in
``kepu_bus_refused_total``, which an alert rule watches.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from libs.common.bus.link import CITY_QUEUE, county_of
from libs.common.bus.topology import REBUILD_QUEUE, SUBSCRIPTIONS
from libs.common.settings import SERVICES

OPERATOR = "operator"
GATEWAY = "gateway"
COUNTY_LINK = "county link"  # the role of a county's link user on its city's broker
ROLES: tuple[str, ...] = (*SERVICES, GATEWAY)
SENDER_HEADER = "x-kepu-sender"  # the broker-validated sender of the message a retry or a parked copy was made of

# what the gateway may call: the methods behind its gRPC API (a test checks every call it makes is here)
GATEWAY_CALLS: frozenset[str] = frozenset({
    "organisations.authenticate", "organisations.get_org", "organisations.list_orgs", "organisations.list_orgs_under",
    "organisations.sign_in", "organisations.describe_setup", "organisations.complete_setup", "organisations.sign_out",
    "activities.record_activity_group", "activities.record_activities", "activities.correct_activity",
    "activities.retract_activity", "activities.get_activity", "activities.activity_history",
    "activities.list_activities", "activities.plan_document", "activities.submit_period",
    "activities.approve_period", "activities.reopen_period", "activities.reporting_status",
    "activities.reporting_gaps", "activities.revisions_as_of", "indicators.get_progress",
    "indicators.list_progress", "indicators.progress_as_of", "notifications.list_alerts",
    # the pack courier (services/gateway/courier.py): the county's date, and the pack handed over once
    "activities.today", "notifications.documents_received", "notifications.deliver_documents",
})

# each queue a service consumes -> (that service, the source whose user publishes into it)
QUEUE_OWNERS: dict[str, tuple[str, str]] = {
    **{sub.queue_name: (sub.service, sub.source) for sub in SUBSCRIPTIONS},
    REBUILD_QUEUE: ("indicators", "activities"),
}


def broker_user(amqp_uri: str) -> str:
    """The user a connection to ``amqp_uri`` logs in as: what the broker puts in ``user_id``."""
    return unquote(urlsplit(amqp_uri).username or "")


class SenderRefused(ValueError):
    """The sender may send this kind of event, but not this one (a county's link, an activity of
    another region): parked at once with the reason, never retried."""


def role_of(user_id: str | None, operators: frozenset[str]) -> str | None:
    """What a broker user runs: a service's name, ``gateway``, ``operator``, a county's link, or
    None (unknown)."""
    if not user_id:
        return None
    if user_id in operators:
        return OPERATOR
    if county_of(user_id) is not None:
        return COUNTY_LINK
    return user_id if user_id in ROLES else None


def call_refusal(user_id: str | None, service: str, method: str, operators: frozenset[str]) -> str | None:
    """Why ``user_id`` may not call ``service.method``, or None when it may."""
    role = role_of(user_id, operators)
    if role == OPERATOR or (role == GATEWAY and f"{service}.{method}" in GATEWAY_CALLS):
        return None
    if role == service and method == "health":
        return None
    who = f"broker user {user_id!r}" if user_id else "a message without a user_id"
    return f"{who} may not call {service}.{method}"


def event_refusal(user_id: str | None, claimed_sender: str | None, queue: str,
                  operators: frozenset[str]) -> str | None:
    """Why a message from ``user_id`` may not be acted on from ``queue``, or None when it may.
    ``claimed_sender`` is ``SENDER_HEADER``, believed only on the consumer's own copies."""
    owner, source = QUEUE_OWNERS[queue]
    role = role_of(user_id, operators)
    if role in (OPERATOR, source) or (role == COUNTY_LINK and queue == CITY_QUEUE.queue_name):
        return None
    if role == owner and claimed_sender and event_refusal(claimed_sender, None, queue, operators) is None:
        return None  # the consumer's own retry of a message it had accepted
    who = f"broker user {user_id!r}" if user_id else "a message without a user_id"
    links = ", a county's link" if queue == CITY_QUEUE.queue_name else ""
    return f"{who} may not send into {queue} (only {source!r}{links}, or an operator, may)"


def replay_refusal(parked_by: str | None, queue: str, operators: frozenset[str]) -> str | None:
    """Why a parked message may not be replayed into ``queue``: only the queue's consumer parks
    messages from it, so one parked by anyone else is a forgery left where it is."""
    if queue not in QUEUE_OWNERS:
        return f"{queue!r} is not a queue of the topology"
    owner, _ = QUEUE_OWNERS[queue]
    if role_of(parked_by, operators) in (OPERATOR, owner):
        return None
    return f"parked by broker user {parked_by!r}, not by {owner!r} which consumes {queue}"
