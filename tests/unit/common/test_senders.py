"""The sender table: who may call which RPC method and send which event (libs/common/bus/senders.py)."""
from __future__ import annotations

import re

import pytest

from libs.common.bus.senders import (
    GATEWAY_CALLS,
    QUEUE_OWNERS,
    broker_user,
    call_refusal,
    event_refusal,
    replay_refusal,
    role_of,
)
from libs.common.bus.topology import REBUILD_QUEUE, SUBSCRIPTIONS
from libs.common.settings import REPO_ROOT

OPERATORS = frozenset({"operator", "kepu-admin"})
TO_INDICATORS = SUBSCRIPTIONS[0].queue_name  # activities' events, consumed by indicators


def test_the_sender_is_the_user_of_the_connection():
    assert broker_user("amqp://activities:pw@127.0.0.1:5682/") == "activities"
    assert broker_user("amqp://kepu%2Dadmin:pw@127.0.0.1:5682/v") == "kepu-admin"
    assert role_of("kepu-admin", OPERATORS) == "operator" and role_of("gateway", OPERATORS) == "gateway"
    assert role_of("mallory", OPERATORS) is None and role_of(None, OPERATORS) is None


@pytest.mark.parametrize(("user", "service", "method", "allowed"), [
    ("gateway", "activities", "record_activity_group", True),
    ("gateway", "organisations", "issue_token", False),  # only operators issue tokens
    ("gateway", "activities", "revisions_as_of", True), ("gateway", "indicators", "progress_as_of", True),
    ("indicators", "activities", "revisions_as_of", False),  # services do not call each other: the gateway asks
    ("notifications", "organisations", "issue_token", False),  # a stolen service password forges nothing
    ("notifications", "activities", "record_activity_group", False),
    ("activities", "activities", "health", True), ("activities", "indicators", "health", False),
    ("operator", "organisations", "issue_token", True), ("kepu-admin", "indicators", "rebuild_begin", True),
    (None, "activities", "get_activity", False), ("mallory", "activities", "get_activity", False),
])
def test_who_may_call_which_method(user, service, method, allowed):
    assert (call_refusal(user, service, method, OPERATORS) is None) is allowed


def test_every_rpc_the_gateway_makes_is_in_its_table():
    """Read from the gateway's code, so a new call cannot be forgotten in the table."""
    calls = set()
    for path in (REPO_ROOT / "services" / "gateway").glob("*.py"):
        text = path.read_text()
        calls |= {f"{s}.{m}" for s, m in re.findall(r"\.(organisations|activities|indicators|notifications)"
                                                    r"\.([a-z_]+)\(", text)}
        calls |= {f"activities.{m}" for m in re.findall(r"_activities\(\)\.([a-z_]+)\(", text)}
        calls |= {f"organisations.{m}" for m in re.findall(r"\brpc\.(list_orgs\w*)\(", text)}
    assert calls and calls <= GATEWAY_CALLS, calls - GATEWAY_CALLS


@pytest.mark.parametrize(("user", "claimed", "allowed"), [
    ("activities", None, True),  # the source itself
    ("notifications", None, False), ("organisations", "activities", False),  # a forgery, whatever it claims
    ("indicators", "activities", True),  # indicators' own retry of an activities event
    ("indicators", "notifications", False),  # its own copy, but of something it should never have taken
    ("operator", None, True), (None, None, False),
])
def test_who_may_send_into_a_queue(user, claimed, allowed):
    assert (event_refusal(user, claimed, TO_INDICATORS, OPERATORS) is None) is allowed


def test_every_consumed_queue_has_an_owner_and_a_source():
    assert set(QUEUE_OWNERS) == {s.queue_name for s in SUBSCRIPTIONS} | {REBUILD_QUEUE}
    assert event_refusal("activities", None, REBUILD_QUEUE, OPERATORS) is None
    assert event_refusal("notifications", None, REBUILD_QUEUE, OPERATORS) is not None


def test_only_what_the_queue_s_consumer_parked_is_replayed():
    assert replay_refusal("indicators", TO_INDICATORS, OPERATORS) is None
    assert "parked by broker user 'notifications'" in replay_refusal("notifications", TO_INDICATORS, OPERATORS)
    assert replay_refusal("indicators", "some-queue", OPERATORS) is not None
