"""A careless client and a stranger against a running gateway: ``python -m tests.e2e.attacks
TARGET TOKEN CASE``, prints one JSON object. A child process, since grpcio cannot run in the
eventlet-patched test process.

Cases:
- ``idle``: 24 calls across 4 connections from a stranger (a made-up token), 4 from a
  department's broken client (a real token) and 4 to the health service (no token needed) that
  send headers and then nothing, then a real report: its code and seconds, and how each kind of
  idle call ended. The stranger's calls are opened last and refused from their headers: once
  they are answered, the gateway holds every earlier call of their connections.
- ``malformed``: bytes that are not a protobuf message, and a truncated one: their codes.
- ``flood``: a real call, 200 random tokens, then the real token again and a never-seen real
  token (the same address): codes and seconds. The gateway runs with
  ``KEPU_GRPC_TOKEN_CACHE_SECONDS=0``, so the real token is looked up again, not answered from
  the cache.
"""
from __future__ import annotations

import json
import secrets
import sys
import threading
import time

import grpc

from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc

REPORT = "/kepu.v1.ActivityService/ReportActivity"


def _code(call) -> str:
    try:
        call.result() if hasattr(call, "result") else call()
        return "OK"
    except grpc.RpcError as exc:
        return exc.code().name


def _report(target: str, token: str, external_id: str) -> tuple[str, float, str]:
    started = time.monotonic()
    with grpc.insecure_channel(target) as channel:
        stub = act_grpc.ActivityServiceStub(channel)
        request = act.ReportActivityRequest(activity_type="caravan_tour", start_date="2024-05-01",
                                            external_id=external_id, quantities={"sessions": 1})
        try:
            stub.ReportActivity(request, metadata=[("authorization", f"Bearer {token}")], timeout=5)
            code, detail = "OK", ""
        except grpc.RpcError as exc:
            code, detail = exc.code().name, exc.details()
    return code, round(time.monotonic() - started, 3), detail


def idle(target: str, token: str) -> dict:
    hold = threading.Event()

    def never():
        hold.wait()
        yield b""

    channels = [grpc.insecure_channel(target) for _ in range(4)]
    for channel in channels:
        grpc.channel_ready_future(channel).result(timeout=10)  # connected: calls go out in the order made
    calls: dict[str, list] = {"stranger": [], "department": [], "health": []}
    for i in range(4):  # the health service needs no token: its idle calls must end too
        send = channels[i].stream_unary("/grpc.health.v1.Health/Check", request_serializer=None,
                                        response_deserializer=None)
        calls["health"].append(send.future(never()))
    for i in range(28):
        who, bearer = ("department", token) if i < 4 else ("stranger", "idle-stranger")
        send = channels[i % 4].stream_unary(REPORT, request_serializer=None, response_deserializer=None)
        calls[who].append(send.future(never(), metadata=[("authorization", f"Bearer {bearer}")]))
    for call in calls["stranger"]:  # answered: the earlier calls on their connections are open and waiting
        call.exception(timeout=10)
    code, seconds, _ = _report(target, token, f"idle-{secrets.token_hex(4)}")
    ended = {who: sorted({_code(c) for c in some}) for who, some in calls.items()}
    hold.set()
    for channel in channels:
        channel.close()
    return {"report": code, "seconds": seconds, "idle_calls_ended": ended}


def malformed(target: str, token: str) -> dict:
    good = act.ReportActivityRequest(activity_type="caravan_tour", start_date="2024-05-01",
                                     quantities={"sessions": 1}).SerializeToString()
    out = {}
    with grpc.insecure_channel(target) as channel:
        raw = channel.unary_unary(REPORT, request_serializer=None, response_deserializer=None)
        for name, body in (("garbage", b"\xff\xff\xff\xff\x0f"), ("truncated", good[:-3])):
            try:
                raw(body, metadata=[("authorization", f"Bearer {token}")], timeout=5)
                out[name] = ["OK", ""]
            except grpc.RpcError as exc:
                out[name] = [exc.code().name, exc.details()]
    return out


def flood(target: str, token: str, fresh: str) -> dict:
    before = _report(target, token, f"flood-before-{secrets.token_hex(4)}")
    codes: dict[str, int] = {}
    started = time.monotonic()
    with grpc.insecure_channel(target) as channel:
        stub = act_grpc.ActivityServiceStub(channel)
        for _ in range(200):
            try:
                stub.ListActivities(act.ListActivitiesRequest(),
                                    metadata=[("authorization", f"Bearer kepu_{secrets.token_hex(16)}")], timeout=5)
                code = "OK"
            except grpc.RpcError as exc:
                code = exc.code().name
            codes[code] = codes.get(code, 0) + 1
    flood_seconds = round(time.monotonic() - started, 3)
    after = _report(target, token, f"flood-after-{secrets.token_hex(4)}")
    never_seen = _report(target, fresh, f"flood-fresh-{secrets.token_hex(4)}")
    return {"before": before, "flood": codes, "flood_seconds": flood_seconds, "after": after,
            "never_seen": never_seen}


if __name__ == "__main__":
    target, token, case, *rest = sys.argv[1:]
    result = {"idle": lambda: idle(target, token), "malformed": lambda: malformed(target, token),
              "flood": lambda: flood(target, token, *rest)}[case]()
    print(json.dumps(result, ensure_ascii=False))
