"""What a stored window's status becomes on new figures or a new date, and when that is worth
a status-change event (pure: the date is an argument, the stored figures come in as values).

Breakdowns (an organisation's or a town's scope) are counted, not judged; the region's
windows are judged by ``progress.evaluate``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from libs.common.events import FIRING_STATUSES, ActivityRecorded, IndicatorStatusChanged
from libs.common.plan.atlas import Atlas
from libs.common.plan.schema import Indicator, Plan
from services.indicators.domain import progress
from services.indicators.domain.counting import WindowKey, contributions
from services.indicators.domain.windows import Window, windows

QUIET_START = frozenset({"not_started", "no_data"})  # a window's first status worth no event
BREAKDOWN = "tracking"  # the status a breakdown holds


class Held(NamedTuple):
    """What a window held before this judgement (status None: never judged)."""

    status: str | None
    actual: float
    sequence: int


@dataclass(frozen=True)
class Judgement:
    """A window's figures after a judgement, and the event it is worth (None: none)."""

    actual: float
    status: str
    expected: float | None  # None: a breakdown, whose stored figure is left as it is
    sequence: int  # status-change events sent for this window, this one included
    change: IndicatorStatusChanged | None


def judge(plan: Plan, indicator: Indicator, window: Window, scope: str, held: Held, observed: float | None,
          as_of: dt.date) -> Judgement:
    """A window's new figures and status; an event when the status moves, or when the figures of
    a lagging or missed window move (so its alert shows current numbers)."""
    if scope != plan.meta.region.code:
        return Judgement(observed or 0.0, BREAKDOWN, None, held.sequence, None)
    ev = progress.evaluate(indicator, window, observed, as_of)
    moved = held.status != ev.status and not (held.status is None and ev.status in QUIET_START)
    figures_moved = ev.status in FIRING_STATUSES and ev.actual != held.actual and held.status == ev.status
    if ev.status == "tracking" or not (moved or figures_moved):
        return Judgement(ev.actual, ev.status, ev.expected, held.sequence, None)
    sequence = held.sequence + 1
    change = IndicatorStatusChanged(
        indicator=indicator.code, indicator_name=indicator.name, window=window.key, scope=scope,
        previous=held.status, status=ev.status, actual=ev.actual, expected=ev.expected,
        target=indicator.target or 0.0, unit=indicator.unit, as_of=as_of, responsible=list(indicator.responsible),
        sequence=sequence, kind=indicator.kind, region=scope,
    )
    return Judgement(ev.actual, ev.status, ev.expected, sequence, change)


def judged_on_the_clock(atlas: Atlas, as_of: dt.date) -> dict[WindowKey, bool]:
    """Every window of every target of every plan, in its region's scope (lag grows with time),
    and whether it has started by ``as_of``. An ended plan's windows are judged too: they hold
    their final status, so judging them again sends nothing."""
    return {(i.code, w.key, region): w.start <= as_of
            for region in atlas.regions for plan in atlas.plans_of(region)
            for i in plan.all_indicators() if not i.tracking for w in windows(i, plan.meta.period)}


def due_on_the_clock(started: Mapping[WindowKey, bool], stored: Collection[WindowKey]) -> set[WindowKey]:
    """The windows the clock re-judges: those started, and those not started that hold a state
    (a frozen clock moved back), so that their status and alert are reset."""
    return {key for key, has_started in started.items() if has_started or key in stored}


def held_on(atlas: Atlas, revisions: Iterable[ActivityRecorded], as_of: dt.date) -> set[WindowKey]:
    """The windows that hold a state once ``revisions`` were counted and the clock judged on
    ``as_of``: each window a revision contributed to (one whose activity was later corrected
    away or retracted too: it stays, at its new figure), and each target's window started by then."""
    counted = {c.key for revision in revisions for c in contributions(atlas, revision)}
    return counted | due_on_the_clock(judged_on_the_clock(atlas, as_of), ())
