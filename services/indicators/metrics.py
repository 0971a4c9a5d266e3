"""Prometheus metrics of the indicators service: what the dashboards read, one series per
indicator window and scope (scopes: the region, departments, registered towns; bounded by the
plan and the registry, never by activities).

- ``kepu_indicator_actual`` / ``_expected`` / ``_target`` / ``_projected``: the figures;
- ``kepu_indicator_status_code``: the status as a number a panel can colour (``STATUS_CODES``);
- ``kepu_indicator_status{status}``: 1 for the current status (for alerting rules and counts);
- ``kepu_indicator_elapsed_ratio`` / ``_days_left``: where the window stands, by the service's
  clock (a frozen clock in demos), so that Prometheus' own time never skews a projection.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from prometheus_client import Gauge

from libs.common.events import INDICATOR_STATUSES
from libs.common.plan.atlas import Atlas
from libs.common.plan.schema import Indicator
from services.indicators.domain.progress import elapsed_share
from services.indicators.domain.windows import Window, plan_of_window, window_index
from services.indicators.models import WindowState

WINDOW_SCOPE = ["region", "indicator", "window", "scope"]
WINDOW = ["region", "indicator", "window"]
ACTUAL = Gauge("kepu_indicator_actual", "Counted value of an indicator window (latest observation for stock).",
               WINDOW_SCOPE)
EXPECTED = Gauge("kepu_indicator_expected", "Value expected by now at the plan's pace (region scope).", WINDOW_SCOPE)
TARGET = Gauge("kepu_indicator_target", "Target of an indicator window.", WINDOW)
PROJECTED = Gauge("kepu_indicator_projected", "Value at the window's end if it goes on at the rate so far "
                  "(region scope; a stock: its latest level).", WINDOW_SCOPE)
STATUS = Gauge("kepu_indicator_status", "1 for the window's current status, 0 for the others.",
               [*WINDOW_SCOPE, "status"])
STATUS_CODE = Gauge("kepu_indicator_status_code", "The window's status as a number for colouring: 0 not started "
                    "or no data, 1 achieved, 2 on track, 3 at risk, 4 lagging, 5 missed (region scope).", WINDOW_SCOPE)
ELAPSED = Gauge("kepu_indicator_elapsed_ratio", "Share of the window elapsed at the plan's pace (0..1), by the "
                "service's clock.", WINDOW)
DAYS_LEFT = Gauge("kepu_indicator_days_left", "Days until the window ends, by the service's clock (0 once ended).",
                  WINDOW)

STATUS_CODES = {"not_started": 0, "no_data": 0, "achieved": 1, "on_track": 2, "at_risk": 3, "lagging": 4,
                "missed": 5}


def projected(indicator: Indicator, actual: float, share: float) -> float:
    """The window's end value at the rate so far: a sum grows in proportion to the elapsed share
    (the plan's pace, weights included); a stock stays at its latest level."""
    if indicator.kind == "stock" or share >= 1.0:
        return actual
    return actual / share if share > 0 else 0.0


def publish_state(region: str, state: WindowState, indicator: Indicator, window: Window | None,
                  as_of: dt.date) -> None:
    labels = (region, state.indicator, state.window, state.scope)
    ACTUAL.labels(*labels).set(state.actual)
    if indicator.target is not None:
        TARGET.labels(region, state.indicator, state.window).set(indicator.target)
    if not state.status or state.status == "tracking":
        return  # breakdowns and tracking indicators: counted, not judged
    EXPECTED.labels(*labels).set(state.expected)
    STATUS_CODE.labels(*labels).set(STATUS_CODES.get(state.status, 0))
    for status in INDICATOR_STATUSES:
        STATUS.labels(*labels, status).set(1.0 if status == state.status else 0.0)
    if window is not None:
        share = elapsed_share(indicator, window, as_of)
        PROJECTED.labels(*labels).set(projected(indicator, state.actual, share))
        ELAPSED.labels(region, state.indicator, state.window).set(share)
        DAYS_LEFT.labels(region, state.indicator, state.window).set(max((window.end - as_of).days - 1, 0))


def publish_states(atlas: Atlas, states: Iterable[WindowState], as_of: dt.date, regions: Mapping[str, str]) -> None:
    """Set the gauges of these windows (``regions``: each scope's region); windows of indicators no
    longer in their plan, or of a scope whose region is unknown, are skipped."""
    for state in states:
        region = regions.get(state.scope)
        plan = plan_of_window(atlas, region, state.window) if region else None
        try:
            indicator = plan.indicator(state.indicator) if plan is not None else None
        except KeyError:
            indicator = None
        if indicator is not None:
            publish_state(region, state, indicator, window_index(plan).get((state.indicator, state.window)), as_of)


# reference data for joins in dashboards (bounded by the plan): names, kinds, units, who answers
INFO = Gauge("kepu_indicator_info", "1 per indicator of each region's plans begun (as the latest names it), with "
             "its name, kind and unit as labels.", ["region", "indicator", "name", "kind", "unit", "tracking"])
RESPONSIBLE = Gauge("kepu_indicator_responsible", "1 per indicator and organisation responsible for it.",
                    ["region", "indicator", "org"])
PLAN = Gauge("kepu_plan_info", "1 per plan followed, with its region and period (2 for the plan in force).",
             ["region", "region_name", "parent", "level", "plan", "start", "end"])


def publish_plan(atlas: Atlas, today: dt.date) -> None:
    """Every region's indicators as info series (the whole set: reloaded plans replace it), and every
    plan of every region, so the dashboards offer the regions and the years of all plans. An
    indicator of several plans of a region is described once, as the latest plan begun by today
    says (an ended plan's indicator keeps its name while its windows are read)."""
    INFO.clear()
    RESPONSIBLE.clear()
    PLAN.clear()
    for code, held in atlas.regions.items():
        current = atlas.current(code, today)
        region = held.region
        described: dict[str, Indicator] = {}
        for plan in held.plans:
            PLAN.labels(code, region.name, region.parent or "", region.level, plan.meta.code,
                        str(plan.meta.period.start), str(plan.meta.period.end)).set(2 if plan is current else 1)
            if plan.meta.period.start <= current.meta.period.start:
                described |= {i.code: i for i in plan.all_indicators()}
        for indicator in described.values():
            INFO.labels(code, indicator.code, indicator.name, indicator.kind, indicator.unit,
                        "true" if indicator.tracking else "false").set(1)
            for org in indicator.responsible:
                RESPONSIBLE.labels(code, indicator.code, org).set(1)
