"""Property tests of the gRPC report and batch calls on a real gateway: ``python -m
tests.property.grpc_fuzz TARGET TOKEN`` (a child process: grpcio cannot run in the
eventlet-patched test process). Exit 0 and one JSON line with what was accepted, or a
hypothesis failure with the falsifying example.

Every answer is OK, INVALID_ARGUMENT with field violations naming small printable fields, or
ALREADY_EXISTS (an external_id drawn twice with other content): never INTERNAL or UNKNOWN. An
all-or-nothing batch with an invalid row stores nothing. The sessions of caravan tours in 2024
that were accepted are summed, for the caller to compare with the indicator.
"""
from __future__ import annotations

import json
import sys
import uuid

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc
from libs.common.api.kepu.v1 import resources_pb2 as res
from tests.property.strategies import reports

ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS}
FUZZ = settings(max_examples=int(sys.argv[3]) if len(sys.argv) > 3 else 150, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
accepted = {"sessions_2024": 0.0, "ok": 0, "invalid": 0, "batches_stored": 0, "batches_refused": 0}


def caravan_2024_sessions(report: dict) -> float:
    if report["activity_type"] == "caravan_tour" and report["start_date"].startswith("2024"):
        return report["quantities"].get("sessions", 0.0)
    return 0.0


def check_refusal(exc: grpc.RpcError) -> list[str]:
    """The error a client gets: a known code; for INVALID_ARGUMENT, small named fields."""
    assert exc.code() in ALLOWED - {grpc.StatusCode.OK}, (exc.code(), exc.details())
    assert len(exc.details() or "") < 8000
    fields: list[str] = []
    status = rpc_status.from_call(exc)
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
        assert fields and all(f and len(f) < 300 and f.isprintable() for f in fields), fields
    return fields


def main(target: str, token: str) -> None:
    channel = grpc.insecure_channel(target)
    stub = act_grpc.ActivityServiceStub(channel)
    auth = [("authorization", f"Bearer {token}")]

    @FUZZ
    @given(reports(external_id=""))
    def one_report(report):
        report = {**report, "external_id": report["external_id"][:40] + uuid.uuid4().hex[:8]
                  if report["external_id"].isprintable() else report["external_id"]}
        try:
            answer = stub.ReportActivity(act.ReportActivityRequest(**report), metadata=auth, timeout=15)
        except grpc.RpcError as exc:
            check_refusal(exc)
            accepted["invalid"] += 1
            return
        accepted["ok"] += 1
        if answer.created:
            accepted["sessions_2024"] += caravan_2024_sessions(report)

    @FUZZ
    @given(st.lists(reports(), min_size=1, max_size=5), st.booleans(), st.booleans())
    def one_batch(rows, skip_invalid, validate_only):
        rows = [{**r, "external_id": f"batch-{uuid.uuid4().hex[:12]}"} for r in rows]
        request = act.ReportActivitiesRequest(
            rows=[res.ActivityReport(**r) for r in rows], validate_only=validate_only,
            mode=act.ReportActivitiesRequest.SKIP_INVALID if skip_invalid else act.ReportActivitiesRequest.ALL_OR_NOTHING)
        try:
            answer = stub.ReportActivities(request, metadata=auth, timeout=15)
        except grpc.RpcError as exc:
            fields = check_refusal(exc)
            assert not skip_invalid or exc.code() != grpc.StatusCode.INVALID_ARGUMENT or not fields[0].startswith(
                "rows["), "skip_invalid reports bad rows in the results, it does not refuse the batch"
            accepted["batches_refused"] += 1
            return
        created = [r.index for r in answer.results if r.outcome == act.RowResult.CREATED]
        if validate_only:
            assert not answer.stored
            return
        if not skip_invalid:
            assert answer.invalid == 0, "an all-or-nothing batch with an invalid row must be refused whole"
        accepted["batches_stored"] += bool(created)
        accepted["sessions_2024"] += sum(caravan_2024_sessions(rows[i]) for i in created)

    one_report()
    one_batch()
    channel.close()
    print(json.dumps(accepted))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
