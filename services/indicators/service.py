"""nameko service ``indicators``: counts activities into indicator windows, judges pace."""
from __future__ import annotations

import logging

from nameko.timer import Timer, timer
from sqlalchemy.orm import Session

from libs.common.bus.topology import REBUILD_QUEUE
from libs.common.clock import ClockMixin
from libs.common.consumers import on_events, on_queue
from libs.common.db import Database, serialise
from libs.common.events import ACTIVITIES_RECORDED, ACTIVITY_RECORDED, Envelope, make_envelope, recorded_activities
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay, add_to_outbox
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from libs.common.settings import settings_from_config
from services.indicators import ledger, rebuild, views
from services.indicators.metrics import publish_plan, publish_state
from services.indicators.models import OutboxEvent, SerialLock
from services.indicators.windows import window_index

log = logging.getLogger(__name__)


class ClockTimer(Timer):
    """A timer whose interval comes from settings (``KEPU_EVALUATE_INTERVAL``)."""

    def __init__(self, **kwargs):
        super().__init__(interval=60.0, eager=True, **kwargs)

    def setup(self):
        self.interval = settings_from_config(self.container.config).evaluate_interval
        super().setup()


class ReplicaGaugeTimer(Timer):
    """Only with replicas (``KEPU_REPLICAS`` > 1): each one's /metrics also shows, within a second,
    the windows the others changed. A single process sets its gauges after each commit."""

    def __init__(self, **kwargs):
        super().__init__(interval=1.0, eager=False, **kwargs)

    def setup(self):
        self.enabled = settings_from_config(self.container.config).replicas > 1
        super().setup()

    def start(self):
        if self.enabled:
            super().start()

    def stop(self):
        if self.enabled:
            super().stop()

    def kill(self):
        if self.enabled:
            super().kill()


class IndicatorsService(HealthMixin, ClockMixin, PlanMixin):
    name = "indicators"

    db: Session = Database("indicators")
    outbox = OutboxRelay(OutboxEvent, "indicators")
    metrics = MetricsEndpoint("indicators")

    def _commit(self, changes, states) -> None:
        for change in changes:
            add_to_outbox(self.db, OutboxEvent, make_envelope(self.name, change))
        self.db.commit()
        if changes:
            self.outbox.wake()
        self._publish(states)  # sessions do not expire objects on commit: no query

    def _publish(self, states) -> None:
        """Set the gauges of these windows; windows of indicators no longer in the plan are skipped."""
        plan, today = self.plan.current, self.clock.today()
        index = window_index(plan)
        for state in states:
            try:
                indicator = plan.indicator(state.indicator)
            except KeyError:
                continue
            publish_state(state, indicator, index.get((state.indicator, state.window)), today)

    def _serialise(self) -> None:
        """First statement of every writing transaction: replicas take turns (see ``serialise``)."""
        serialise(self.db, SerialLock, "windows")

    @on_events("activities", ACTIVITY_RECORDED, ACTIVITIES_RECORDED)
    def handle_activity_recorded(self, bodies: list[dict]) -> None:
        """A batch of activity events (each of one activity or of a batch report), applied and
        marked processed in one transaction."""
        events = [Envelope.model_validate(body) for body in bodies]
        items = [(e.event_id, recorded_activities(e)) for e in events]
        if (why := ledger.refusal(self.plan.current, items)) is not None:
            # a forged or old event the plan's bounds refuse: the batch is retried one by one, and
            # this event is parked with the reason, never counted
            raise ValueError(why)
        self._serialise()
        also_into = ledger.REBUILD if rebuild.active(self.db) else None
        self._commit(*ledger.apply_batch(self.db, self.plan.current, items, self.clock.today(), also_into))

    @on_queue(REBUILD_QUEUE)
    def handle_replay(self, bodies: list[dict]) -> None:
        """A rebuild's replayed activities (see ``rebuild``); the last batch switches over."""
        envelopes = [Envelope.model_validate(body) for body in bodies]
        self._serialise()
        run, changes = rebuild.apply_replay(self.db, self.plan.current, envelopes, self.clock.today())
        switched = run is not None and run.state == "switched"
        self._commit(changes, ())
        if switched:
            log.info("rebuild %s switched over: %d activities, %d status changes", run.id, run.expected, len(changes))
            self._publish(ledger.states(self.db))

    @rpc
    def rebuild_begin(self) -> str:
        """Start a rebuild: an empty second store that live events fill too from now on. Then the
        activities service replays onto the rebuild queue (``kepu indicators rebuild`` does both)."""
        self._serialise()
        run = rebuild.begin(self.db)
        self.db.commit()
        log.info("rebuild %s started: waiting for the activities' replay", run.id)
        return run.id

    @rpc
    def rebuild_status(self, run: str) -> dict | None:
        return rebuild.status(self.db, run)

    @ClockTimer.decorator
    def tick(self) -> None:
        """Lag grows with time alone: re-evaluate on the clock, not only on events. Then
        publish every window, breakdowns included, so the gauges are whole after a restart."""
        self._serialise()
        changes, _ = ledger.evaluate_all(self.db, self.plan.current, self.clock.today())
        self._commit(changes, ())
        self._publish(ledger.states(self.db))

    @timer(interval=60, eager=True)
    def publish_plan_info(self) -> None:
        """Names, kinds, units and responsible units for the dashboards' joins."""
        publish_plan(self.plan.current)

    @ReplicaGaugeTimer.decorator
    def refresh_gauges(self) -> None:
        self._publish(ledger.states(self.db))

    @rpc
    def evaluate(self, as_of: str | None = None) -> int:
        """Re-evaluate every window now; ``as_of`` first moves a frozen clock. Returns status changes."""
        if as_of:
            self.set_clock(as_of)
        self._serialise()
        changes, states = ledger.evaluate_all(self.db, self.plan.current, self.clock.today())
        self._commit(changes, states)
        return len(changes)

    @rpc
    def get_progress(self, indicator: str | None = None, scope: str | None = None) -> list[dict]:
        """Window states, each with its indicator's name, target, unit and responsible units."""
        return views.window_rows(self.plan.current, ledger.states(self.db, indicator, scope))

    @rpc
    def list_progress(self, year: int | None = None, indicator: str | None = None,
                      targets_only: bool = False) -> dict:
        """Every indicator window of ``year`` (default: the clock's), the region's figure beside the
        breakdowns by organisation and town."""
        year = year or self.clock.today().year
        plan = self.plan.current
        states = ledger.states(self.db, indicator, window_keys=views.year_window_keys(plan, year))
        return {"year": year, "indicators": views.year_progress(plan, states, year, targets_only)}

    @rpc
    def reload_plan(self) -> dict:
        """Load the plan file again (targets may have changed) and re-evaluate; counts are kept."""
        plan = self.plan.reload()
        changed = self.evaluate()
        return {"plan": plan.meta.code, "indicators": len(plan.all_indicators()), "status_changes": changed}
