"""Result rows of the pipeline benchmark: what was measured, against which target, and how it is
shown (a rich table) and kept (JSON under ``var/bench/``).

Targets come from the performance issue. They are informational: a missed target is printed as
"no", it never makes the run fail (speed is measured here, never asserted).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table


@dataclass
class Target:
    """A goal such as "≥ 2,000/s": ``at_least`` or ``at_most`` ``bound``, in the row's unit."""

    text: str
    bound: float
    at_least: bool

    def met(self, value: float | None) -> bool | None:
        if value is None or math.isnan(value):
            return None
        return value >= self.bound if self.at_least else value <= self.bound


@dataclass
class Result:
    """One row of the table. ``throughput`` rows get a ratio to the baseline consume rate of the
    same system run, so numbers from different machines can be compared by their ratios. Rows of
    a system on a cluster (``--broker-nodes``) also get ``ratio_one_node``: their value as a
    multiple of the same case's on the one-node classic system of the same bench run."""

    case: str
    db: str
    value: float | None
    unit: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    notes: str = ""
    throughput: bool = False
    target: str = ""
    met: bool | None = None
    ratio: float | None = None
    broker: str = ""  # which broker the system ran on, e.g. "1 node classic", "3 nodes quorum"
    ratio_one_node: float | None = None
    extra: dict = field(default_factory=dict)

    def judge(self, target: Target, value: float | None = None) -> "Result":
        """Record ``target`` and whether it is met (by ``value``, or by this row's value)."""
        self.target = target.text
        self.met = target.met(self.value if value is None else value)
        return self


def percentile(samples: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by nearest rank; None for no samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]


def latency_ms(samples: Sequence[float]) -> tuple[float | None, float | None]:
    """(p50, p99) in milliseconds of samples in seconds."""
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    return (None if p50 is None else p50 * 1000, None if p99 is None else p99 * 1000)


def apply_ratios(results: list[Result], baseline_rate: float | None) -> None:
    """Each throughput row as a multiple of the baseline consume rate."""
    for r in results:
        if r.throughput and r.value is not None and baseline_rate:
            r.ratio = r.value / baseline_rate


def apply_one_node_ratios(results: list[Result], one_node: list[Result]) -> None:
    """Each row's value as a multiple of the row of the same case and database in ``one_node``
    (the one-node classic system's rows of the same bench run); rows without one keep None."""
    reference = {(r.case, r.db): r.value for r in one_node if r.value}
    for r in results:
        value = reference.get((r.case, r.db))
        if r.value is not None and value:
            r.ratio_one_node = r.value / value


def side_by_side(one_node: list[Result], cluster: list[Result]) -> list[Result]:
    """The rows of both systems for one table: each one-node row followed by the cluster's rows of
    the same case and database; cluster rows without a counterpart at the end."""
    paired: list[Result] = []
    placed: set[tuple[str, str]] = set()
    for r in one_node:
        key = (r.case, r.db)
        paired.append(r)
        if key not in placed:  # a case listed twice on one node gets the cluster's rows once
            paired += [c for c in cluster if (c.case, c.db) == key]
            placed.add(key)
    return paired + [c for c in cluster if (c.case, c.db) not in placed]


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 100 or digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def render(results: list[Result], title: str) -> Table:
    """The table every run prints: one row per measured line. The broker and the ratio to the
    one-node system show only when the rows come from more than one broker (``--broker-nodes``)."""
    brokers = len({r.broker for r in results}) > 1
    columns = [("case", "left"), ("db", "left"), ("broker", "left"), ("value", "right"), ("unit", "left"),
               ("× baseline", "right"), ("× 1 node classic", "right"), ("p50 ms", "right"), ("p99 ms", "right"),
               ("target", "left"), ("met", "center"), ("notes", "left")]
    shown = [c for c in columns if brokers or c[0] not in ("broker", "× 1 node classic")]
    table = Table(title=title, show_lines=False)
    for name, justify in shown:
        table.add_column(name, justify=justify, overflow="fold")
    for r in results:
        met = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[r.met]
        cells = {"case": r.case, "db": r.db, "broker": r.broker, "value": _num(r.value, 1), "unit": r.unit,
                 "× baseline": _times(r.ratio), "× 1 node classic": _times(r.ratio_one_node),
                 "p50 ms": _num(r.p50_ms, 1), "p99 ms": _num(r.p99_ms, 1), "target": r.target, "met": met,
                 "notes": r.notes}
        table.add_row(*(cells[name] for name, _ in shown))
    return table


def _times(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}×"


def print_table(results: list[Result], title: str, console: Console | None = None) -> None:
    (console or Console()).print(render(results, title))


def write_json(path: Path, meta: dict, results: list[Result]) -> None:
    """The run's rows with what produced them (arguments, commit, machine), for later comparison."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, ensure_ascii=False,
                               indent=2) + "\n", encoding="utf-8")
