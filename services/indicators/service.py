"""nameko service ``indicators``: counts activities into indicator windows, judges pace.

Thin wiring over ``app`` (the use cases): each entry point hands its unit of work, the plan and
the clock's date to one use case; the transactional outbox publishes the status changes it staged.
"""
from __future__ import annotations

import datetime as dt

from nameko.timer import Timer, timer
from sqlalchemy.orm import Session

from libs.common.bus.topology import REBUILD_QUEUE
from libs.common.clock import ClockMixin, ClockTimer
from libs.common.consumers import on_events, on_queue
from libs.common.db import Database
from libs.common.errors import BadRequest, clip
from libs.common.events import ACTIVITIES_RECORDED, ACTIVITY_RECORDED, ActivityRecorded
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from libs.common.settings import settings_from_config
from services.indicators import app, as_of
from services.indicators.metrics import publish_plan
from services.indicators.models import OutboxEvent
from services.indicators.repository import UnitOfWork


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

    def _work(self) -> UnitOfWork:
        """This worker's unit of work: its session; a commit with status changes wakes the relay."""
        return UnitOfWork(self.db, self.outbox.wake)

    @on_events("activities", ACTIVITY_RECORDED, ACTIVITIES_RECORDED, senders=True)
    def handle_activity_recorded(self, bodies: list[dict], senders: list[str | None] = ()) -> None:
        """A batch of activity events, counted and marked processed in one transaction (a county's
        link, on a city's broker, only for its own region: see ``libs.common.bus.link``)."""
        app.count_activities(self._work(), self.plan.atlas, bodies, self.clock.today(), senders)

    @on_queue(REBUILD_QUEUE)
    def handle_replay(self, bodies: list[dict]) -> None:
        """A rebuild's replayed activities (see ``app.take_replay``); the last batch switches over."""
        app.take_replay(self._work(), self.plan.atlas, bodies, self.clock.today(), dt.datetime.now(dt.timezone.utc))

    @rpc
    def rebuild_begin(self) -> str:
        """Start a rebuild; then the activities service replays onto the rebuild queue (``kepu
        indicators rebuild`` does both)."""
        return app.begin_rebuild(self._work(), dt.datetime.now(dt.timezone.utc))

    @rpc
    def rebuild_status(self, run: str) -> dict | None:
        status = app.rebuild_status(self._work(), run)
        return status.model_dump() if status else None

    @ClockTimer.decorator
    def tick(self) -> None:
        """Lag grows with time alone: judge on the clock, not only on events; every gauge after."""
        app.judge_on_the_clock(self._work(), self.plan.atlas, self.clock.today(), every_gauge=True)

    @timer(interval=60, eager=True)
    def publish_plan_info(self) -> None:
        """Names, kinds, units and responsible units for the dashboards' joins."""
        publish_plan(self.plan.atlas, self.clock.today())

    @ReplicaGaugeTimer.decorator
    def refresh_gauges(self) -> None:
        app.show_every_window(self._work(), self.plan.atlas, self.clock.today())

    @rpc
    def evaluate(self, as_of: str | None = None) -> int:
        """Judge every window now; ``as_of`` first moves a frozen clock. Returns status changes."""
        if as_of:
            self.set_clock(as_of)
        return app.judge_on_the_clock(self._work(), self.plan.atlas, self.clock.today())

    @rpc
    def get_progress(self, indicator: str | None = None, scope: str | None = None) -> list[dict]:
        return [row.model_dump() for row in app.progress(self._work(), self.plan.atlas, indicator, scope)]

    @rpc
    def list_progress(self, year: int | None = None, indicator: str | None = None,
                      targets_only: bool = False, region: str | None = None) -> dict:
        return app.year_progress(self._work(), self.plan.atlas, self.clock.today(), year, indicator,
                                 targets_only, region).model_dump()

    @rpc
    def progress_as_of(self, at: str, revisions: list[dict], year: int | None = None, indicator: str | None = None,
                       targets_only: bool = False, region: str | None = None) -> dict:
        """``list_progress`` as it answered at ``at`` (an ISO time, or a day: its end in the county),
        from every activity revision recorded by then: ``activities.revisions_as_of(caller, at)``,
        which the gateway asks first (see ``as_of``)."""
        try:
            day = self.clock.day_of(self.clock.moment(at))
        except ValueError as exc:
            raise BadRequest.of("at", "invalid", f"「{clip(at)}」不是日期或时间（如 2025-06-30）：{exc}") from None
        if day > self.clock.today():
            raise BadRequest.of("at", "in_future", f"{day.isoformat()} 晚于今天（{self.clock.today().isoformat()}）；"
                                "只能查看已过去的时刻")
        known = [ActivityRecorded.model_validate(r) for r in revisions]
        return as_of.progress_as_of(self.plan.atlas, known, day, year, indicator, targets_only, region).model_dump()

    @rpc
    def reload_plan(self) -> dict:
        """Load the plan file again (targets may have changed) and judge again; counts are kept."""
        return app.reload_plan(self._work(), self.plan.reload, self.clock.today()).model_dump()
