"""What the indicators service answers when asked for progress: window states joined with the
plan's names, targets and responsible units, grouped as readers want them."""
from __future__ import annotations

import datetime as dt

from libs.common.plan.schema import Indicator, Plan
from services.indicators.models import WindowState
from services.indicators.windows import windows


def window_row(indicator: Indicator, s: WindowState) -> dict:
    return {
        "indicator": s.indicator, "name": indicator.name, "kind": indicator.kind, "window": s.window,
        "scope": s.scope, "actual": s.actual, "expected": s.expected, "target": indicator.target,
        "unit": indicator.unit, "status": s.status, "as_of": s.as_of.isoformat() if s.as_of else None,
        "responsible": list(indicator.responsible),
    }


def window_rows(plan: Plan, states: list[WindowState]) -> list[dict]:
    """One row per state; states of indicators no longer in the plan are left out."""
    out = []
    for s in states:
        try:
            out.append(window_row(plan.indicator(s.indicator), s))
        except KeyError:
            continue
    return out


def windows_of_year(indicator: Indicator, plan: Plan, year: int) -> list[str]:
    """The indicator's windows that overlap ``year``: the year, its quarters, or the period."""
    first, after = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return [w.key for w in windows(indicator, plan.meta.period) if w.start < after and w.end > first]


def year_window_keys(plan: Plan, year: int) -> set[str]:
    """Every window key of any indicator that overlaps ``year`` (to read only those states)."""
    return {key for indicator in plan.all_indicators() for key in windows_of_year(indicator, plan, year)}


def year_progress(plan: Plan, states: list[WindowState], year: int, targets_only: bool = False) -> list[dict]:
    """Per indicator window of the year: the region's state (``total``) and the breakdowns."""
    by_key: dict[tuple[str, str], list[WindowState]] = {}
    for s in states:
        by_key.setdefault((s.indicator, s.window), []).append(s)
    region = plan.meta.region.code
    out = []
    for indicator in plan.all_indicators():
        if targets_only and indicator.tracking:
            continue
        for window in windows_of_year(indicator, plan, year):
            found = by_key.get((indicator.code, window), [])
            total = next((window_row(indicator, s) for s in found if s.scope == region), None)
            out.append({
                "indicator": indicator.code, "name": indicator.name, "kind": indicator.kind, "window": window,
                "unit": indicator.unit, "target": indicator.target, "responsible": list(indicator.responsible),
                "total": total,
                "by_org": [window_row(indicator, s) for s in found if s.scope.startswith("org:")],
                "by_town": [window_row(indicator, s) for s in found if s.scope.startswith("town:")],
            })
    return out
