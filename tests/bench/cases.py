"""The benchmark's cases, each a function of a running system returning its result rows.

The one number every case ends on is the indicators' /metrics counter of 2024's caravan tours
for the county: an activity is "through the pipeline" once it is counted there. The counter is
cumulative over the whole system run, so :class:`Bench` keeps what it should read once
everything sent so far is counted (``expected``); a case that timed out leaves its events in
``expected``, and the next case waits for them too rather than measuring on a moving base.
"""
from __future__ import annotations

import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from rich.console import Console

from tests.bench import amqp
from tests.bench.grpc_load import Calls, batch_request, run_concurrent, run_paced, single_request
from tests.bench.harness import (
    Counter,
    System,
    Wait,
    kepu,
    peak_memory_mib,
    pids_of,
    reporter_token,
    send_signal,
    system_processes,
    wait_for_count,
)
from tests.bench.results import Result, Target, latency_ms

TARGETS = {
    "single16": Target("≥ 300/s", 300, True),
    "batch_e2e": Target("≥ 2,000/s", 2000, True),
    "catchup": Target("≥ 2,000/s", 2000, True),
    "rebuild": Target("≤ 60 s per 100k", 60, False),
    "latency_p99": Target("p99 ≤ 100 ms", 100, False),
    "memory": Target("≤ 200 MiB", 200, False),
}
BATCH_ROWS = 500


@dataclass
class Bench:
    """One system run's state shared by the cases."""

    system: System
    db: str
    scale: float
    tag: str
    counter: Counter
    console: Console
    broker: str = ""  # the broker's label in the table ("1 node classic", "3 nodes quorum")
    expected: float = 0.0  # what the counter shows once everything sent so far is counted
    stored: int = 0  # activities stored through the gateway (what a rebuild starts from)
    published: int = 0  # events published straight to the bus (never stored by activities)
    baseline: float | None = None  # consume msgs/s of the baseline
    _token: str | None = field(default=None, repr=False)

    def n(self, full: int, least: int = 1) -> int:
        """A case's size: ``full``, or about a tenth of it with --quick."""
        return max(least, round(full * self.scale))

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = reporter_token(self.system)
        return self._token

    @property
    def queue_type(self) -> str:
        """The type of the system's durable queues (``classic`` on one node, ``quorum`` on a cluster)."""
        return self.system.env.get("KEPU_BROKER_QUEUE_TYPE", "classic")

    def say(self, message: str) -> None:
        where = f"{self.db}, {self.broker}" if self.broker else self.db
        self.console.print(f"[dim]\\[{where}][/] {message}", highlight=False)

    def row(self, case: str, value: float | None, unit: str, **kwargs) -> Result:
        return Result(case=case, db=self.db, value=value, unit=unit, broker=self.broker, **kwargs)

    def wait_counted(self, count: int) -> Wait:
        """Wait (generously: minutes for 100k) until ``expected`` shows on /metrics."""
        self.say(f"waiting until /metrics shows {self.expected:,.0f} …")
        return wait_for_count(self.counter, self.expected, timeout=120 + count / 100)

    def e2e_row(self, case: str, started: float, count: int, wait: Wait, unit: str = "activities/s",
                target: Target | None = None) -> Result:
        """Throughput from ``started`` until all ``count`` of this case are counted; on a timeout,
        the rate of what was counted by then, marked as such."""
        elapsed = wait.at - started
        if wait.reached:
            row = self.row(case, count / elapsed, unit, throughput=True, notes=f"{count:,} counted in {elapsed:.1f}s")
        else:
            counted = max(0.0, count - (self.expected - wait.last))
            row = self.row(case, counted / elapsed, unit, throughput=True,
                           notes=f"TIMEOUT ({wait.why}): {counted:,.0f} of {count:,} counted in {elapsed:.0f}s")
        return row.judge(target) if target else row


def _split(requests: list, clients: int) -> list[list]:
    """Round-robin the requests over the clients."""
    return [requests[i::clients] for i in range(clients)]


