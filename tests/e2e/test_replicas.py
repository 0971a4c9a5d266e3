"""Two replicas of every service on one broker (`kepu run --replicas 2`), competing for their
queues during a stream of reports and corrections: totals exact, revisions in order, no alert
doubled, and a replica killed mid-stream loses nothing."""
from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from libs.common.bus.topology import SUBSCRIPTIONS
from libs.localenv.ports import free_port, free_range
from tests.e2e.system import (
    CARAVAN_2024,
    Driver,
    kepu,
    metric,
    start_system,
    stop_system,
    wait_for_alerts,
    wait_for_metric,
)
from tests.interface.helpers import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replicated(vhost_pipeline, broker_uris, tmp_path_factory):
    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        env = {**os.environ, "KEPU_AMQP_URI": f"{parts.scheme}://{parts.netloc}/{vhost}",
               "KEPU_MANAGE_BROKER": "false", "KEPU_VAR_DIR": str(tmp_path_factory.mktemp("replicas")),
               "KEPU_GRPC_PORT": str(free_port()), "KEPU_METRICS_PORT_BASE": str(free_range(10)),
               "KEPU_REPLICAS": "2", "KEPU_AS_OF": "2024-06-30", "KEPU_EVALUATE_INTERVAL": "3600",
               "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        proc, banner = start_system(env)
        try:
            yield env, vhost, banner
        finally:
            stop_system(proc)


def consumers(api_uri: str, vhost: str, queue: str) -> int:
    parts = urlsplit(api_uri)
    url = f"{parts.scheme}://{parts.hostname}:{parts.port}/api/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}"
    return requests.get(url, auth=(parts.username or "guest", parts.password or "guest"), timeout=5).json()["consumers"]


def service_pids(env: dict, service: str) -> list[int]:
    """This system's processes of one service (by /proc: no procps needed)."""
    found = []
    for proc_dir in Path("/proc").iterdir():
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().split(b"\0")
            if cmdline[-2:] == [service.encode(), b""] and b"libs.common.service_runner" in cmdline \
                    and env["KEPU_VAR_DIR"].encode() in (proc_dir / "environ").read_bytes():
                found.append(int(proc_dir.name))
        except OSError:  # not ours to read, or gone meanwhile
            continue
    return found


def report(i: int, sessions: float = 1) -> dict:
    return {"activity_type": "caravan_tour", "start_date": "2024-05-01", "external_id": f"rep-{i}",
            "quantities": {"sessions": sessions}}


def test_two_replicas_of_each_service_count_exactly_once_and_in_revision_order(replicated, broker_uris):
    env, vhost, banner = replicated
    assert "indicators#2 metrics" in banner
    for queue in (SUBSCRIPTIONS[0].queue_name, SUBSCRIPTIONS[1].queue_name, "rpc-activities"):
        # the management API's figures lag by its statistics interval (5 s)
        wait_until(lambda: consumers(broker_uris[1], vhost, queue) == 2, timeout=30, interval=1)
    token = kepu(env, "org", "token", "cast").stdout.strip()
    target = f"127.0.0.1:{env['KEPU_GRPC_PORT']}"
    indicators = service_pids(env, "indicators")
    assert len(indicators) == 2

    def batches(first: int) -> None:
        driver = Driver(target)
        try:
            for b in range(first, first + 5):
                answer = driver.ok("ReportActivities", token, {"rows": [report(b * 100 + i) for i in range(100)]})
                assert len(answer["results"]) == 100
        finally:
            driver.close()

    streams = [threading.Thread(target=batches, args=(first,)) for first in (0, 5)]
    for s in streams:
        s.start()
    # one indicators replica dies mid-stream: its unacked batch goes to the other (and to its restart)
    wait_until(lambda: (metric(env, "indicators", CARAVAN_2024) or 0) >= 300, timeout=60, interval=0.1)
    os.kill(indicators[0], signal.SIGKILL)
    driver = Driver(target)
    try:
        singles = [driver.ok("ReportActivity", token, report(10_000 + i))["activity"] for i in range(50)]
        for s in streams:
            s.join(timeout=120)
        # corrections in quick succession: revision 3 must win wherever revision 2 is handled
        for a in singles[:30]:
            second = driver.ok("CorrectActivity", token, {"activity_id": a["activity_id"], "revision": 1,
                                                          "content": report(0, 2) | {"external_id": a["external_id"]}})
            driver.ok("CorrectActivity", token, {"activity_id": a["activity_id"], "revision": second["activity"]["revision"],
                                                 "content": report(0, 3) | {"external_id": a["external_id"]}})
    finally:
        driver.close()
    total = 1000 + 50 + 30 * (3 - 1)
    assert not any(s.is_alive() for s in streams), "the batch streams did not finish"
    for replica in (0, 1):  # each replica's /metrics shows the shared figure
        got = wait_for_metric(env, "indicators", CARAVAN_2024, float(total), timeout=120, replica=replica)
        assert got == total, f"replica {replica} shows {got}, not {total}"
    assert metric(env, "indicators", CARAVAN_2024, replica=1) == total

    # the start-up burst of status changes, consumed by two notifications replicas: one alert per window
    by_window = wait_for_alerts(env, token, "caravan-tours", {"2021", "2022", "2023"}, timeout=60)
    alerts = json.loads(kepu(env, "alert", "list", "--json", "--token", token).stdout)
    keys = [(a["indicator"], a["window"], a["scope"]) for a in alerts]
    assert len(keys) == len(set(keys)) and all(a["times_opened"] == 1 for a in alerts)
    assert {w: a["status"] for w, a in by_window.items() if w < "2024"} == {"2021": "missed", "2022": "missed",
                                                                              "2023": "missed"}
