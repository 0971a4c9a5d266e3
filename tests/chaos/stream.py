"""A department system that keeps reporting while things break: ``python -m tests.chaos.stream
TARGET TOKEN --rate R --count N [--prefix P]`` sends N caravan-tour reports at R a second (every
tenth call a batch of five), each with its own external_id, and resends one that failed for a
reason a resend can cure (the gateway or a service down, a deadline) with the same
external_id, as the API documents, until it is accepted or ``--give-up`` seconds passed.

Prints one JSON line: the sessions accepted (what the indicator must show), how many reports
were accepted, given up or refused, the status codes seen, and latency percentiles.
A child process: grpcio cannot run in the eventlet-patched test process.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import grpc

from libs.common.api.kepu.v1 import activity_service_pb2 as act
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as act_grpc
from libs.common.api.kepu.v1 import resources_pb2 as res

RESEND = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED,
          grpc.StatusCode.CANCELLED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.ABORTED}


class Stream:
    def __init__(self, target: str, token: str, prefix: str, give_up: float):
        self.auth = [("authorization", f"Bearer {token}")]
        self.prefix, self.give_up = prefix, give_up
        self.target = target
        self.lock = threading.Lock()
        self.codes: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.sessions = 0.0
        self.accepted = self.lost = self.refused = 0
        self._local = threading.local()

    def stub(self) -> act_grpc.ActivityServiceStub:
        if getattr(self._local, "stub", None) is None:
            self._local.stub = act_grpc.ActivityServiceStub(grpc.insecure_channel(self.target))
        return self._local.stub

    def row(self, n: int) -> dict:
        day = f"2024-{1 + n % 6:02d}-{1 + n % 28:02d}"
        return {"activity_type": "caravan_tour", "start_date": day, "external_id": f"{self.prefix}-{n}",
                "quantities": {"sessions": float(1 + n % 3), "participants": float(50 + n % 100)}}

    def send(self, n: int, batch: bool) -> None:
        rows = [self.row(n + i) for i in range(5 if batch else 1)]
        started = deadline = time.monotonic()
        deadline += self.give_up
        while True:
            failed = None
            try:
                if batch:
                    self.stub().ReportActivities(act.ReportActivitiesRequest(rows=[res.ActivityReport(**r) for r in rows]),
                                                 metadata=self.auth, timeout=10)
                else:
                    self.stub().ReportActivity(act.ReportActivityRequest(**rows[0]), metadata=self.auth, timeout=10)
                code = "OK"
            except grpc.RpcError as exc:
                code, failed = exc.code().name, exc.code()
                if failed in RESEND and time.monotonic() < deadline:
                    self._count(code)
                    time.sleep(0.5)
                    continue
            break
        with self.lock:
            self.codes[code] += 1
            self.latencies.append(time.monotonic() - started)
            if code == "OK":
                self.accepted += len(rows)
                self.sessions += sum(r["quantities"]["sessions"] for r in rows)
            elif failed in RESEND:
                self.lost += len(rows)
            else:
                self.refused += len(rows)

    def _count(self, code: str) -> None:
        with self.lock:
            self.codes[f"{code} (resent)"] += 1

    def summary(self) -> dict:
        lat = sorted(self.latencies) or [0.0]
        pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 3)  # noqa: E731
        return {"sessions": self.sessions, "accepted": self.accepted, "given_up": self.lost, "refused": self.refused,
                "codes": dict(self.codes), "p50": pick(0.5), "p99": pick(0.99), "max": round(lat[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("token")
    parser.add_argument("--rate", type=float, default=50.0, help="calls a second")
    parser.add_argument("--count", type=int, default=2000, help="calls in all")
    parser.add_argument("--prefix", default="chaos")
    parser.add_argument("--give-up", type=float, default=120.0)
    args = parser.parse_args()
    stream = Stream(args.target, args.token, args.prefix, args.give_up)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        n = 0
        for call in range(args.count):
            pause = started + call / args.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            batch = call % 10 == 9
            pool.submit(stream.send, n, batch)
            n += 5 if batch else 1
    print(json.dumps({**stream.summary(), "seconds": round(time.monotonic() - started, 1)}), flush=True)


if __name__ == "__main__":
    main()
