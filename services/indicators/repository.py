"""Every query and row write of the indicators service, and its unit of work.

Contributions and applied revisions live in two stores: the live one, and the one a rebuild
fills from the activities' replay until it switches over (see ``app.replay``).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session, aliased

from libs.common.db import chunks, serialise
from libs.common.events import ActivityRecorded, IndicatorStatusChanged, make_envelope
from libs.common.outbox import add_to_outbox
from libs.common.plan.schema import Indicator
from libs.common.processed import mark_new
from services.indicators.domain.counting import Contribution, WindowKey
from services.indicators.domain.status import Held, Judgement
from services.indicators.models import (
    ActivityRevision,
    Base,
    ContributionRow,
    OutboxEvent,
    ProcessedEvent,
    RebuildContribution,
    RebuildReplayedEvent,
    RebuildRevision,
    RebuildRun,
    ScopeRegion,
    SerialLock,
    WindowState,
)

SOURCE = "indicators"  # the source of the events this service publishes


class UnitOfWork:
    """One transaction of the indicators service: its session, and the status changes staged to
    go out with it. ``commit`` stores them in the outbox beside the figures they describe, commits
    both at once, then wakes the relay that publishes them. Only the use cases (``app``) commit."""

    def __init__(self, session: Session, wake: Callable[[], None] = lambda: None):
        self.session = session
        self.wake = wake
        self.staged: list[IndicatorStatusChanged] = []

    def serialise(self) -> None:
        """First statement of every writing transaction: replicas take turns (see ``serialise``)."""
        serialise(self.session, SerialLock, "windows")

    def stage(self, changes: Iterable[IndicatorStatusChanged]) -> None:
        self.staged += changes

    def commit(self) -> None:
        staged, self.staged = self.staged, []
        for change in staged:
            add_to_outbox(self.session, OutboxEvent, make_envelope(SOURCE, change))
        self.session.commit()
        if staged:
            self.wake()


@contextmanager
def scratch_session() -> Iterator[Session]:
    """A session on an empty copy of the service's tables in memory (SQLite), for figures worked
    out by the live store's own queries and then thrown away (``as_of``)."""
    engine = create_engine("sqlite://")
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


# --- contributions and applied revisions ----------------------------------------------------

@dataclass(frozen=True)
class Store:
    """Where contributions and applied revisions live: the live tables or a rebuild's."""

    contributions: type
    revisions: type


LIVE_STORE = Store(ContributionRow, ActivityRevision)
REBUILD_STORE = Store(RebuildContribution, RebuildRevision)
REBUILD_TABLES = (RebuildContribution, RebuildRevision, RebuildReplayedEvent)


def mark_processed(session: Session, event_ids: Sequence[str]) -> set[str]:
    """Of these activity events, the ones not processed before: marked now."""
    return mark_new(session, ProcessedEvent, event_ids)


def applied_revisions(session: Session, store: Store, activity_ids: Sequence[str]) -> dict[str, int]:
    """The revision applied of each of these activities that has one."""
    revisions = store.revisions
    applied: dict[str, int] = {}
    for chunk in chunks(list(activity_ids), 500):
        applied |= dict(session.execute(select(revisions.activity_id, revisions.revision)
                                        .where(revisions.activity_id.in_(chunk))).all())
    return applied


def remove_contributions(session: Session, store: Store, activity_ids: Sequence[str]) -> list[tuple[WindowKey, float]]:
    """Delete what these activities contributed; what each row had added to which window."""
    rows = store.contributions
    removed: list[tuple[WindowKey, float]] = []
    for chunk in chunks(list(activity_ids), 500):
        for indicator, window, scope, value in session.execute(
                delete(rows).where(rows.activity_id.in_(chunk))
                .returning(rows.indicator, rows.window, rows.scope, rows.value)
                .execution_options(synchronize_session=False)):
            removed.append(((indicator, window, scope), value))
    return removed


def add_contributions(session: Session, store: Store, added: Sequence[tuple[ActivityRecorded, Contribution]]) -> None:
    """Insert each activity's contributions, with the day observed and the revision they come from."""
    if added:
        session.execute(insert(store.contributions), [
            {"activity_id": a.activity_id, "indicator": c.indicator, "window": c.window, "scope": c.scope,
             "value": c.value, "observed_on": a.start_date, "revision": a.revision} for a, c in added])


def record_revisions(session: Session, store: Store, activities: Sequence[ActivityRecorded],
                     applied: Collection[str]) -> None:
    """Remember the revision now applied of each activity (``applied``: those that had one)."""
    known = [{"activity_id": a.activity_id, "revision": a.revision} for a in activities if a.activity_id in applied]
    fresh = [{"activity_id": a.activity_id, "revision": a.revision} for a in activities
             if a.activity_id not in applied]
    if known:
        session.execute(update(store.revisions), known)
    if fresh:
        session.execute(insert(store.revisions), fresh)


def flow_sums(session: Session, keys: Collection[WindowKey]) -> dict[WindowKey, float]:
    """The sum of the live contributions of each of these windows that has any."""
    sums: dict[WindowKey, float] = {}
    cols = (ContributionRow.indicator, ContributionRow.window, ContributionRow.scope)
    for chunk in chunks(list(keys), 300):
        rows = session.execute(select(*cols, func.sum(ContributionRow.value))
                               .where(tuple_(*cols).in_(chunk)).group_by(*cols))
        sums.update({(i, w, s): float(total) for i, w, s, total in rows})
    return sums


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


# --- window states --------------------------------------------------------------------------

