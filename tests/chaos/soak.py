"""`make soak`: an hour of steady reporting with faults on a timer, on PostgreSQL. Not part of
`make test` (SOAK_ARGS="--minutes 10 --rate 20" for a shorter run).

Every ``--kill-every`` seconds the next of organisations, activities, indicators, notifications
and the gateway gets `kill -9` (the supervisor restarts it); every ``--outage-every`` seconds
PostgreSQL stops for ten seconds. With ``--broker-nodes 3`` the system runs on a RabbitMQ cluster
of the bench's own with quorum queues, and "a broker node lost" joins the rotation: the next node
gets `kill -9` and is started again ``--node-down`` seconds later. The department system behind the stream resends what a resend
can cure, as the API documents. At the end the indicator must equal exactly what was accepted,
nothing may be parked and no alert doubled; the resident memory of each kind of process is
sampled throughout (a process restarted by a kill starts afresh, so the growth is read from
the processes in between: first fifth against last fifth of the run, per role).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
import uuid
from collections import Counter as Tally
from collections import defaultdict
from pathlib import Path

from libs.common.bus.dead_letters import peek_dead_letters
from libs.localenv.testenv import test_postgres
from tests.bench.brokers import Broker, running_cluster, test_env_broker
from tests.bench.harness import (
    BENCH_DIR,
    Counter,
    Vhost,
    database_template,
    drop_databases,
    reporter_token,
    start_system,
    stop_system,
    system_env,
    system_processes,
    wait_for_count,
)
from tests.chaos.harness import TARGETS, kill_9, rss_kb, start_stream, stream_result

BROKER_NODE = "broker node"  # in the rotation when the system runs on a cluster


def lose_a_node(cluster, turn: int, down: float, stop: threading.Event) -> str:
    """``kill -9`` of the cluster's next node, started again ``down`` seconds later."""
    index = turn % len(cluster.nodes)
    cluster.kill(index)
    stop.wait(down)
    cluster.restart(index)
    return f"kill -9 RabbitMQ {cluster.nodes[index].node}, restarted after {down:.0f}s"


