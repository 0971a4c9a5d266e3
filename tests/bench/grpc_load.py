"""Load on the gateway the way department systems make it: ReportActivity and ReportActivities
calls from several concurrent clients, or at a steady rate.

grpcio runs in this process (it is not eventlet-patched). Each concurrent client gets its own
channel with its own connection (a local subchannel pool), so 16 clients are 16 HTTP/2
connections, as 16 department systems would be. Requests are built before the clock starts.
"""
from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Sequence

import grpc

from libs.common.api.kepu.v1 import activity_service_pb2 as pb
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as pb_grpc
from libs.common.api.kepu.v1 import resources_pb2
from tests.bench.amqp import bench_date

CALL_TIMEOUT = 60.0


def channel(target: str) -> grpc.Channel:
    return grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1),
                                                  ("grpc.max_receive_message_length", 64 * 1024 * 1024)])


def single_request(tag: str, i: int) -> pb.ReportActivityRequest:
    """One caravan tour of 2024 with its own external_id (so each one is a new activity)."""
    return pb.ReportActivityRequest(activity_type="caravan_tour", title=f"bench {tag} {i}", external_id=f"{tag}-{i}",
                                    start_date=bench_date(i).isoformat(), quantities={"sessions": 1})


def batch_request(tag: str, first: int, size: int) -> pb.ReportActivitiesRequest:
    """``size`` rows with external_ids ``tag-first`` … (distinct across batches of one tag)."""
    rows = [resources_pb2.ActivityReport(activity_type="caravan_tour", title=f"bench {tag} {i}",
                                         external_id=f"{tag}-{i}", start_date=bench_date(i).isoformat(),
                                         quantities={"sessions": 1})
            for i in range(first, first + size)]
    return pb.ReportActivitiesRequest(rows=rows)


@dataclass
class Calls:
    """What a load run did: per-call latencies (s), activities newly stored, failures by code."""

    started: float = 0.0
    finished: float = 0.0
    latencies: list[float] = field(default_factory=list)
    created: int = 0
    failures: Tally = field(default_factory=Tally)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    def record(self, latency: float, created: int) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.created += created

    def fail(self, code: str) -> None:
        with self.lock:
            self.failures[code] += 1

    def failure_note(self) -> str:
        return ", ".join(f"{n} {code}" for code, n in self.failures.most_common())


def _created(response) -> int:
    """Newly stored activities of a response (a batch counts its rows)."""
    if isinstance(response, pb.ReportActivitiesResponse):
        return response.created
    return 1 if response.created else 0


def _call(stub: pb_grpc.ActivityServiceStub, request, metadata: list[tuple[str, str]]):
    method = stub.ReportActivities if isinstance(request, pb.ReportActivitiesRequest) else stub.ReportActivity
    return method(request, metadata=metadata, timeout=CALL_TIMEOUT)


def _code(exc: Exception) -> str:
    return exc.code().name if isinstance(exc, grpc.RpcError) else type(exc).__name__


def run_concurrent(target: str, token: str, per_client: Sequence[Sequence]) -> Calls:
    """Each client (a thread with its own channel) sends its requests one after the other, all
    clients at once; returns when all are answered."""
    calls = Calls()
    metadata = [("authorization", f"Bearer {token}")]
    channels = [channel(target) for _ in per_client]
    for ch in channels:  # connect before the clock starts
        grpc.channel_ready_future(ch).result(timeout=30)
    barrier = threading.Barrier(len(per_client) + 1)

    def client(ch: grpc.Channel, requests: Sequence) -> None:
        stub = pb_grpc.ActivityServiceStub(ch)
        barrier.wait()
        for request in requests:
            t0 = time.perf_counter()
            try:
                response = _call(stub, request, metadata)
            except Exception as exc:  # noqa: BLE001 - a failed call is a result, counted by its code
                calls.fail(_code(exc))
                continue
            calls.record(time.perf_counter() - t0, _created(response))

    threads = [threading.Thread(target=client, args=(ch, reqs), daemon=True) for ch, reqs in zip(channels, per_client)]
    for t in threads:
        t.start()
    barrier.wait()
    calls.started = time.perf_counter()
    for t in threads:
        t.join()
    calls.finished = time.perf_counter()
    for ch in channels:
        ch.close()
    return calls


@dataclass
class PacedCall:
    sent: float
    latency: float | None  # None: the call failed


def run_paced(target: str, token: str, requests: Sequence, rate: float,
              on_start: Callable[[], None] = lambda: None) -> tuple[Calls, list[PacedCall]]:
    """Send ``requests`` at a steady ``rate`` per second whatever the answers take (an open
    loop: slow answers do not slow the senders down, as with many independent systems)."""
    calls = Calls()
    metadata = [("authorization", f"Bearer {token}")]
    ch = channel(target)
    grpc.channel_ready_future(ch).result(timeout=30)
    stub = pb_grpc.ActivityServiceStub(ch)
    paced: list[PacedCall | None] = [None] * len(requests)

    def send(i: int) -> None:
        t0 = time.perf_counter()
        try:
            response = _call(stub, requests[i], metadata)
        except Exception as exc:  # noqa: BLE001 - counted by its code
            calls.fail(_code(exc))
            paced[i] = PacedCall(t0, None)
            return
        latency = time.perf_counter() - t0
        calls.record(latency, _created(response))
        paced[i] = PacedCall(t0, latency)

    on_start()
    with ThreadPoolExecutor(max_workers=32, thread_name_prefix="paced") as pool:
        calls.started = time.perf_counter()
        for i in range(len(requests)):
            delay = calls.started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, i)
    calls.finished = time.perf_counter()
    ch.close()
    return calls, [p for p in paced if p is not None]