def _calls_note(calls: Calls, what: str = "calls") -> str:
    note = f"{len(calls.latencies):,} {what} in {calls.seconds:.1f}s"
    return note + (f"; FAILED: {calls.failure_note()}" if calls.failures else "")


# ---------------------------------------------------------------- 1. baseline


def baseline(b: Bench) -> list[Result]:
    """Raw kombu on the same broker: confirmed publishing and acked consuming of N envelopes, on a
    queue of the system's type (a quorum queue on a cluster)."""
    n = b.n(5000, 2000)  # fewer would be over in a few milliseconds: too noisy to compare with
    uri = b.system.env["KEPU_AMQP_URI"]
    messages = [amqp.activity_envelope(i) for i in range(n)]
    size = len(messages[0][1])
    queue = amqp.declare_scratch_queue(uri, b.queue_type)
    try:
        b.say(f"baseline: publishing {n:,} envelopes ({size} bytes) with a confirm each …")
        published, pub_secs = amqp.publish_confirmed(uri, messages, "", queue)
        b.say("baseline: consuming them with an ack each …")
        consumed, con_secs = amqp.consume_acked(uri, queue, published)
    finally:
        amqp.delete_queue(uri, queue)
    b.baseline = consumed / con_secs if consumed else None
    notes = f"N={n:,}, {size} B activity_recorded envelope, {b.queue_type} scratch queue"
    return [b.row("baseline publish (confirm each)", published / pub_secs, "msgs/s", throughput=True, notes=notes),
            b.row("baseline consume (ack each, prefetch 500)", b.baseline, "msgs/s", throughput=True,
                  notes=notes if consumed == n else f"only {consumed:,} of {n:,} consumed")]


# ---------------------------------------------------------------- 2. intake single


def _report_and_count(b: Bench, requests: list, clients: int):
    """Send ``requests`` from ``clients`` concurrent clients, then wait until /metrics counted what
    was created: (calls, the wait, (p50, p99) call latency in ms)."""
    calls = run_concurrent(b.system.grpc_target, b.token, _split(requests, clients))
    b.expected += calls.created
    b.stored += calls.created
    wait = b.wait_counted(calls.created)
    return calls, wait, latency_ms(calls.latencies)


def intake_single(b: Bench) -> list[Result]:
    """ReportActivity from 1 client, then from 16 concurrent clients."""
    rows = []
    for clients, total in ((1, b.n(1000, 10)), (16, b.n(4000, 32))):
        tag = f"{b.tag}-single{clients}"
        requests = [single_request(tag, i) for i in range(total)]
        b.say(f"intake single ×{clients}: {total:,} ReportActivity calls …")
        calls, wait, (p50, p99) = _report_and_count(b, requests, clients)
        target = TARGETS["single16"] if clients == 16 else None
        accepted = b.row(f"intake single ×{clients} accepted", len(calls.latencies) / calls.seconds, "calls/s",
                         p50_ms=p50, p99_ms=p99, throughput=True, notes=_calls_note(calls))
        rows += [accepted.judge(target) if target else accepted,
                 b.e2e_row(f"intake single ×{clients} end-to-end", calls.started, calls.created, wait, target=target)]
    return rows


# ---------------------------------------------------------------- 3. intake batch


def intake_batch(b: Bench) -> list[Result]:
    """ReportActivities, 500 rows a call, 4 concurrent clients."""
    batches, clients = b.n(40, 4), 4
    tag = f"{b.tag}-batch"
    requests = [batch_request(tag, k * BATCH_ROWS, BATCH_ROWS) for k in range(batches)]
    b.say(f"intake batch: {batches} × {BATCH_ROWS} rows from {clients} clients …")
    calls, wait, (p50, p99) = _report_and_count(b, requests, clients)
    return [b.row(f"intake batch {BATCH_ROWS}×{clients} accepted", calls.created / calls.seconds, "activities/s",
                  p50_ms=p50, p99_ms=p99, throughput=True,
                  notes=_calls_note(calls, "batches") + f" ({calls.created:,} activities)"),
            b.e2e_row(f"intake batch {BATCH_ROWS}×{clients} end-to-end", calls.started, calls.created, wait,
                      target=TARGETS["batch_e2e"])]


