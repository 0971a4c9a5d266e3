"""How fast the whole pipeline is, compared with what the broker alone does on this machine.

    make bench                                   # every case, on SQLite and then on PostgreSQL
    make bench BENCH_ARGS="--quick --db sqlite"  # a smoke run, about a tenth of each N
    make bench BROKER_NODES=3                    # also on a 3-node cluster with quorum queues

Runs under ``kepu test-env`` (it provides the broker and a throw-away PostgreSQL). For each
database it starts its own system (`kepu run` on free ports, its own vhost, its own folder
under var/bench/run-*), runs the cases, stops everything, and writes the rows to
var/bench/<time>-<db>.json. Cases: baseline (raw kombu), single and batch intake over gRPC,
report→/metrics latency at a steady rate, catch-up of a paused indicators service, rebuild,
peak memory of every process. Throughput rows show their ratio to the baseline consume rate.

With ``--broker-nodes N`` (N > 1) the same cases then run once more per database, on a RabbitMQ
cluster of N nodes the bench starts for it (tests/bench/brokers.py) with quorum queues, the baseline
on a quorum queue; each of those rows also shows its ratio to the same case on the one-node
classic system of this run (written to var/bench/<time>-<db>-<N>nodes-quorum.json).

Targets are printed beside the rows and never fail the run: the exit code is non-zero only if a
system could not start or a case crashed. Not part of `make test`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import traceback
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console

from libs.common.settings import REPO_ROOT
from tests.bench.brokers import Broker, running_cluster, test_env_broker
from tests.bench.cases import CASES, Bench, resume_paused
from tests.bench.harness import (
    BENCH_DIR,
    Counter,
    System,
    SystemStartError,
    Vhost,
    database_template,
    drop_databases,
    start_system,
    stop_system,
    system_env,
)
from tests.bench.results import Result, apply_one_node_ratios, apply_ratios, print_table, side_by_side, write_json

# a wide table also when the output goes to a file or a pipe (rich would fold it to 80 columns)
console = Console() if Console().is_terminal else Console(width=220)
DATABASES = ("sqlite", "postgresql")


def as_of_date(text: str) -> str:
    """The clock must be past every report's date: reports after it are refused."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if day < dt.date(2024, 6, 28):
        raise argparse.ArgumentTypeError("the bench reports activities of 2024 up to 06-28: use 2024-06-28 or later")
    return day.isoformat()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=(*DATABASES, "both"), default="both", help="Database(s) to run on.")
    parser.add_argument("--quick", action="store_true", help="About a tenth of every N: a smoke run.")
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"Comma-separated subset of: {', '.join(CASES)} (always run in that order).")
    parser.add_argument("--replicas", type=int, default=None, help="Passed to the system as KEPU_REPLICAS.")
    parser.add_argument("--as-of", default="2024-06-30", type=as_of_date,
                        help="The system's frozen clock; reports are dated 2024-01-01 … 2024-06-28.")
    parser.add_argument("--keep", action="store_true", help="Keep each run's folder (logs, SQLite files).")
    parser.add_argument("--broker-nodes", type=int, default=1, choices=range(1, 8), metavar="N",
                        help="Also run the cases on a RabbitMQ cluster of N nodes (2-7; 3 survives losing one) "
                             "with quorum queues, as ratios to the one-node classic figures.")
    args = parser.parse_args(argv)
    chosen = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(chosen) - CASES.keys())
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    args.case_list = [c for c in CASES if c in chosen]
    args.dbs = list(DATABASES) if args.db == "both" else [args.db]
    return args


