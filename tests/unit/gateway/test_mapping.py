"""The proto mapping follows the activity contract by field name: these tests fail when proto and
the contract drift apart, instead of a field silently going missing on one side."""
from __future__ import annotations

from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import resources_pb2 as res
from libs.common.contracts.activity import REPORT_FIELDS, ActivityRecord, ActivityReport
from libs.common.errors import Violation
from services.gateway import mapping


def names(message) -> list[str]:
    return [f.name for f in message.DESCRIPTOR.fields]


def test_both_report_messages_carry_exactly_the_contract_s_fields():
    """ReportActivityRequest stays a message of its own (folding it into ActivityReport would rename the
    method's input type in every generated client), so it is held to the same fields and numbers."""
    assert sorted(names(res.ActivityReport)) == sorted(REPORT_FIELDS)
    assert [(f.name, f.number, f.type) for f in act.ReportActivityRequest.DESCRIPTOR.fields] == [
        (f.name, f.number, f.type) for f in res.ActivityReport.DESCRIPTOR.fields]


def test_the_activity_message_carries_every_field_of_the_stored_record():
    assert sorted(names(res.Activity)) == sorted(ActivityRecord.model_fields)


def test_a_report_maps_to_what_the_contract_reads_empty_values_left_to_its_defaults():
    msg = res.ActivityReport(activity_type="star_night", start_date="2024-05-01", quantities={"booths": 3},
                             co_organisers=["a", "b"])
    report = mapping.report_of(msg)
    assert report == {"activity_type": "star_night", "start_date": "2024-05-01", "quantities": {"booths": 3.0},
                      "co_organisers": ["a", "b"]}
    parsed = ActivityReport.model_validate(report)
    assert (parsed.title, parsed.town, parsed.external_id) == ("", None, None)


def test_a_stored_activity_maps_back_field_for_field():
    record = ActivityRecord(activity_id="a1", org="lib", revision=2, activity_type="star_night",
                            start_date="2024-05-01", quantities={"booths": 3}, co_organisers=["x"]).rpc()
    pb = mapping.activity_pb(record)
    assert (pb.activity_id, pb.revision, pb.end_date, pb.town, list(pb.co_organisers)) == (
        "a1", 2, "2024-05-01", "", ["x"])


def test_violations_keep_field_code_and_message():
    (pb,) = mapping.violations_pb([["rows[1].town", "unknown_town", "not a town"]])
    assert (pb.field, pb.reason, pb.description) == ("rows[1].town", "unknown_town", "not a town")
    assert mapping.violations_pb([Violation("a", "b", "c")])[0].reason == "b"
