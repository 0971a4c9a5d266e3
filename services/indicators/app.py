"""Use cases of the indicators service: count activity events, judge the windows on the clock,
rebuild from the activities' history, answer progress, reload the plan.

Each takes a unit of work (``repository.UnitOfWork``: the session, and the status changes staged
to go out with it), the plan and today's date. A writing use case commits once, through the unit
of work, then sets the gauges of what it wrote. Nothing here knows nameko: the service wires
these to timers, consumers and RPC methods; the unit tests call them on in-memory SQLite.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import NamedTuple

from sqlalchemy.orm import Session

from libs.common.bus.link import county_of
from libs.common.bus.senders import SenderRefused
from libs.common.events import ActivityRecorded, Envelope, IndicatorStatusChanged, recorded_activities
from libs.common.plan.atlas import Atlas, chosen_plan
from services.indicators import repository
from services.indicators.domain import counting, status
from services.indicators.domain.counting import WindowKey
from services.indicators.domain.replay import replay_complete, replayed_for
from services.indicators.domain.windows import plan_of_window, window_by_key, year_window_keys
from services.indicators.metrics import publish_states
from services.indicators.models import WindowState
from services.indicators.repository import LIVE_STORE, REBUILD_STORE, Store, UnitOfWork
from services.indicators.schemas import PlanReloaded, RebuildStatus, WindowView, YearProgress

log = logging.getLogger(__name__)


class Judged(NamedTuple):
    """What judging windows produced: status-change events, and the states it wrote."""

    changes: list[IndicatorStatusChanged]
    states: list[WindowState]
    regions: Mapping[str, str] = {}  # the region of each state's scope (what its gauges say)


# --- counting activities --------------------------------------------------------------------

def count_activities(uow: UnitOfWork, atlas: Atlas, bodies: Sequence[dict], today: dt.date,
                     senders: Sequence[str | None] = ()) -> Judged:
    """A batch of activity events (each of one activity or of a batch report), counted and marked
    processed in one transaction; the windows they touched judged again.

    Events already processed (redelivered) are skipped. While a rebuild fills its store, the
    activities go into it too, so it misses nothing that arrives meanwhile. Raises ``ValueError``
    for an amount the plan's bounds refuse: the consumer then retries the batch one by one and
    parks that event with the reason; it is never counted. ``senders`` (each body's broker user):
    an event a county's link sent for a region not its own raises ``SenderRefused`` (parked at once).
    """
    events = [Envelope.model_validate(body) for body in bodies]
    items = [(e.event_id, recorded_activities(e)) for e in events]
    for sender, item in zip(senders, items):
        if (county := county_of(sender)) is not None and (why := counting.county_refusal(atlas, county, [item])):
            raise SenderRefused(why)
    if (why := counting.refusal(atlas, items)) is not None:
        raise ValueError(why)
    uow.serialise()
    rebuilding = repository.active_rebuild(uow.session) is not None
    new = repository.mark_processed(uow.session, [event_id for event_id, _ in items])
    latest = counting.fresh_latest(items, new)
    if rebuilding:
        replace_contributions(uow.session, REBUILD_STORE, atlas, latest)
    deltas = replace_contributions(uow.session, LIVE_STORE, atlas, latest)
    judged = judge_windows(uow.session, atlas, deltas.keys(), today, deltas)
    uow.stage(judged.changes)
    uow.commit()
    publish_states(atlas, judged.states, today, judged.regions)
    return judged


def replace_contributions(session: Session, store: Store, atlas: Atlas, activities: Sequence[ActivityRecorded]
             ) -> dict[WindowKey, float]:
    """Each activity's contributions are replaced by those of its revision, if that is newer than
    the one applied before. Returns by how much the sum of each touched window moved. (One
    revision per activity: see ``counting.fresh_latest``.)"""
    if not activities:
        return {}
    applied = repository.applied_revisions(session, store, [a.activity_id for a in activities])
    newer = counting.newer_than_applied(activities, applied)
    if not newer:
        return {}
    removed = repository.remove_contributions(session, store, [a.activity_id for a in newer])
    added = [(a, c) for a in newer for c in counting.contributions(atlas, a)]
    repository.remember_scope_regions(session, {c.scope: c.region for _, c in added})
    repository.add_contributions(session, store, added)
    repository.record_revisions(session, store, newer, applied)
    return counting.moved_sums(removed, [c for _, c in added])


def judge_windows(session: Session, atlas: Atlas, keys: Collection[WindowKey], as_of: dt.date,
           deltas: Mapping[WindowKey, float] | None = None) -> Judged:
    """Judge these windows again (in key order) and write their figures.

    With ``deltas`` a sum-of-events window moves by its delta: the cost of a batch does not grow
    with the window (a full sum over 100,000 activities per batch made catch-up quadratic).
    Without, every figure is summed afresh (the clock's judgement, a rebuild's switch-over).
    """
    if not keys:
        return Judged([], [])
    stored = repository.window_states(session, keys)
    sums = repository.flow_sums(session, keys) if deltas is None else {
        key: (stored[key].actual if key in stored else 0.0) + delta for key, delta in deltas.items()}
    regions = regions_of(session, atlas, {key[2] for key in keys})
    changes, states = [], []
    for key in sorted(keys):
        code, window_key, scope = key
        plan = plan_of_window(atlas, regions.get(scope, ""), window_key)
        try:
            indicator = plan.indicator(code) if plan is not None else None
        except KeyError:
            indicator = None  # the indicator left the plan; its contributions stay for the record
        window = window_by_key(indicator, plan.meta.period, window_key) if indicator is not None else None
        if window is None:
            continue
        observed = (repository.current_value(session, indicator, window_key, scope) if indicator.kind == "stock"
                    else sums.get(key, 0.0))
        state = stored.get(key) or repository.new_window_state(session, key)
        judgement = status.judge(plan, indicator, window, scope, repository.held(state), observed, as_of)
        repository.hold(state, judgement, as_of)
        states.append(state)
        if judgement.change is not None:
            changes.append(judgement.change)
    return Judged(changes, states, regions)


def regions_of(session: Session, atlas: Atlas, scopes: Collection[str]) -> dict[str, str]:
    """The region of each scope: a region's own scope is itself; an organisation's or a town's as
    recorded when it was counted (``adopt_scopes`` fills those from before regions)."""
    own = {scope: scope for scope in scopes if scope in atlas.regions}
    rest = [scope for scope in scopes if scope not in own]
    return own | (repository.scope_regions(session, rest) if rest else {})


_ADOPTED: weakref.WeakSet = weakref.WeakSet()  # databases whose scopes from before regions are recorded


def adopt_scopes(session: Session, atlas: Atlas) -> int:
    """Record the region of scopes counted before regions existed: an organisation the plans name
    is in its region; any other (a registered town) in the region the old system followed, the
    one region scope among them. Returns how many were recorded (the caller commits)."""
    waiting = repository.scopes_without_region(session)
    if not waiting:
        return 0
    old_regions = {scope for scope in waiting if scope in atlas.regions}
    fallback = next(iter(old_regions)) if len(old_regions) == 1 else (atlas.first_region if atlas.single else None)
    found: dict[str, str] = {}
    for scope in waiting:
        region = scope if scope in atlas.regions else atlas.region_of(scope.partition(":")[2]) or fallback
        if region is not None:
            found[scope] = region
        else:
            log.warning("scope %s was counted before regions and its region is unknown: its figures are kept but "
                        "not shown; register its organisation under a region and rebuild (kepu indicators rebuild)",
                        scope)
    repository.remember_scope_regions(session, found)
    return len(found)


# --- the clock and the plan -----------------------------------------------------------------

def judge_on_the_clock(uow: UnitOfWork, atlas: Atlas, today: dt.date, every_gauge: bool = False) -> int:
    """Judge every window of every target again: lag grows with time alone, not only on events.
    Returns how many statuses changed. The gauges then show the windows judged, or with
    ``every_gauge`` every window, breakdowns included (the timer's: whole after a restart)."""
    uow.serialise()
    engine = uow.session.get_bind()
    if engine not in _ADOPTED:  # once per database and process: all counted since records its regions
        adopt_scopes(uow.session, atlas)
    started = status.judged_on_the_clock(atlas, today)
    due = status.due_on_the_clock(started, repository.window_states(uow.session, started))
    judged = judge_windows(uow.session, atlas, due, today)
    uow.stage(judged.changes)
    uow.commit()
    _ADOPTED.add(engine)
    if every_gauge:
        show_every_window(uow, atlas, today)
    else:
        publish_states(atlas, judged.states, today, judged.regions)
    return len(judged.changes)


def reload_plan(uow: UnitOfWork, load: Callable[[], Atlas], today: dt.date) -> PlanReloaded:
    """Load the plans again (targets may have changed) and judge every window by them; counts are
    kept. Plan files that do not validate raise from ``load`` and change nothing."""
    atlas = load()
    changed = judge_on_the_clock(uow, atlas, today)
    return PlanReloaded(plan=", ".join(p.meta.code for p in atlas.all_plans()),
                        indicators=sum(len(p.all_indicators()) for p in atlas.all_plans()), status_changes=changed)


def show_every_window(uow: UnitOfWork, atlas: Atlas, today: dt.date) -> None:
    """Set the gauges of every stored window (replicas: what the others changed shows here too)."""
    states = repository.states(uow.session)
    publish_states(atlas, states, today, regions_of(uow.session, atlas, {s.scope for s in states}))


# --- rebuilding from the activities' history ------------------------------------------------

def begin_rebuild(uow: UnitOfWork, now: dt.datetime) -> str:
    """Start a rebuild: an empty second store that live events fill too from now on (a run still
    replaying is superseded). Then the activities service replays onto the rebuild queue."""
    uow.serialise()
    run = repository.start_rebuild(uow.session, uuid.uuid4().hex[:12], now)
    uow.commit()
    log.info("rebuild %s started: waiting for the activities' replay", run.id)
    return run.id


def take_replay(uow: UnitOfWork, atlas: Atlas, bodies: Sequence[dict], today: dt.date, now: dt.datetime
                ) -> RebuildStatus | None:
    """Put a rebuild's replayed activities into its store; once all are in, switch over in the same
    transaction: the live contributions and revisions are replaced by the rebuilt ones and every
    window is judged again, sending status changes where a status moved. Messages of another run
    are dropped. Returns where the running rebuild stands (None: none is running)."""
    envelopes = [Envelope.model_validate(body) for body in bodies]
    uow.serialise()
    run = repository.active_rebuild(uow.session)
    if run is None:
        uow.commit()
        return None
    replayed = replayed_for(run.id, envelopes)
    if replayed.count is not None:
        repository.expect_replayed(run, replayed.count)
    new = repository.mark_replayed(uow.session, [event_id for event_id, _ in replayed.activities])
    fresh = counting.fresh_latest([(event_id, [a]) for event_id, a in replayed.activities], new)
    replace_contributions(uow.session, REBUILD_STORE, atlas, fresh)
    count = repository.count_replayed(uow.session)
    if not replay_complete(run.expected, count):
        uow.commit()
        return RebuildStatus.of(run, count)
    judged = judge_windows(uow.session, atlas, repository.switch_stores(uow.session), today)
    repository.clear_rebuild_store(uow.session)
    repository.finish_rebuild(run, now, len(judged.changes))
    uow.stage(judged.changes)
    uow.commit()
    log.info("rebuild %s switched over: %d activities, %d status changes", run.id, run.expected, len(judged.changes))
    show_every_window(uow, atlas, today)
    return RebuildStatus.of(run, run.expected)


def rebuild_status(uow: UnitOfWork, run_id: str) -> RebuildStatus | None:
    run = repository.rebuild_run(uow.session, run_id)
    if run is None:
        return None
    return RebuildStatus.of(run, repository.count_replayed(uow.session) if run.state == "replaying" else run.expected)


# --- reading progress -----------------------------------------------------------------------

def progress(uow: UnitOfWork, atlas: Atlas, indicator: str | None = None, scope: str | None = None
             ) -> list[WindowView]:
    """Window states, each with its indicator's name, target, unit and responsible units (as the
    plan of its region and window says)."""
    states = repository.states(uow.session, indicator, scope)
    regions = regions_of(uow.session, atlas, {s.scope for s in states})
    out = []
    for state in states:
        plan = plan_of_window(atlas, regions.get(state.scope, ""), state.window)
        out += [view.model_copy(update={"region": plan.meta.region.code})
                for view in WindowView.all_of(plan, [state])] if plan is not None else []
    return out


def year_progress(uow: UnitOfWork, atlas: Atlas, today: dt.date, year: int | None = None,
                  indicator: str | None = None, targets_only: bool = False, region: str | None = None
                  ) -> YearProgress:
    """Every indicator window of ``year`` (default: this year, or the nearest year of a plan) of
    ``region`` (default: the top one), by its plan of that year: the region's figure beside the
    breakdowns by organisation and town, and each region directly below's own figure."""
    plan = chosen_plan(atlas, today, region, year)
    region = plan.meta.region.code
    year = year or atlas.year_in_plan(region, today)
    states = repository.states(uow.session, indicator, window_keys=year_window_keys(plan, year), region=region)
    return YearProgress.of(plan, states, year, targets_only, indicator)
