"""Recomputing every indicator from the activities' history (`kepu indicators rebuild`).

A run fills a second store (``rebuild_*`` tables) from the current revision of every activity,
which the activities service replays onto the rebuild queue, ending with a count. Activity
events arriving meanwhile go into both stores, so the new one misses nothing. When as many
replayed activities are in as the count says, one transaction switches over: the live
contributions and revisions are replaced by the rebuilt ones and every window is re-evaluated,
sending status changes where a status moved. Plain functions over a session; the service commits.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from libs.common.events import ACTIVITY_RECORDED, REBUILD_REPLAYED, Envelope, IndicatorStatusChanged, replay_event_id
from libs.common.plan.schema import Plan
from libs.common.processed import mark_new
from services.indicators import ledger
from services.indicators.models import (
    ActivityRevision,
    ContributionRow,
    RebuildContribution,
    RebuildReplayedEvent,
    RebuildRevision,
    RebuildRun,
    WindowState,
)

SHADOW = (RebuildContribution, RebuildRevision, RebuildReplayedEvent)


def active(session: Session) -> RebuildRun | None:
    return session.scalar(select(RebuildRun).where(RebuildRun.state == "replaying"))


def begin(session: Session) -> RebuildRun:
    """A new run with an empty store; a run still replaying is superseded (its replay is ignored)."""
    now = dt.datetime.now(dt.timezone.utc)
    for run in session.scalars(select(RebuildRun).where(RebuildRun.state == "replaying")):
        run.state, run.finished_at = "superseded", now
    for model in SHADOW:
        session.execute(delete(model))
    run = RebuildRun(id=uuid.uuid4().hex[:12], state="replaying", started_at=now)
    session.add(run)
    return run


def apply_replay(session: Session, plan: Plan, envelopes: Sequence[Envelope], as_of: dt.date
                 ) -> tuple[RebuildRun | None, list[IndicatorStatusChanged]]:
    """Put replayed activities into the active run's store; switch over once all are in.
    Messages of another run (superseded, or from before a restart of the command) are dropped."""
    run = active(session)
    if run is None:
        return None, []
    replayed = []
    for envelope in envelopes:
        if envelope.type == REBUILD_REPLAYED:
            marker = envelope.typed_payload()
            if marker.run == run.id:
                run.expected = marker.count
        elif envelope.type == ACTIVITY_RECORDED:
            activity = envelope.typed_payload()
            if envelope.event_id == replay_event_id(run.id, activity.activity_id):
                replayed.append((envelope.event_id, activity))
    new = mark_new(session, RebuildReplayedEvent, [event_id for event_id, _ in replayed])
    fresh = [(event_id, activity) for event_id, activity in replayed if event_id in new]
    ledger.replace_contributions(session, ledger.REBUILD, plan, list(ledger.latest_revisions(fresh).values()))
    if run.expected is None or count_replayed(session) < run.expected:
        return run, []
    return run, switch_over(session, plan, run, as_of)


def count_replayed(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RebuildReplayedEvent)) or 0


def switch_over(session: Session, plan: Plan, run: RebuildRun, as_of: dt.date) -> list[IndicatorStatusChanged]:
    """Replace the live contributions and revisions by the rebuilt ones; re-evaluate every window."""
    window_cols = (ContributionRow.indicator, ContributionRow.window, ContributionRow.scope)
    before = set(session.execute(select(WindowState.indicator, WindowState.window, WindowState.scope)).all())
    for live, rebuilt in ((ContributionRow, RebuildContribution), (ActivityRevision, RebuildRevision)):
        columns = [c.name for c in live.__table__.columns]
        session.execute(delete(live))
        session.execute(insert(live).from_select(columns, select(*(rebuilt.__table__.c[n] for n in columns))))
    after = set(session.execute(select(*window_cols).distinct()).all())
    changes, _ = ledger.refresh_many(session, plan, {tuple(k) for k in before | after}, as_of)
    for model in SHADOW:
        session.execute(delete(model))
    run.state, run.finished_at, run.status_changes = "switched", dt.datetime.now(dt.timezone.utc), len(changes)
    return changes


def status(session: Session, run_id: str) -> dict | None:
    run = session.get(RebuildRun, run_id)
    if run is None:
        return None
    return {"run": run.id, "state": run.state, "expected": run.expected,
            "replayed": count_replayed(session) if run.state == "replaying" else run.expected,
            "status_changes": run.status_changes, "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None}