def git_revision() -> str:
    """The commit measured, with "+dirty" when the work tree has changes (it usually has, while
    someone is making things faster)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    return rev + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def run_cases(bench: Bench, names: list[str]) -> tuple[list[Result], bool]:
    """Each case in turn; a crash becomes a row (and fails the run) and the next case still runs."""
    results, crashed = [], False
    for name in names:
        started = time.perf_counter()
        try:
            rows = CASES[name](bench)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - reported as the case's row
            crashed = True
            console.print(f"[red]case {name} crashed:[/]\n{traceback.format_exc()}", highlight=False)
            rows = [bench.row(name, None, "", notes=f"CRASHED: {exc!r}"[:300])]
        bench.say(f"{name} done in {time.perf_counter() - started:.0f}s")
        results += rows
    apply_ratios(results, bench.baseline)
    return results, crashed


def start_with_retry(env: dict[str, str]) -> System:
    """Start the system; once more on other ports if one of ours was taken between choosing it
    and `kepu run` binding it."""
    try:
        return start_system(env)
    except SystemStartError as exc:
        if "already in use" not in str(exc):
            raise
        console.print("[yellow]a port was taken meanwhile; starting again on other ports[/]")
        fresh = system_env(Path(env["KEPU_VAR_DIR"]), env["KEPU_AMQP_URI"], env["KEPU_DATABASE_URL_TEMPLATE"],
                           env["KEPU_AS_OF"], int(env["KEPU_REPLICAS"]) if "KEPU_REPLICAS" in env else None,
                           env["KEPU_BROKER_QUEUE_TYPE"])
        return start_system(fresh)


def run_name(stamp: str, db: str, broker: Broker) -> str:
    """What a system run's folder and JSON file are called: ``<time>-<db>`` on the test node (as
    ever), ``<time>-<db>-3nodes-quorum`` on a cluster."""
    return f"{stamp}-{db}" if broker.cluster is None else f"{stamp}-{db}-{broker.slug}"


def run_on(db: str, args: argparse.Namespace, stamp: str, broker: Broker) -> tuple[list[Result], bool]:
    """One system on one database and one broker: vhost, databases, `kepu run`, the cases, and the
    clean-up (always, also on Ctrl-C). Returns the rows and whether all went well."""
    postgres_url = os.environ.get("KEPU_TEST_POSTGRES_URL")
    var_dir = BENCH_DIR / f"run-{run_name(stamp, db, broker)}"
    vhost, system, prefix, ok = Vhost(broker.api_uri, broker.amqp_uri), None, None, False
    results: list[Result] = []
    try:
        template, prefix = database_template(db, postgres_url)
        for name in vhost.delete_stale():
            console.print(f"deleted vhost {name} left behind by an interrupted run", highlight=False)
        vhost.create()
        env = system_env(var_dir, vhost.amqp_uri, template, args.as_of, args.replicas, broker.queue_type)
        console.print(f"[bold]{db}[/] on {broker.label}: starting `kepu run` in {var_dir} (vhost {vhost.name}, gRPC "
                      f"{env['KEPU_GRPC_PORT']}, /metrics from {env['KEPU_METRICS_PORT_BASE']}) …", highlight=False)
        system = start_with_retry(env)
        for lacking in broker.settle(vhost.name):
            console.print(f"[yellow]quorum queue without a replica on every node: {lacking}[/]", highlight=False)
        if broker.cluster is not None:
            led = ", ".join(f"{node} {count}" for node, count in sorted(broker.leaders(vhost.name).items()))
            console.print(f"quorum queues led by: {led}", highlight=False)
        bench = Bench(system=system, db=db, scale=0.1 if args.quick else 1.0, tag=f"bench-{uuid.uuid4().hex[:6]}",
                      counter=Counter(system), console=console, broker=broker.label)
        bench.expected = bench.counter.read() or 0.0
        results, crashed = run_cases(bench, args.case_list)
        ok = not crashed
    except SystemStartError as exc:
        console.print(f"[red]{db}: the system did not start:[/] {exc}", highlight=False)
        results.append(Result(case="system start", db=db, value=None, unit="", broker=broker.label,
                              notes=str(exc).splitlines()[0]))
    finally:
        if system is not None:
            problem = stop_system(system)
            if problem:
                console.print(f"[yellow]{db}: {problem}[/]", highlight=False)
        vhost.delete()
        if prefix and postgres_url:
            try:
                drop_databases(postgres_url, prefix)
            except Exception as exc:  # noqa: BLE001 - the test cluster is thrown away anyway
                console.print(f"[yellow]could not drop the {prefix}_* databases: {exc}[/]", highlight=False)
        if ok and not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
        elif var_dir.exists():
            console.print(f"{db}: logs and data kept in {var_dir}", highlight=False)
    return results, ok


def meta(args: argparse.Namespace, db: str, stamp: str, broker: Broker) -> dict:
    nodes = [urlsplit(uri) for uri in broker.amqp_uri.split(";") if uri]
    return {"started": stamp, "db": db, "quick": args.quick, "cases": args.case_list, "replicas": args.replicas,
            "as_of": args.as_of, "git": git_revision(), "host": platform.node(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "broker": ";".join(f"{n.hostname}:{n.port}" for n in nodes),
            "broker_nodes": len(nodes), "queue_type": broker.queue_type}


def describe(args: argparse.Namespace) -> str:
    """What makes this run differ from a default one, for the table's title."""
    said = [w for w, on in (("quick", args.quick), (f"{args.replicas} replicas", args.replicas)) if on]
    return f" ({', '.join(said)})" if said else ""


def install_signal_handlers() -> None:
    """Ctrl-C and `kill` end the run through the finally blocks, which stop the system. A paused
    service is resumed first thing: `kepu test-env` kills this process a quarter of a second
    after a Ctrl-C, and `kepu run` (which gets the Ctrl-C too) can only stop a running child."""
    def interrupted(signum, frame):
        resume_paused()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)


def measure(db: str, args: argparse.Namespace, broker: Broker,
            one_node: list[Result] | None = None) -> tuple[list[Result], bool]:
    """One system run (`run_on`), its JSON and its table; a cluster's rows as ratios to
    ``one_node`` (the rows of the same database on the one-node classic system), shown beside them."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    rows, ok = run_on(db, args, stamp, broker)
    if one_node is not None:
        apply_one_node_ratios(rows, one_node)
    path = BENCH_DIR / f"{run_name(stamp, db, broker)}.json"
    write_json(path, meta(args, db, stamp, broker), rows)
    if one_node is None:
        print_table(rows, f"Kepu pipeline benchmark — {db}{describe(args)}", console)
    else:
        print_table(side_by_side(one_node, rows), f"Kepu pipeline benchmark — {db}, {broker.label} beside 1 node "
                    f"classic{describe(args)}", console)
    console.print(f"written to {path.relative_to(REPO_ROOT)}", highlight=False)
    return rows, ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_signal_handlers()
    one_node = test_env_broker()
    by_db: dict[str, list[Result]] = {}
    on_cluster: list[Result] = []
    failed = False
    try:
        for db in args.dbs:
            by_db[db], ok = measure(db, args, one_node)
            failed |= not ok
        if args.broker_nodes > 1:  # after the one-node runs: an idle cluster would still cost them CPU
            with running_cluster(args.broker_nodes, lambda said: console.print(said, highlight=False)) as cluster:
                for db in args.dbs:
                    rows, ok = measure(db, args, cluster, one_node=by_db[db])
                    failed |= not ok
                    on_cluster += rows
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; everything this run started is stopped[/]")
        return 130
    if len(args.dbs) > 1:
        everything = [r for db in args.dbs for r in by_db[db]]
        print_table(side_by_side(everything, on_cluster),
                    f"Kepu pipeline benchmark — all databases{describe(args)}", console)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
