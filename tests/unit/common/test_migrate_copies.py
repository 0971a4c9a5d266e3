"""What `kepu broker migrate` makes of each message it moves: the operator's copy keeps the
broker-validated sender (or parker) in a header the consumers and replays believe only on an
operator's copy, and a message its consumer would refuse is parked, never passed on as the operator's."""
from __future__ import annotations

from types import SimpleNamespace

from libs.common.bus.dead_letters import PARKED_BY_HEADER, parked_by
from libs.common.bus.migrate import _operator_copy
from libs.common.bus.senders import SENDER_HEADER, event_refusal
from libs.common.bus.topology import DEAD_LETTER_QUEUE, SUBSCRIPTIONS

OPERATORS = frozenset({"operator"})
ACTIVITY_QUEUE = SUBSCRIPTIONS[0].queue_name  # indicators consumes activities' events


def message(user: str | None, headers: dict | None = None, routing_key: str = "") -> SimpleNamespace:
    return SimpleNamespace(headers=headers or {}, properties={"user_id": user},
                           delivery_info={"routing_key": routing_key})


def test_an_event_from_its_source_keeps_its_sender_and_the_consumer_accepts_the_operator_s_copy():
    copy = _operator_copy(message("activities", {"kepu.event_id": "e1"}), ACTIVITY_QUEUE, OPERATORS)
    assert copy == {"kepu.event_id": "e1", SENDER_HEADER: "activities"}
    assert event_refusal("operator", copy[SENDER_HEADER], ACTIVITY_QUEUE, OPERATORS) is None


def test_the_consumer_s_own_retry_keeps_the_sender_it_recorded():
    retry = message("indicators", {SENDER_HEADER: "activities", "x-kepu-attempts": 2})
    assert _operator_copy(retry, ACTIVITY_QUEUE, OPERATORS)[SENDER_HEADER] == "activities"


def test_a_forged_event_is_refused_rather_than_passed_on_as_the_operator_s():
    forged = message("notifications", {SENDER_HEADER: "activities"})
    assert "may not send into" in _operator_copy(forged, ACTIVITY_QUEUE, OPERATORS)


def test_an_operator_s_message_is_copied_as_it_is_so_a_second_hop_changes_nothing():
    headers = {SENDER_HEADER: "activities", "kepu.event_id": "e1"}
    assert _operator_copy(message("operator", headers), ACTIVITY_QUEUE, OPERATORS) == headers


def test_a_parked_message_keeps_its_parker_whatever_it_claimed_and_a_replay_believes_it_on_the_operator_s_copy():
    parked = message("notifications", {PARKED_BY_HEADER: "indicators", SENDER_HEADER: "activities"})
    copy = _operator_copy(parked, DEAD_LETTER_QUEUE, OPERATORS)
    assert copy[PARKED_BY_HEADER] == "notifications"
    assert parked_by(message("operator", copy), OPERATORS) == "notifications"
    assert parked_by(message("indicators", {PARKED_BY_HEADER: "operator"}), OPERATORS) == "indicators"


def test_an_rpc_request_is_kept_only_if_its_caller_may_make_it():
    allowed = message("gateway", routing_key="activities.record_activities")
    assert _operator_copy(allowed, "rpc-activities", OPERATORS) == {SENDER_HEADER: "gateway"}
    refused = message("gateway", routing_key="activities.rebuild_indicators")
    assert "may not call" in _operator_copy(refused, "rpc-activities", OPERATORS)