# ---------------------------------------------------------------- 4. latency


class Poller(threading.Thread):
    """Reads the counter every ``interval`` and keeps each change with the time it was seen."""

    def __init__(self, counter: Counter, interval: float = 0.005):
        super().__init__(daemon=True)
        self.counter, self.interval = counter, interval
        self.changes: list[tuple[float, float]] = []
        self.polls = 0
        self.busy = 0.0  # seconds spent scraping
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            asked = time.perf_counter()
            value = self.counter.read()
            seen = time.perf_counter()
            self.polls += 1
            self.busy += seen - asked
            if value is not None and (not self.changes or value != self.changes[-1][1]):
                self.changes.append((seen, value))
            time.sleep(self.interval)

    @property
    def latest(self) -> float:
        return self.changes[-1][1] if self.changes else 0.0

    def first_reaching(self, want: float) -> float | None:
        """When the counter was first seen at ``want`` or above."""
        return next((t for t, v in self.changes if v >= want), None)


def latency(b: Bench) -> list[Result]:
    """A steady 50 reports/s for 20 s: how long until each is visible on /metrics. Reports are
    matched to counts in the order they were sent: the k-th report is visible when the counter
    first reaches base + k."""
    rate, seconds = 50, 20 if b.scale >= 1 else 5
    tag = f"{b.tag}-latency"
    requests = [single_request(tag, i) for i in range(rate * seconds)]
    base = b.expected
    poller = Poller(Counter(b.system))
    b.say(f"latency: {len(requests):,} reports at {rate}/s, polling /metrics every 5 ms …")
    calls, paced = run_paced(b.system.grpc_target, b.token, requests, rate, on_start=poller.start)
    b.expected += calls.created
    b.stored += calls.created
    deadline, last_move, seen = time.monotonic() + 120, time.monotonic(), poller.latest
    while poller.latest < b.expected and time.monotonic() < deadline and time.monotonic() - last_move < 60:
        if poller.latest != seen:
            seen, last_move = poller.latest, time.monotonic()
        time.sleep(0.05)
    poller.stopping.set()
    poller.join()
    polled_for = time.perf_counter() - calls.started
    sent = sorted(p.sent for p in paced if p.latency is not None)
    visible = []
    for k, t_sent in enumerate(sent, start=1):
        t_seen = poller.first_reaching(base + k)
        if t_seen is not None:
            visible.append(max(0.0, t_seen - t_sent))
    p50, p99 = latency_ms(visible)
    missing = len(sent) - len(visible)
    notes = (f"{len(visible):,} of {len(sent):,} seen, sent at {len(paced) / calls.seconds:.1f}/s; "
             f"{poller.polls:,} polls, one per {polled_for / max(1, poller.polls) * 1000:.0f} ms "
             f"(a scrape takes {poller.busy / max(1, poller.polls) * 1000:.0f} ms)"
             + (f"; {missing:,} NEVER SEEN (timeout)" if missing else ""))
    c50, c99 = latency_ms(calls.latencies)
    return [b.row(f"latency report→/metrics @{rate}/s", p99, "ms p99", p50_ms=p50, p99_ms=p99,
                  notes=notes).judge(TARGETS["latency_p99"]),
            b.row(f"latency gRPC call @{rate}/s", c99, "ms p99", p50_ms=c50, p99_ms=c99, notes=_calls_note(calls))]


# ---------------------------------------------------------------- 5. catch-up

PAUSED: set[int] = set()  # processes we stopped with SIGSTOP, to resume whatever happens


def resume_paused() -> None:
    """SIGCONT every process we paused; also called from the SIGINT handler, so a Ctrl-C never
    leaves a service stopped (its supervisor could not stop it in order)."""
    while PAUSED:
        send_signal(PAUSED.pop(), signal.SIGCONT)



