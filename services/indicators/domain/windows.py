"""Reporting windows of an indicator: each year, each quarter, or the whole period."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from libs.common.plan.atlas import Atlas
from libs.common.plan.schema import Indicator, Period, Plan


@dataclass(frozen=True)
class Window:
    key: str  # "2024", "2024Q3", "2021-2025"
    start: dt.date  # first day
    end: dt.date  # first day after the window

    def contains(self, day: dt.date) -> bool:
        return self.start <= day < self.end


def _year(y: int) -> Window:
    return Window(str(y), dt.date(y, 1, 1), dt.date(y + 1, 1, 1))


def _quarter(y: int, q: int) -> Window:
    start = dt.date(y, 3 * q - 2, 1)
    end = dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 3 * q + 1, 1)
    return Window(f"{y}Q{q}", start, end)


def windows(indicator: Indicator, period: Period) -> list[Window]:
    first = indicator.first_year or period.start
    last = indicator.last_year or period.end
    if indicator.kind == "yearly":
        return [_year(y) for y in range(first, last + 1)]
    if indicator.kind == "quarterly":
        return [_quarter(y, q) for y in range(first, last + 1) for q in range(1, 5)]
    return [Window(f"{first}-{last}", dt.date(first, 1, 1), dt.date(last + 1, 1, 1))]


def window_for(indicator: Indicator, period: Period, day: dt.date) -> Window | None:
    return next((w for w in windows(indicator, period) if w.contains(day)), None)


def window_by_key(indicator: Indicator, period: Period, key: str) -> Window | None:
    """The window with this key, or None (a stored window the plan no longer has)."""
    return next((w for w in windows(indicator, period) if w.key == key), None)


def plan_of_window(atlas: Atlas, region: str, key: str) -> Plan | None:
    """The region's plan a window belongs to: the one whose period holds the window's first year
    ("2024", "2024Q3", "2021-2025" all start with it)."""
    try:
        year = int(key[:4])
    except ValueError:
        return None
    return atlas.plan_of_year(region, year) if region in atlas.regions else None


def windows_of_year(indicator: Indicator, period: Period, year: int) -> list[str]:
    """The indicator's windows that overlap ``year``: the year, its quarters, or the period."""
    first, after = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return [w.key for w in windows(indicator, period) if w.start < after and w.end > first]


def year_window_keys(plan: Plan, year: int) -> set[str]:
    """Every window key of any indicator that overlaps ``year`` (to read only those states)."""
    return {key for indicator in plan.all_indicators() for key in windows_of_year(indicator, plan.meta.period, year)}


_INDEXES: dict[int, tuple[object, dict]] = {}


def window_index(plan: Plan) -> dict[tuple[str, str], Window]:
    """Every window of every indicator of a loaded plan by (indicator, key), built once per plan
    object (the gauges look windows up on every batch)."""
    held = _INDEXES.get(id(plan))
    if held is None or held[0] is not plan:
        index = {(i.code, w.key): w for i in plan.all_indicators() for w in windows(i, plan.meta.period)}
        if len(_INDEXES) >= 512:  # a province's plans fit; reloads make new objects: start again
            _INDEXES.clear()
        held = _INDEXES[id(plan)] = (plan, index)
    return held[1]
