"""Applies activity events and the clock to indicator windows, inside one transaction.

Plain functions over a SQLAlchemy session: the service commits what they stage (window
states, the processed-event mark and outgoing status-change events) as one unit of work.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from libs.common.events import FIRING_STATUSES, ActivityRecorded, IndicatorStatusChanged
from libs.common.plan.schema import Indicator, Plan
from libs.common.processed import mark_processed
from services.indicators import counting, progress
from services.indicators.models import ActivityRevision, ContributionRow, ProcessedEvent, WindowState
from services.indicators.windows import Window, windows

Key = tuple[str, str, str]  # indicator, window, scope


def apply_activity(session: Session, plan: Plan, event_id: str, activity: ActivityRecorded,
                   as_of: dt.date) -> tuple[list[IndicatorStatusChanged], set[Key]]:
    """Replace the activity's contributions by its new revision; re-evaluate what it touched."""
    mark_processed(session, ProcessedEvent, event_id)
    seen = session.get(ActivityRevision, activity.activity_id)
    if seen is not None and seen.revision >= activity.revision:
        return [], set()  # an older or equal revision arriving late changes nothing
    old = session.execute(
        select(ContributionRow.indicator, ContributionRow.window, ContributionRow.scope)
        .where(ContributionRow.activity_id == activity.activity_id)
    ).all()
    session.execute(delete(ContributionRow).where(ContributionRow.activity_id == activity.activity_id))
    new = counting.contributions(plan, activity)
    for c in new:
        session.add(ContributionRow(activity_id=activity.activity_id, indicator=c.indicator, window=c.window,
                                    scope=c.scope, value=c.value, observed_on=activity.start_date,
                                    revision=activity.revision))
    if seen is None:
        session.add(ActivityRevision(activity_id=activity.activity_id, revision=activity.revision))
    else:
        seen.revision = activity.revision
    session.flush()
    touched = {tuple(row) for row in old} | {(c.indicator, c.window, c.scope) for c in new}
    changes = [ch for key in sorted(touched) if (ch := refresh(session, plan, key, as_of))]
    return changes, touched


def current_value(session: Session, indicator: Indicator, window: str, scope: str) -> float | None:
    """Sum of contributions; for stock indicators the latest observation (None: nothing observed).

    A stock aggregated ``sum_per_reporter`` (e.g. volunteers registered with several bodies)
    adds up each reporting organisation's latest observation.
    """
    where = (ContributionRow.indicator == indicator.code, ContributionRow.window == window)
    newest_first = (ContributionRow.observed_on.desc(), ContributionRow.revision.desc())
    if indicator.kind != "stock":
        return float(session.scalar(select(func.coalesce(func.sum(ContributionRow.value), 0.0))
                                    .where(*where, ContributionRow.scope == scope)))
    if indicator.stock_aggregation == "sum_per_reporter" and not scope.startswith("org:"):
        # the reporter of a contribution is the org scope row of the same activity
        reporter = aliased(ContributionRow)
        rows = session.execute(
            select(reporter.scope, ContributionRow.value)
            .join(reporter, (reporter.activity_id == ContributionRow.activity_id)
                  & (reporter.indicator == ContributionRow.indicator) & (reporter.window == ContributionRow.window)
                  & reporter.scope.startswith("org:"))
            .where(*where, ContributionRow.scope == scope).order_by(*newest_first)
        ).all()
        latest: dict[str, float] = {}
        for reporter_scope, value in rows:
            latest.setdefault(reporter_scope, value)
        return float(sum(latest.values())) if latest else None
    latest_value = session.execute(
        select(ContributionRow.value).where(*where, ContributionRow.scope == scope).order_by(*newest_first).limit(1)
    ).scalar()
    return None if latest_value is None else float(latest_value)


def refresh(session: Session, plan: Plan, key: Key, as_of: dt.date) -> IndicatorStatusChanged | None:
    """Recompute one window state; return a status-change event if its status moved."""
    code, window_key, scope = key
    try:
        indicator = plan.indicator(code)
    except KeyError:
        return None  # the indicator left the plan; its contributions stay for the record
    window = next((w for w in windows(indicator, plan.plan.period) if w.key == window_key), None)
    if window is None:
        return None
    return _store(session, plan, indicator, window, scope, current_value(session, indicator, window_key, scope), as_of)


def _store(session: Session, plan: Plan, indicator: Indicator, window: Window, scope: str,
           observed: float | None, as_of: dt.date) -> IndicatorStatusChanged | None:
    """Save a window's value and status; an event when the status moves, or when the figures
    of a lagging or missed window move (so its alert shows current numbers)."""
    state = session.get(WindowState, (indicator.code, window.key, scope))
    if state is None:
        state = WindowState(indicator=indicator.code, window=window.key, scope=scope, status=None, actual=0.0)
        session.add(state)
    previous, previous_actual = state.status, state.actual
    if scope != plan.plan.region.code:
        state.actual = observed or 0.0
        state.status, state.as_of = "tracking", as_of  # breakdowns are counted, not judged
        return None
    ev = progress.evaluate(indicator, window, observed, as_of)
    state.actual, state.status, state.expected, state.as_of = ev.actual, ev.status, ev.expected, as_of
    moved = previous != ev.status and not (previous is None and ev.status in QUIET_START)
    figures_moved = ev.status in FIRING_STATUSES and ev.actual != previous_actual and previous == ev.status
    if ev.status == "tracking" or not (moved or figures_moved):
        return None
    return IndicatorStatusChanged(
        indicator=indicator.code, indicator_name=indicator.name, window=window.key, scope=scope,
        previous=previous, status=ev.status, actual=ev.actual, expected=ev.expected,
        target=indicator.target or 0.0, unit=indicator.unit, as_of=as_of, responsible=list(indicator.responsible),
    )


QUIET_START = frozenset({"not_started", "no_data"})  # a window's first status worth no event


def evaluate_all(session: Session, plan: Plan, as_of: dt.date) -> tuple[list[IndicatorStatusChanged], set[Key]]:
    """Re-evaluate every window of every target in the region scope (lag grows with time).

    Windows that have not started are only touched if they hold a status from a later date
    (a frozen clock moved back), so that it and its alert are reset.
    """
    region = plan.plan.region.code
    changes, touched = [], set()
    for indicator in plan.all_indicators():
        if indicator.tracking:
            continue
        for window in windows(indicator, plan.plan.period):
            key = (indicator.code, window.key, region)
            if window.start > as_of and session.get(WindowState, key) is None:
                continue
            touched.add(key)
            value = current_value(session, indicator, window.key, region)
            if change := _store(session, plan, indicator, window, region, value, as_of):
                changes.append(change)
    return changes, touched


def states(session: Session, indicator: str | None = None, scope: str | None = None,
           window_keys: Collection[str] | None = None) -> list[WindowState]:
    query = select(WindowState).order_by(WindowState.indicator, WindowState.window, WindowState.scope)
    if indicator:
        query = query.where(WindowState.indicator == indicator)
    if window_keys is not None:
        query = query.where(WindowState.window.in_(list(window_keys)))
    if scope:
        query = query.where(WindowState.scope == scope)
    return list(session.scalars(query))