def catch_up(b: Bench) -> list[Result]:
    """Indicators paused while N events pile up on its queue, then resumed: how fast it drains."""
    n = b.n(100_000)
    pids = pids_of(b.system, "indicators")
    if not pids:
        raise RuntimeError("no indicators process found")
    b.say(f"catch-up: building {n:,} envelopes …")
    messages = [amqp.activity_envelope(i) for i in range(n)]
    PAUSED.update(pids)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        b.say(f"catch-up: indicators paused (pid {', '.join(map(str, pids))}); publishing {n:,} events …")
        published, pub_secs = amqp.publish_in_runs(b.system.env["KEPU_AMQP_URI"], messages)
        b.expected += published
        b.published += published
        started = time.perf_counter()
    finally:
        resume_paused()
    wait = b.wait_counted(published)
    return [b.row("catch-up publish (direct, confirms per 1,000)", published / pub_secs, "events/s",
                  throughput=True, notes=f"{published:,} to activities.events while indicators was stopped"),
            b.e2e_row("catch-up indicators", started, published, wait, unit="events/s", target=TARGETS["catchup"])]


# ---------------------------------------------------------------- 6. rebuild


REBUILD = ("indicators", "rebuild")


def _top_up(b: Bench, want: int) -> str:
    """Report batches until ``want`` activities are stored, and wait until they are counted (the
    rebuild should start on an idle pipeline)."""
    missing = want - b.stored
    if missing <= 0:
        return ""
    batches = math.ceil(missing / BATCH_ROWS)
    tag = f"{b.tag}-topup"
    b.say(f"rebuild: topping up {batches} batches to {want:,} stored activities …")
    calls, wait, _ = _report_and_count(b, [batch_request(tag, k * BATCH_ROWS, BATCH_ROWS) for k in range(batches)], 4)
    note = f"topped up {calls.created:,} in {calls.seconds:.0f}s"
    return note if wait.reached else note + f" (not all counted: {wait.why})"


def rebuild(b: Bench) -> list[Result]:
    """`kepu indicators rebuild` over ~100k stored activities (fewer with --quick)."""
    topped = _top_up(b, b.n(100_000))
    before = b.counter.read()
    b.say(f"rebuild: `kepu {' '.join(REBUILD)}` over {b.stored:,} stored activities …")
    started = time.perf_counter()
    done = kepu(b.system, *REBUILD, timeout=1900)  # beyond the command's own 1800 s default
    seconds = time.perf_counter() - started
    after = b.counter.read()
    notes = [f"{b.stored:,} stored activities (+{b.published:,} events published directly)",
             f"/metrics {before or 0:,.0f} → {after or 0:,.0f}"]
    if topped:
        notes.append(topped)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        notes.insert(0, f"FAILED (exit {done.returncode}): {tail[0][:200]}")
    if after is not None:
        b.expected = after  # what a rebuild counts is its own business; later waits start here
    row = b.row(f"rebuild ({' '.join(REBUILD)})", seconds, "s", notes="; ".join(notes),
                extra={"stored": b.stored, "exit": done.returncode})
    per_100k = seconds * 100_000 / b.stored if b.stored else None
    return [row.judge(TARGETS["rebuild"], per_100k) if done.returncode == 0 else row]


# ---------------------------------------------------------------- 7. memory


def memory(b: Bench) -> list[Result]:
    """Peak resident memory (VmHWM) of every process of the system, at the end of the run."""
    rows = []
    for pid, role in system_processes(b.system.var_dir):
        peak = peak_memory_mib(pid)
        rows.append(b.row(f"memory {role}", peak, "MiB", notes=f"VmHWM of pid {pid}").judge(TARGETS["memory"]))
    if not rows:
        raise RuntimeError("no process of the system found under /proc")
    return rows


CASES: dict[str, Callable[[Bench], list[Result]]] = {
    "baseline": baseline,
    "single": intake_single,
    "batch": intake_batch,
    "latency": latency,
    "catchup": catch_up,
    "rebuild": rebuild,
    "memory": memory,
}
