"""Applies activity events and the clock to indicator windows, inside one transaction.

Plain functions over a SQLAlchemy session: the service commits what they stage (window
states, the processed-event mark and outgoing status-change events) as one unit of work.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session, aliased

from libs.common.db import chunks
from libs.common.events import FIRING_STATUSES, ActivityRecorded, IndicatorStatusChanged
from libs.common.plan.schema import Indicator, Plan
from libs.common.processed import mark_new
from services.indicators import counting, progress
from services.indicators.models import (
    ActivityRevision,
    ContributionRow,
    ProcessedEvent,
    RebuildContribution,
    RebuildRevision,
    WindowState,
)
from services.indicators.windows import Window, windows

Key = tuple[str, str, str]  # indicator, window, scope


class Refreshed(NamedTuple):
    """What re-evaluating windows produced: status-change events, and the states it wrote."""

    changes: list[IndicatorStatusChanged]
    states: list[WindowState]


@dataclass(frozen=True)
class Store:
    """Where contributions and applied revisions live: the live tables or a rebuild's."""

    contributions: type
    revisions: type


LIVE = Store(ContributionRow, ActivityRevision)
REBUILD = Store(RebuildContribution, RebuildRevision)


def refusal(plan: Plan, events: Sequence[tuple[str, Sequence[ActivityRecorded]]]) -> str | None:
    """Why an event may not be counted (an amount the plan's bounds refuse), or None. The
    activities service refuses such reports; this catches an event forged or sent before the bounds."""
    for event_id, activities in events:
        for a in activities:
            if problems := plan.quantity_problems(a.quantities):
                return (f"event {event_id}: activity {a.activity_id} of {a.org} ({a.activity_type}): "
                        + "; ".join(f"{field}: {message}" for field, message in problems))
    return None


def apply_batch(session: Session, plan: Plan, events: Sequence[tuple[str, Sequence[ActivityRecorded]]],
                as_of: dt.date, also_into: Store | None = None) -> Refreshed:
    """Apply many activity events in set-based statements; re-evaluate the windows they touched.

    ``events``: each event's id with the activities it carries. Events already processed
    (redelivered) are skipped, the rest marked. ``also_into``: a
    rebuild's store gets the same activities, so it misses nothing that arrives while it fills.
    """
    latest = list(_unprocessed_latest(session, events).values())
    if also_into is not None:
        replace_contributions(session, also_into, plan, latest)
    deltas = replace_contributions(session, LIVE, plan, latest)
    return refresh_many(session, plan, deltas.keys(), as_of, deltas)


def replace_contributions(session: Session, store: Store, plan: Plan, activities: Sequence[ActivityRecorded]
                          ) -> dict[Key, float]:
    """Each activity's contributions are replaced by those of its revision, if that is newer than
    the one applied before (an older or equal revision arriving late changes nothing). Returns
    by how much the sum of each touched window moved. (One revision per activity: see
    ``_unprocessed_latest``.)"""
    if not activities:
        return {}
    contributions, revisions = store.contributions, store.revisions
    applied: dict[str, int] = {}
    for chunk in chunks([a.activity_id for a in activities], 500):
        applied |= dict(session.execute(select(revisions.activity_id, revisions.revision)
                                        .where(revisions.activity_id.in_(chunk))).all())
    newer = [a for a in activities if applied.get(a.activity_id, 0) < a.revision]
    if not newer:
        return {}
    deltas: dict[Key, float] = defaultdict(float)
    for chunk in chunks([a.activity_id for a in newer], 500):  # what the old revisions added goes
        for indicator, window, scope, value in session.execute(
                delete(contributions).where(contributions.activity_id.in_(chunk))
                .returning(contributions.indicator, contributions.window, contributions.scope, contributions.value)
                .execution_options(synchronize_session=False)):
            deltas[(indicator, window, scope)] -= value
    rows = [{"activity_id": a.activity_id, "indicator": c.indicator, "window": c.window, "scope": c.scope,
             "value": c.value, "observed_on": a.start_date, "revision": a.revision}
            for a in newer for c in counting.contributions(plan, a)]
    if rows:
        session.execute(insert(contributions), rows)
    known = [{"activity_id": a.activity_id, "revision": a.revision} for a in newer if a.activity_id in applied]
    fresh = [{"activity_id": a.activity_id, "revision": a.revision} for a in newer if a.activity_id not in applied]
    if known:
        session.execute(update(revisions), known)
    if fresh:
        session.execute(insert(revisions), fresh)
    for r in rows:
        deltas[(r["indicator"], r["window"], r["scope"])] += r["value"]
    return dict(deltas)


def latest_revisions(events: Sequence[tuple[str, ActivityRecorded]]) -> dict[str, ActivityRecorded]:
    """Of several revisions of one activity, the highest."""
    latest: dict[str, ActivityRecorded] = {}
    for _, activity in events:
        held = latest.get(activity.activity_id)
        if held is None or activity.revision > held.revision:
            latest[activity.activity_id] = activity
    return latest


