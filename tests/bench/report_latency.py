"""How long from a gRPC report until its count shows on the indicators' /metrics.

Run against a throw-away system (it records real demo activities):
    .venv/bin/kepu run --as-of 2024-06-30      # terminal 1
    .venv/bin/python -m tests.bench.report_latency --n 30
Not part of the test suite: speed is measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time

import grpc
import requests

from libs.common.api.kepu.v1 import activity_service_pb2 as pb
from libs.common.api.kepu.v1 import activity_service_pb2_grpc as pb_grpc
from libs.common.settings import get_settings

SERIES = 'kepu_indicator_actual{indicator="caravan-tours",region="%s",scope="%s",window="2024"} '


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    s = get_settings()
    token = subprocess.run([sys.executable, "-m", "libs.cli.main", "org", "token", "cast", "--label", "latency probe"],
                           capture_output=True, text=True, check=True).stdout.strip()
    stub = pb_grpc.ActivityServiceStub(grpc.insecure_channel(s.grpc_target))
    metrics_url = f"http://{s.metrics_host}:{s.metrics_port('indicators')}/metrics"
    series = re.escape(SERIES % ("dangshan", "dangshan")) + r"([0-9.]+)"

    def value() -> float:
        match = re.search(series, requests.get(metrics_url, timeout=5).text)
        return float(match.group(1)) if match else 0.0

    call, visible = [], []
    for _ in range(args.n):
        before, t0 = value(), time.perf_counter()
        stub.ReportActivity(pb.ReportActivityRequest(activity_type="caravan_tour", start_date="2024-05-01",
                                                     quantities={"sessions": 1}),
                            metadata=[("authorization", f"Bearer {token}")], timeout=30)
        call.append(time.perf_counter() - t0)
        while value() < before + 1:
            time.sleep(0.002)
        visible.append(time.perf_counter() - t0)

    def p(xs: list[float], q: float) -> float:
        return sorted(xs)[int(q * (len(xs) - 1))] * 1000

    print(f"gRPC ReportActivity:   median {statistics.median(call) * 1000:.1f} ms, p90 {p(call, .9):.1f} ms")
    print(f"report -> /metrics:    median {statistics.median(visible) * 1000:.1f} ms, p90 {p(visible, .9):.1f} ms, "
          f"max {max(visible) * 1000:.1f} ms (n={args.n})")


if __name__ == "__main__":
    main()