def scope_regions(session: Session, scopes: Collection[str] | None = None) -> dict[str, str]:
    """The region of each of these scopes (all with None) that has one recorded."""
    if scopes is None:
        return dict(session.execute(select(ScopeRegion.scope, ScopeRegion.region)).all())
    found: dict[str, str] = {}
    for chunk in chunks(list(scopes), 500):
        found |= dict(session.execute(select(ScopeRegion.scope, ScopeRegion.region)
                                      .where(ScopeRegion.scope.in_(chunk))).all())
    return found


def remember_scope_regions(session: Session, regions: Mapping[str, str]) -> None:
    """Record the region of each scope not recorded yet (a scope's region never changes)."""
    known = scope_regions(session, list(regions))
    fresh = [{"scope": scope, "region": region} for scope, region in regions.items() if scope not in known]
    if fresh:
        session.execute(insert(ScopeRegion), fresh)


def scopes_without_region(session: Session) -> set[str]:
    """Scopes counted before regions (no region recorded): what ``app.adopt_scopes`` fills in."""
    recorded = select(ScopeRegion.scope)
    return set(session.scalars(select(WindowState.scope).distinct().where(WindowState.scope.not_in(recorded)))) | \
        set(session.scalars(select(ContributionRow.scope).distinct().where(ContributionRow.scope.not_in(recorded))))


def window_states(session: Session, keys: Collection[WindowKey]) -> dict[WindowKey, WindowState]:
    """The stored states of these windows, in a few queries. Held in the dict: the session keeps
    unchanged objects only weakly, so a later ``session.get`` would query each one again."""
    found: dict[WindowKey, WindowState] = {}
    for chunk in chunks(list(keys), 300):
        found |= {(s.indicator, s.window, s.scope): s for s in session.scalars(select(WindowState).where(
            tuple_(WindowState.indicator, WindowState.window, WindowState.scope).in_(chunk)))}
    return found


def new_window_state(session: Session, key: WindowKey) -> WindowState:
    state = WindowState(indicator=key[0], window=key[1], scope=key[2], status=None, actual=0.0, sequence=0)
    session.add(state)
    return state


def held(state: WindowState) -> Held:
    """What a stored window holds, for the domain to judge."""
    return Held(state.status, state.actual, state.sequence or 0)


def hold(state: WindowState, judgement: Judgement, as_of: dt.date) -> None:
    """Write a judgement's figures into the stored window (a breakdown keeps its expected figure)."""
    state.actual, state.status, state.sequence, state.as_of = (
        judgement.actual, judgement.status, judgement.sequence, as_of)
    if judgement.expected is not None:
        state.expected = judgement.expected


def states(session: Session, indicator: str | None = None, scope: str | None = None,
           window_keys: Collection[str] | None = None, region: str | None = None) -> list[WindowState]:
    """Stored window states in key order, of one indicator, scope, set of window keys or region (its
    own scope and those recorded as its: its organisations, towns and the parts of the regions below)
    if given."""
    query = select(WindowState).order_by(WindowState.indicator, WindowState.window, WindowState.scope)
    if region:
        query = query.where(or_(WindowState.scope == region, WindowState.scope.in_(
            select(ScopeRegion.scope).where(ScopeRegion.region == region))))
    if indicator:
        query = query.where(WindowState.indicator == indicator)
    if window_keys is not None:
        query = query.where(WindowState.window.in_(list(window_keys)))
    if scope:
        query = query.where(WindowState.scope == scope)
    return list(session.scalars(query))


def state_keys(session: Session) -> set[WindowKey]:
    """The key of every stored window state."""
    return {tuple(k) for k in session.execute(select(WindowState.indicator, WindowState.window, WindowState.scope))}


# --- rebuild runs ---------------------------------------------------------------------------

def active_rebuild(session: Session) -> RebuildRun | None:
    """The run still replaying, if any."""
    return session.scalar(select(RebuildRun).where(RebuildRun.state == "replaying"))


def rebuild_run(session: Session, run_id: str) -> RebuildRun | None:
    return session.get(RebuildRun, run_id)


def start_rebuild(session: Session, run_id: str, now: dt.datetime) -> RebuildRun:
    """A new run with an empty store; a run still replaying is superseded (its replay is ignored)."""
    for run in session.scalars(select(RebuildRun).where(RebuildRun.state == "replaying")):
        run.state, run.finished_at = "superseded", now
    clear_rebuild_store(session)
    run = RebuildRun(id=run_id, state="replaying", started_at=now)
    session.add(run)
    return run


def mark_replayed(session: Session, event_ids: Sequence[str]) -> set[str]:
    """Of these replayed activities' event ids, the ones not in the rebuild store before: marked now."""
    return mark_new(session, RebuildReplayedEvent, event_ids)


def count_replayed(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RebuildReplayedEvent)) or 0


def switch_stores(session: Session) -> set[WindowKey]:
    """Replace the live contributions and revisions by the rebuilt ones. Returns every window to
    judge again: those stored before and those the rebuilt contributions feed."""
    before = state_keys(session)
    for live, rebuilt in ((ContributionRow, RebuildContribution), (ActivityRevision, RebuildRevision)):
        columns = [c.name for c in live.__table__.columns]
        session.execute(delete(live))
        session.execute(insert(live).from_select(columns, select(*(rebuilt.__table__.c[n] for n in columns))))
    window_cols = (ContributionRow.indicator, ContributionRow.window, ContributionRow.scope)
    return before | {tuple(k) for k in session.execute(select(*window_cols).distinct())}


def clear_rebuild_store(session: Session) -> None:
    for model in REBUILD_TABLES:
        session.execute(delete(model))


def finish_rebuild(run: RebuildRun, now: dt.datetime, status_changes: int) -> None:
    run.state, run.finished_at, run.status_changes = "switched", now, status_changes


def expect_replayed(run: RebuildRun, count: int) -> None:
    """The replay has ended: this many activities are to come in before the switch-over."""
    run.expected = count