def _unprocessed_latest(session: Session, events: Sequence[tuple[str, Sequence[ActivityRecorded]]]
                        ) -> dict[str, ActivityRecorded]:
    """Mark the events not processed before; of their activities, the highest revision of each."""
    new = mark_new(session, ProcessedEvent, [event_id for event_id, _ in events])
    fresh = []
    for event_id, activities in events:
        if event_id in new:
            new.discard(event_id)  # the same event twice in one batch counts once
            fresh += [(event_id, a) for a in activities]
    return latest_revisions(fresh)


def refresh_many(session: Session, plan: Plan, keys: Collection[Key], as_of: dt.date,
                 deltas: Mapping[Key, float] | None = None) -> Refreshed:
    """Re-evaluate these window states (in key order): the status-change events that result, and
    the states (held here, so the caller's gauges need no query).

    With ``deltas`` a sum-of-events window moves by its delta: the cost of a batch does not grow
    with the window (a full sum over 100,000 activities per batch made catch-up quadratic).
    Without, every figure is summed afresh (the clock's re-evaluation, a rebuild's switch-over).
    """
    if not keys:
        return Refreshed([], [])
    stored = _load_states(session, keys)
    sums = _flow_sums(session, keys) if deltas is None else {
        key: (stored[key].actual if key in stored else 0.0) + delta for key, delta in deltas.items()}
    changes, states = [], []
    for key in sorted(keys):
        code, window_key, scope = key
        try:
            indicator = plan.indicator(code)
        except KeyError:
            continue  # the indicator left the plan; its contributions stay for the record
        window = _window(plan, indicator, window_key)
        if window is None:
            continue
        value = sums.get(key, 0.0) if indicator.kind != "stock" else current_value(session, indicator, window_key,
                                                                                     scope)
        state = stored.get(key) or _new_state(session, key)
        states.append(state)
        if change := _store(plan, indicator, window, state, value, as_of):
            changes.append(change)
    return Refreshed(changes, states)


def _load_states(session: Session, keys: Collection[Key]) -> dict[Key, WindowState]:
    """The stored states of these windows, in a few queries. Held in the dict: the session keeps
    unchanged objects only weakly, so a later ``session.get`` would query each one again."""
    found: dict[Key, WindowState] = {}
    for chunk in chunks(list(keys), 300):
        found |= {(s.indicator, s.window, s.scope): s for s in session.scalars(select(WindowState).where(
            tuple_(WindowState.indicator, WindowState.window, WindowState.scope).in_(chunk)))}
    return found


def _new_state(session: Session, key: Key) -> WindowState:
    state = WindowState(indicator=key[0], window=key[1], scope=key[2], status=None, actual=0.0, sequence=0)
    session.add(state)
    return state


def _flow_sums(session: Session, keys: Collection[Key]) -> dict[Key, float]:
    sums: dict[Key, float] = {}
    cols = (ContributionRow.indicator, ContributionRow.window, ContributionRow.scope)
    for chunk in chunks(list(keys), 300):
        rows = session.execute(select(*cols, func.sum(ContributionRow.value))
                               .where(tuple_(*cols).in_(chunk)).group_by(*cols))
        sums.update({(i, w, s): float(total) for i, w, s, total in rows})
    return sums


def _window(plan: Plan, indicator: Indicator, key: str) -> Window | None:
    return next((w for w in windows(indicator, plan.meta.period) if w.key == key), None)


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


def _store(plan: Plan, indicator: Indicator, window: Window, state: WindowState, observed: float | None,
           as_of: dt.date) -> IndicatorStatusChanged | None:
    """Save a window's value and status; an event when the status moves, or when the figures of a
    lagging or missed window move (so its alert shows current numbers)."""
    scope = state.scope
    previous, previous_actual = state.status, state.actual
    if scope != plan.meta.region.code:
        state.actual = observed or 0.0
        state.status, state.as_of = "tracking", as_of  # breakdowns are counted, not judged
        return None
    ev = progress.evaluate(indicator, window, observed, as_of)
    state.actual, state.status, state.expected, state.as_of = ev.actual, ev.status, ev.expected, as_of
    moved = previous != ev.status and not (previous is None and ev.status in QUIET_START)
    figures_moved = ev.status in FIRING_STATUSES and ev.actual != previous_actual and previous == ev.status
    if ev.status == "tracking" or not (moved or figures_moved):
        return None
    state.sequence = (state.sequence or 0) + 1
    return IndicatorStatusChanged(
        indicator=indicator.code, indicator_name=indicator.name, window=window.key, scope=scope,
        previous=previous, status=ev.status, actual=ev.actual, expected=ev.expected,
        target=indicator.target or 0.0, unit=indicator.unit, as_of=as_of, responsible=list(indicator.responsible),
        sequence=state.sequence, kind=indicator.kind,
    )


QUIET_START = frozenset({"not_started", "no_data"})  # a window's first status worth no event


def evaluate_all(session: Session, plan: Plan, as_of: dt.date) -> Refreshed:
    """Re-evaluate every window of every target in the region scope (lag grows with time).

    Windows that have not started are only touched if they hold a status from a later date
    (a frozen clock moved back), so that it and its alert are reset.
    """
    region = plan.meta.region.code
    started = {(i.code, w.key, region): w.start <= as_of
               for i in plan.all_indicators() if not i.tracking for w in windows(i, plan.meta.period)}
    stored = _load_states(session, started)
    due = {key for key, has_started in started.items() if has_started or key in stored}
    return refresh_many(session, plan, due, as_of)


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
