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
    same system run, so numbers from different machines can be compared by their ratios."""

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


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 100 or digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def render(results: list[Result], title: str) -> Table:
    """The table every run prints: one row per measured line."""
    table = Table(title=title, show_lines=False)
    for name, justify in (("case", "left"), ("db", "left"), ("value", "right"), ("unit", "left"),
                          ("× baseline", "right"), ("p50 ms", "right"), ("p99 ms", "right"),
                          ("target", "left"), ("met", "center"), ("notes", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for r in results:
        met = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}[r.met]
        table.add_row(r.case, r.db, _num(r.value, 1), r.unit, "" if r.ratio is None else f"{r.ratio:.2f}×",
                      _num(r.p50_ms, 1), _num(r.p99_ms, 1), r.target, met, r.notes)
    return table


def print_table(results: list[Result], title: str, console: Console | None = None) -> None:
    (console or Console()).print(render(results, title))


def write_json(path: Path, meta: dict, results: list[Result]) -> None:
    """The run's rows with what produced them (arguments, commit, machine), for later comparison."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, ensure_ascii=False,
                               indent=2) + "\n", encoding="utf-8")
