"""A gRPC client process for the end-to-end tests: ``python -m tests.e2e.grpc_driver``.

grpcio cannot run in the test process (eventlet is monkey-patched there for nameko), so the
tests talk to the gateway through this child: one JSON command per line on stdin, one JSON
answer per line on stdout. Requests and responses are the proto messages as JSON
(``json_format``), with the original field names.

Commands: ``{"call": "ReportActivity", "request": {...}, "token": ...}`` (or "kepu.v1.Service/Method");
``{"watch": ..., "request": {...}, "token": ..., "seconds": 5}`` starts a stream in the
background and answers its id; ``{"collect": id}`` waits for that stream's end and answers what
it received. Options per command: ``target``, ``ca_file``, ``timeout``, ``metadata``.
"""
from __future__ import annotations

import json
import sys
import threading

import grpc
from google.protobuf import json_format, message_factory, symbol_database
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from libs.common.api.kepu.v1 import (
    activity_service_pb2,
    alert_service_pb2,
    indicator_service_pb2,
    organisation_service_pb2,
    plan_service_pb2,
    report_service_pb2,
    reporting_service_pb2,
    session_service_pb2,
)

POOL = symbol_database.Default().pool
# method name -> "package.Service/Method": every kepu.v1 method name is unique across services
METHODS = {m.name: f"{svc.full_name}/{m.name}"
           for module in (activity_service_pb2, alert_service_pb2, indicator_service_pb2, organisation_service_pb2,
                          plan_service_pb2, report_service_pb2, reporting_service_pb2,
                          session_service_pb2)
           for svc in module.DESCRIPTOR.services_by_name.values() for m in svc.methods}
CHANNELS: dict[tuple, grpc.Channel] = {}
STREAMS: dict[int, tuple[threading.Thread, list]] = {}


def channel(target: str, ca_file: str | None) -> grpc.Channel:
    key = (target, ca_file)
    if key not in CHANNELS:
        if ca_file:
            creds = grpc.ssl_channel_credentials(root_certificates=open(ca_file, "rb").read())
            CHANNELS[key] = grpc.secure_channel(target, creds)
        else:
            CHANNELS[key] = grpc.insecure_channel(target)
    return CHANNELS[key]


def callable_for(cmd: dict, path: str, streaming: bool):
    """The call for "Service/Method" or a bare method name."""
    path = METHODS.get(path, path)
    service, method = path.split("/")
    desc = POOL.FindServiceByName(service).FindMethodByName(method)
    request_cls = message_factory.GetMessageClass(desc.input_type)
    response_cls = message_factory.GetMessageClass(desc.output_type)
    make = channel(cmd["target"], cmd.get("ca_file")).unary_stream if streaming else \
        channel(cmd["target"], cmd.get("ca_file")).unary_unary
    stub = make(f"/{path}", request_serializer=request_cls.SerializeToString,
                response_deserializer=response_cls.FromString)
    request = json_format.ParseDict(cmd.get("request", {}), request_cls())
    metadata = [tuple(m) for m in cmd.get("metadata", [])]
    if cmd.get("token") is not None:
        metadata.append(("authorization", f"Bearer {cmd['token']}"))
    return stub, request, metadata


def as_dict(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def error(exc: grpc.RpcError) -> dict:
    violations = []
    status = rpc_status.from_call(exc)
    for detail in status.details if status is not None else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            violations += [[v.field, v.description] for v in bad.field_violations]
    return {"ok": False, "code": exc.code().name, "message": exc.details(), "violations": violations}


def handle(cmd: dict) -> dict:
    if "collect" in cmd:
        thread, got = STREAMS.pop(cmd["collect"])
        thread.join()
        return {"ok": True, "messages": got}
    if "watch" in cmd:
        stub, request, metadata = callable_for(cmd, cmd["watch"], streaming=True)
        got: list = []

        def follow():
            try:
                for message in stub(request, metadata=metadata, timeout=cmd.get("seconds", 5)):
                    got.append(as_dict(message))
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                    got.append(error(exc))

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        STREAMS[id(thread)] = (thread, got)
        return {"ok": True, "stream": id(thread)}
    stub, request, metadata = callable_for(cmd, cmd["call"], streaming=False)
    try:
        return {"ok": True, "response": as_dict(stub(request, metadata=metadata, timeout=cmd.get("timeout", 30)))}
    except grpc.RpcError as exc:
        return error(exc)


def main() -> None:
    for line in sys.stdin:
        try:
            answer = handle(json.loads(line))
        except Exception as exc:  # noqa: BLE001 - the test reads the failure
            answer = {"ok": False, "code": "DRIVER", "message": repr(exc), "violations": []}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
