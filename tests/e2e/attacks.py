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
- ``streams``: for each streaming method (health ``Watch``, reflection, ``WatchStatusChanges``)
  40 idle streams with the token and 40 without, then real reports while they are open: the
  reports' codes and seconds, and how the streams ended (codes counted).
- ``reopened``: 40 idle reflection streams, each opened again as soon as it ends, for 8 s,
  while real reports are sent one after another: their codes and seconds.
- ``address``: 110 idle health ``Watch`` streams from one address: how they ended.
- ``watch_slots TOKEN2``: 40 ``WatchStatusChanges`` streams of TOKEN, then one of TOKEN2: how
  each ended.
- ``scope``: ``GetOrganisation`` of the token's own organisation, another one and an unknown
  code; ``GetActivity`` with an ``activity_id`` of 16,000 characters: codes and message lengths.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import sys
import threading
import time

import grpc
from grpc_health.v1 import health_pb2

from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc
from libs.common.api.kepu.v1 import indicator_service_pb2 as ind
from libs.common.api.kepu.v1 import organisation_service_pb2 as org

REPORT = "/kepu.v1.ActivityService/ReportActivity"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
WATCH_CHANGES = "/kepu.v1.IndicatorService/WatchStatusChanges"
HELD_AT_MOST = 15  # seconds an idle stream is held from this side (the gateway ends it sooner)
# the one request of each server stream (a reflection stream sends none: it stays idle)
FIRST_REQUEST = {HEALTH_WATCH: health_pb2.HealthCheckRequest().SerializeToString(),
                 WATCH_CHANGES: ind.WatchStatusChangesRequest().SerializeToString()}


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


def _bearer(token: str | None) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")] if token else []


async def _held(channel: grpc.aio.Channel, method: str, token: str | None) -> str:
    """Opens a stream that then says nothing; its code once the gateway has ended it."""
    if method == REFLECTION:
        call = channel.stream_stream(method)(metadata=_bearer(token), timeout=HELD_AT_MOST)
    else:
        call = channel.unary_stream(method)(FIRST_REQUEST[method], metadata=_bearer(token), timeout=HELD_AT_MOST)
    try:
        async for _ in call:
            pass
        return "OK"
    except grpc.aio.AioRpcError as exc:
        return exc.code().name


async def _reported(channel: grpc.aio.Channel, token: str, external_id: str) -> list:
    stub = act_grpc.ActivityServiceStub(channel)
    request = act.ReportActivityRequest(activity_type="caravan_tour", start_date="2024-05-01", external_id=external_id,
                                        quantities={"sessions": 1})
    started = time.monotonic()
    try:
        await stub.ReportActivity(request, metadata=_bearer(token), timeout=5)
        code = "OK"
    except grpc.aio.AioRpcError as exc:
        code = exc.code().name
    return [code, round(time.monotonic() - started, 3)]


def _counted(codes: list[str]) -> dict[str, int]:
    return {code: codes.count(code) for code in sorted(set(codes))}


async def _channels(target: str, n: int) -> list[grpc.aio.Channel]:
    channels = [grpc.aio.insecure_channel(target) for _ in range(n)]
    await asyncio.gather(*(c.channel_ready() for c in channels))
    return channels


async def streams(target: str, token: str) -> dict:
    channels = await _channels(target, 5)
    out = {}
    for method in (HEALTH_WATCH, REFLECTION, WATCH_CHANGES):
        held = [asyncio.ensure_future(_held(channels[i % 4], method, token if i % 2 else None)) for i in range(80)]
        await asyncio.sleep(0.5)  # opened (and, for the health service, answered once): idle now
        reports = [await _reported(channels[4], token, f"streams-{secrets.token_hex(4)}") for _ in range(3)]
        ended = await asyncio.gather(*held)
        out[method.rsplit("/", 1)[-1]] = {"reports": reports, "with_token": _counted(ended[1::2]),
                                          "without_token": _counted(ended[0::2])}
    return out


async def reopened(target: str, token: str, seconds: float = 8.0) -> dict:
    channels = await _channels(target, 5)
    until = time.monotonic() + seconds

    async def keep_open(channel):
        while time.monotonic() < until:
            await _held(channel, REFLECTION, None)

    attackers = [asyncio.ensure_future(keep_open(channels[i % 4])) for i in range(40)]
    reports = []
    while time.monotonic() < until:
        reports.append(await _reported(channels[4], token, f"reopened-{secrets.token_hex(4)}"))
        await asyncio.sleep(0.2)
    await asyncio.gather(*attackers)
    return {"reports": reports}


async def address(target: str, token: str) -> dict:
    channels = await _channels(target, 4)
    ended = await asyncio.gather(*(_held(channels[i % 4], HEALTH_WATCH, None) for i in range(110)))
    return _counted(list(ended))


async def watch_slots(target: str, token: str, other: str) -> dict:
    channels = await _channels(target, 2)
    mine = [asyncio.ensure_future(_held(channels[0], WATCH_CHANGES, token)) for _ in range(40)]
    await asyncio.sleep(0.5)  # the first token's streams are in (or refused)
    theirs = await _held(channels[1], WATCH_CHANGES, other)
    return {"first_token": _counted(list(await asyncio.gather(*mine))), "second_token": theirs}


async def scope(target: str, token: str, own: str, other: str) -> dict:
    out = {}
    async with grpc.aio.insecure_channel(target) as channel:
        get_org = channel.unary_unary("/kepu.v1.OrganisationService/GetOrganisation",
                                      request_serializer=org.GetOrganisationRequest.SerializeToString)
        get_activity = channel.unary_unary("/kepu.v1.ActivityService/GetActivity",
                                           request_serializer=act.GetActivityRequest.SerializeToString)
        calls = {"own": get_org(org.GetOrganisationRequest(code=own), metadata=_bearer(token), timeout=10),
                 "other": get_org(org.GetOrganisationRequest(code=other), metadata=_bearer(token), timeout=10),
                 "unknown": get_org(org.GetOrganisationRequest(code="nowhere"), metadata=_bearer(token), timeout=10),
                 "long_id": get_activity(act.GetActivityRequest(activity_id="x" * 16_000), metadata=_bearer(token),
                                         timeout=10)}
        for name, call in calls.items():
            try:
                await call
                out[name] = ["OK", 0]
            except grpc.aio.AioRpcError as exc:
                out[name] = [exc.code().name, len(exc.details() or "")]
    return out


if __name__ == "__main__":
    target, token, case, *rest = sys.argv[1:]
    cases = {"idle": idle, "malformed": malformed, "flood": flood}
    running = {"streams": streams, "reopened": reopened, "address": address, "watch_slots": watch_slots,
               "scope": scope}
    result = cases[case](target, token, *rest) if case in cases else asyncio.run(running[case](target, token, *rest))
    print(json.dumps(result, ensure_ascii=False))
