"""Prometheus metrics of the indicators service: one series per indicator window and scope."""
from __future__ import annotations

from prometheus_client import Gauge

from libs.common.events import INDICATOR_STATUSES
from services.indicators.models import WindowState

ACTUAL = Gauge("kepu_indicator_actual", "Counted value of an indicator window (latest observation for stock).",
               ["indicator", "window", "scope"])
EXPECTED = Gauge("kepu_indicator_expected", "Value expected by now at the plan's pace (region scope).",
                 ["indicator", "window", "scope"])
TARGET = Gauge("kepu_indicator_target", "Target of an indicator window.", ["indicator", "window"])
STATUS = Gauge("kepu_indicator_status", "1 for the window's current status, 0 for the others.",
               ["indicator", "window", "scope", "status"])


def publish_state(state: WindowState, target: float | None) -> None:
    labels = (state.indicator, state.window, state.scope)
    ACTUAL.labels(*labels).set(state.actual)
    if state.status and state.status != "tracking":
        EXPECTED.labels(*labels).set(state.expected)
        for status in INDICATOR_STATUSES:
            STATUS.labels(*labels, status).set(1.0 if status == state.status else 0.0)
    if target is not None:
        TARGET.labels(state.indicator, state.window).set(target)
