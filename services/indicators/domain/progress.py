"""Pace and status of an indicator window (pure functions; the clock is an argument).

expected(t) = N × p(t), with p the share of the window elapsed (linear, or by monthly
weights, or reaching 1 at a due date). Stock indicators pace from a baseline to N.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from libs.common.plan.schema import Indicator
from services.indicators.domain.windows import Window


@dataclass(frozen=True)
class Evaluation:
    status: str
    actual: float
    expected: float
    target: float | None
    slack: float


def elapsed_share(indicator: Indicator, window: Window, as_of: dt.date) -> float:
    """p(t): 0 before the window, 1 from its end (or from the due date), in between by pace."""
    pace = indicator.pace
    # as_of counts as a whole day done: on the window's last day the share is 1.
    day_after = as_of + dt.timedelta(days=1)
    end = min(window.end, pace.due + dt.timedelta(days=1)) if pace.due and pace.due < window.end else window.end
    if day_after <= window.start:
        return 0.0
    if day_after >= end:
        return 1.0
    if pace.monthly_weights:
        return _weighted_share(pace.monthly_weights, window.start, end, day_after)
    return (day_after - window.start).days / (end - window.start).days


def _weighted_share(weights: list[float], start: dt.date, end: dt.date, day_after: dt.date) -> float:
    """Share of the calendar-month weights between start and end that has passed by day_after."""

    def mass(until: dt.date) -> float:
        total, cursor = 0.0, start
        while cursor < until:
            days_in_month = calendar.monthrange(cursor.year, cursor.month)[1]
            month_end = dt.date(cursor.year, cursor.month, days_in_month) + dt.timedelta(days=1)
            stop = min(month_end, until)
            total += weights[cursor.month - 1] * (stop - cursor).days / days_in_month
            cursor = stop
        return total

    whole = mass(end)
    return mass(day_after) / whole if whole else 1.0


def met(indicator: Indicator, actual: float) -> bool:
    assert indicator.target is not None
    return actual > indicator.target if indicator.comparison == "more_than" else actual >= indicator.target


def evaluate(indicator: Indicator, window: Window, observed: float | None, as_of: dt.date) -> Evaluation:
    """Status of one window as of a date: achieved, on_track, at_risk, lagging or missed.

    ``observed`` None means no observation of a stock indicator yet: its value is then its
    baseline, and without a baseline there is nothing to judge until the window closes (no_data).
    """
    target = indicator.target
    baseline = (indicator.pace.baseline or 0.0) if indicator.kind == "stock" else 0.0
    no_data = observed is None and indicator.kind == "stock" and indicator.pace.baseline is None
    actual = (baseline if indicator.kind == "stock" else 0.0) if observed is None else observed
    if target is None:
        return Evaluation("tracking", actual, 0.0, None, 0.0)
    share = elapsed_share(indicator, window, as_of)
    expected = baseline + (target - baseline) * share
    slack = max(1.0, indicator.pace.tolerance * target)
    if as_of < window.start:
        status = "not_started"
    elif no_data and as_of < window.end:
        status = "no_data"
    elif met(indicator, actual):
        status = "achieved"
    elif as_of >= window.end:
        status = "missed"
    elif actual >= expected:
        status = "on_track"
    elif expected - actual >= slack and as_of >= window.start + dt.timedelta(days=indicator.pace.grace_days):
        status = "lagging"
    else:
        status = "at_risk"
    return Evaluation(status, actual, round(expected, 4), target, slack)