def faults(env: dict, stop: threading.Event, kill_every: float, outage_every: float, log: list,
           cluster=None, node_down: float = 15) -> None:
    """The timer: kills in rotation (a broker node among them on a cluster), database outages;
    each written to ``log``."""
    started, next_kill, next_outage, turn = time.monotonic(), kill_every, outage_every, 0
    rotation = (*TARGETS, BROKER_NODE) if cluster is not None else TARGETS
    while not stop.wait(1.0):
        elapsed = time.monotonic() - started
        if elapsed >= next_kill:
            name = rotation[turn % len(rotation)]
            try:
                if name == BROKER_NODE:
                    log.append((round(elapsed), lose_a_node(cluster, turn // len(rotation), node_down, stop)))
                else:
                    log.append((round(elapsed), f"kill -9 {name} (pid {kill_9(env, name)})"))
            except AssertionError as exc:  # it is being restarted right now
                log.append((round(elapsed), f"kill -9 {name} skipped: {exc}"))
            turn, next_kill = turn + 1, next_kill + kill_every
        if elapsed >= next_outage:
            database = test_postgres()
            database.halt()
            log.append((round(elapsed), "PostgreSQL stopped for 10 s"))
            stop.wait(10)
            database.resume()
            next_outage += outage_every


def sample_memory(var_dir: Path, stop: threading.Event, samples: dict) -> None:
    started = time.monotonic()
    while not stop.wait(15.0):
        for pid, role in system_processes(var_dir):
            try:
                samples[role.split("#")[0]].append((time.monotonic() - started, rss_kb(pid) / 1024))
            except OSError:
                continue


def memory_report(samples: dict, seconds: float) -> dict:
    out = {}
    for role, points in sorted(samples.items()):
        first = [m for t, m in points if t <= seconds / 5]
        last = [m for t, m in points if t >= seconds * 4 / 5]
        if first and last:
            out[role] = {"first_fifth_mib": round(statistics.median(first), 1),
                         "last_fifth_mib": round(statistics.median(last), 1),
                         "peak_mib": round(max(m for _, m in points), 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--rate", type=float, default=20, help="calls a second (every tenth a batch of five)")
    parser.add_argument("--kill-every", type=float, default=120, help="seconds between two kill -9")
    parser.add_argument("--outage-every", type=float, default=600, help="seconds between two database outages")
    parser.add_argument("--broker-nodes", type=int, default=1, choices=(1, 3),
                        help="3: on a RabbitMQ cluster with quorum queues, a broker node lost in the rotation")
    parser.add_argument("--node-down", type=float, default=15, help="seconds a killed broker node stays down")
    args = parser.parse_args()
    if args.broker_nodes == 1:
        return soak(args, test_env_broker())
    with running_cluster(args.broker_nodes, lambda said: print(said, flush=True)) as cluster:
        return soak(args, cluster)


def soak(args: argparse.Namespace, broker: Broker) -> int:
    """The soak on ``broker`` (the test node, or the bench's cluster); 0 when nothing was lost or doubled."""
    amqp_base, api_uri = broker.amqp_uri, broker.api_uri
    postgres_url = os.environ["KEPU_TEST_POSTGRES_URL"]
    template, prefix = database_template("postgresql", postgres_url)
    var_dir = BENCH_DIR / f"soak-{time.strftime('%Y%m%d-%H%M%S')}"
    vhost, system = Vhost(api_uri, amqp_base, f"kepu-bench-soak-{uuid.uuid4().hex[:6]}"), None
    stop, log, samples = threading.Event(), [], defaultdict(list)
    verdict = 1
    try:
        vhost.delete_stale()
        vhost.create()
        env = {**system_env(var_dir, vhost.amqp_uri, template, "2024-06-30", None, broker.queue_type),
               "KEPU_PROMETHEUS": "false"}
        system = start_system(env)
        broker.settle(vhost.name)  # the services' own queues too, on every node
        token = reporter_token(system)
        count = int(args.rate * args.minutes * 60)
        print(f"soak: {count} calls at {args.rate}/s for {args.minutes:.0f} min on {broker.label}; kill -9 every "
              f"{args.kill_every:.0f}s, PostgreSQL outage every {args.outage_every:.0f}s; logs in {var_dir}", flush=True)
        stream = start_stream(env, token, rate=args.rate, count=count, prefix=f"soak-{uuid.uuid4().hex[:6]}")
        threads = [threading.Thread(target=faults, args=(env, stop, args.kill_every, args.outage_every, log,
                                                         broker.cluster, args.node_down)),
                   threading.Thread(target=sample_memory, args=(var_dir, stop, samples))]
        for t in threads:
            t.start()
        result = stream_result(stream, timeout=args.minutes * 60 + 900)
        stop.set()
        for t in threads:
            t.join()
        counted = wait_for_count(Counter(system), result["sessions"], timeout=300)
        parked = peek_dead_letters(vhost.amqp_uri, 1000)
        from libs.common.rpc import ClusterRpcProxy

        with ClusterRpcProxy({"AMQP_URI": vhost.amqp_uri}, timeout=30) as rpc:
            alerts = rpc.notifications.list_alerts()
        doubled = [k for k, n in Tally((a["indicator"], a["window"], a["scope"]) for a in alerts).items() if n > 1]
        report = {"stream": result, "counted": counted.last, "expected": result["sessions"],
                  "lost_or_doubled": counted.last - result["sessions"] if counted.last is not None else None,
                  "parked": len(parked), "alerts": len(alerts), "alerts_doubled": len(doubled),
                  "faults": len(log), "memory": memory_report(samples, args.minutes * 60)}
        print(json.dumps(report, indent=1, ensure_ascii=False))
        for at, what in log:
            print(f"  {at:>5}s  {what}")
        ok = counted.reached and counted.last == result["sessions"] and not parked and not doubled \
            and result["given_up"] == 0 and result["refused"] == 0
        print("soak: PASSED — nothing lost, nothing doubled" if ok else "soak: FAILED", flush=True)
        verdict = 0 if ok else 1
    finally:
        stop.set()
        if system is not None:
            stop_system(system)
        vhost.delete()
        drop_databases(postgres_url, prefix)
        if verdict == 0:
            shutil.rmtree(var_dir, ignore_errors=True)
    return verdict


if __name__ == "__main__":
    sys.exit(main())
