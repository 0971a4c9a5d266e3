"""nameko service ``activities``: reports, corrections and retractions, stored with their events.

Thin wiring over ``app`` (the use cases): the caller comes from the gateway's token check, so
a department writes only its own data; the transactional outbox publishes what ``app`` staged.
What it knows of organisations comes from their events, never from a call mid-report.
"""
from __future__ import annotations

import datetime as dt
import logging
import time

from nameko.dependency_providers import Config
from nameko.timer import timer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.bus.publisher import EnvelopePublisher
from libs.common.bus.topology import REBUILD_EXCHANGE
from libs.common.clock import ClockMixin, ClockTimer
from libs.common.consumers import on_events
from libs.common.db import Database
from libs.common.errors import BadRequest, RequestExpired, clip
from libs.common.events import ORGANISATION_CHANGED, Envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay
from libs.common.plan.provider import PlanMixin
from libs.common.rpc import rpc
from libs.common.workdays import china
from services.activities import app, periods, reminders, reporting_figures
from services.activities.metrics import ACTIVITIES_RECORDED, ACTIVITY_CHANGES, publish_reporting, publish_town_totals
from services.activities.models import OutboxEvent

log = logging.getLogger(__name__)


def _check_deadline(deadline: float | None, caller: Caller) -> None:
    """Past ``deadline`` (epoch seconds) the caller was already told "no answer": do not act."""
    if deadline is not None and time.time() > deadline:
        log.warning("dropped a request from %s that arrived after its caller gave up", caller.org)
        raise RequestExpired("the caller stopped waiting for this request; it was not acted on")


class ActivitiesService(HealthMixin, ClockMixin, PlanMixin):
    name = "activities"

    db: Session = Database("activities", on_open=lambda session, settings: app.ask_for_reference(
        session, dt.datetime.now(dt.timezone.utc)))
    outbox = OutboxRelay(OutboxEvent, "activities")
    metrics = MetricsEndpoint("activities")
    config = Config()

    def _ctx(self) -> app.Context:
        return app.Context(self.db, self.plan.atlas, self.clock.today(), self.clock.now())

    def _wake_relay_and_count(self, caller: Caller, activities: list[dict], action: str) -> None:
        """After a commit: the outbox relay publishes the staged events now (not at its next
        poll), and the activity metrics count what changed. A report of a campaign with a season
        may fulfil (a retraction undo) an expected campaign: its organisation's duties are judged
        again at once (anything else waits for the clock's round)."""
        seasonal = {t.code for plan in self.plan.atlas.all_plans() for t in plan.activity_types if t.season}
        if orgs := sorted({a["org"] for a in activities if a["activity_type"] in seasonal}):
            self._review_duties(orgs)
        self.outbox.wake()
        region = self._ctx().caller_region(caller) if action == "recorded" and activities else ""
        for a in activities:
            if action == "recorded":
                ACTIVITIES_RECORDED.labels(a["activity_type"], caller.org, region).inc()
            else:
                ACTIVITY_CHANGES.labels(action).inc()

    @timer(interval=15, eager=True)
    def count_by_town(self) -> None:
        """The Towns dashboard's and the reporting panels' figures, from what is stored (a few
        GROUP BYs every 15 seconds)."""
        ctx = self._ctx()  # one look-up of each organisation's region for both
        publish_town_totals(reporting_figures.towns(ctx))
        publish_reporting(reporting_figures.read(ctx, china()))
        self.db.rollback()

    @ClockTimer.decorator
    def judge_duties(self) -> None:
        """Reminders fall due and deadlines pass with the date alone: judge every duty on the clock."""
        self._review_duties(None)

    def _review_duties(self, orgs: list[str] | None) -> None:
        """Judge reporting duties (all, or of ``orgs``) and publish what changed. After a report or
        a submission this is a courtesy (a prompt resolution): the clock's next round does it too,
        so a failure here is logged and leaves the caller's answer alone."""
        try:
            if reminders.review_duties(self._ctx(), china(), self.clock.now(), orgs):
                self.outbox.wake()
        except SQLAlchemyError:
            self.db.rollback()
            if orgs is None:
                raise
            log.warning("reporting duties of %s not judged now; the clock's next round will", orgs, exc_info=True)

    @rpc
    def evaluate_duties(self, as_of: str | None = None) -> int:
        """Judge every reporting duty now (``as_of`` first moves a frozen clock), as the clock's
        round does: for an operator, a demo or a test. Returns how many duties changed."""
        if as_of:
            self.set_clock(as_of)
        changed = reminders.review_duties(self._ctx(), china(), self.clock.now())
        self.outbox.wake()
        return changed

    @on_events("organisations", ORGANISATION_CHANGED)
    def handle_organisation_changed(self, bodies: list[dict]) -> None:
        """Keep the copy of the organisations that reports are checked against."""
        app.apply_organisations(self.db, [Envelope.model_validate(b).typed_payload() for b in bodies])

    @rpc
    def known_organisations(self, codes: list[str]) -> dict[str, str]:
        """Which organisations reports may name yet (the copy is fed by events)."""
        return app.known_organisations(self.db, codes)

    @rpc
    def replay_activities(self, run: str) -> int:
        """For `kepu indicators rebuild`: every activity's current revision onto the rebuild queue."""
        publisher = EnvelopePublisher(self.config["AMQP_URI"])
        try:
            count = app.replay(self.db, run, lambda envelopes: publisher.publish(envelopes, exchange=REBUILD_EXCHANGE))
        finally:
            publisher.close()
        log.info("replayed %d activities for rebuild %s", count, run)
        return count

    @rpc
    def record_activity(self, caller: dict, report: dict, deadline: float | None = None) -> dict:
        """Validate and store one activity with its event; a resend of its external_id returns it."""
        who = Caller.model_validate(caller)
        _check_deadline(deadline, who)
        result = app.report_one(self._ctx(), who, report)
        if result["created"]:
            self._wake_relay_and_count(who, [result], "recorded")
        return result

    @rpc
    def record_activity_group(self, caller: dict, reports: list[dict], deadline: float | None = None) -> list[dict]:
        """Concurrent single reports of one caller in one transaction, an answer each (see
        ``app.report_group``): what the gateway sends instead of one call per report."""
        who = Caller.model_validate(caller)
        _check_deadline(deadline, who)
        answers = app.report_group(self._ctx(), who, reports)
        self._wake_relay_and_count(who, [a.activity for a in answers if a.created], "recorded")
        return [a.model_dump(mode="json") for a in answers]

    @rpc
    def record_activities(self, caller: dict, rows: list[dict], skip_invalid: bool = False,
                          validate_only: bool = False, correct_changed: bool = False,
                          deadline: float | None = None) -> dict:
        """Up to 1,000 reports in one transaction, with a result per row (see ``app.report_batch``)."""
        who = Caller.model_validate(caller)
        _check_deadline(deadline, who)
        result = app.report_batch(self._ctx(), who, rows, skip_invalid, validate_only, correct_changed)
        if result.stored:
            rows = result.results
            self._wake_relay_and_count(who, [r.activity for r in rows if r.outcome == "created"], "recorded")
            self._wake_relay_and_count(who, [r.activity for r in rows if r.outcome == "corrected"], "corrected")
        return result.model_dump(mode="json")

    @rpc
    def correct_activity(self, caller: dict, activity_id: str, revision: int, content: dict, reason: str = "",
                         deadline: float | None = None) -> dict:
        who = Caller.model_validate(caller)
        _check_deadline(deadline, who)
        result, changed = app.correct(self._ctx(), who, activity_id, revision, content, reason)
        if changed:
            self._wake_relay_and_count(who, [result], "corrected")
        return result

    @rpc
    def retract_activity(self, caller: dict, activity_id: str, revision: int, reason: str,
                         deadline: float | None = None) -> dict:
        who = Caller.model_validate(caller)
        _check_deadline(deadline, who)
        result, changed = app.retract(self._ctx(), who, activity_id, revision, reason)
        if changed:
            self._wake_relay_and_count(who, [result], "retracted")
        return result

    @rpc
    def get_activity(self, caller: dict, activity_id: str) -> dict:
        return app.get(self._ctx(), Caller.model_validate(caller), activity_id)

    @rpc
    def activity_history(self, caller: dict, activity_id: str) -> list[dict]:
        return app.history(self._ctx(), Caller.model_validate(caller), activity_id)

    @rpc
    def list_activities(self, caller: dict, filters: dict | None = None, page_size: int = 0,
                        page_token: str = "") -> dict:
        return app.list_page(self._ctx(), Caller.model_validate(caller), filters or {}, page_size, page_token)

    @rpc
    def revisions_as_of(self, caller: dict, at: str) -> list[dict]:
        """Every activity revision recorded by ``at`` (an ISO time, or a day: its end in the
        county), for ``indicators.progress_as_of``: the figures known then."""
        try:
            moment = self.clock.moment(at)
        except ValueError as exc:
            raise BadRequest.of("at", "invalid", f"「{clip(at)}」不是日期或时间（如 2025-06-30）：{exc}") from None
        return app.revisions_known_at(self._ctx(), Caller.model_validate(caller), moment)

    # --- reporting periods (kepu.v1 ReportingService; reporting_gaps for ListProgress) -----------
    @rpc
    def submit_period(self, caller: dict, period: str, nil: bool = False) -> dict:
        """本期已报送 (``nil``: 本期无活动) for the caller's organisation; its reminder or
        逾期未报送 line resolves at once."""
        who = Caller.model_validate(caller)
        view = periods.submit_period(self._ctx(), who, period, nil, china(), self.clock.now())
        self._review_duties([who.org])
        return view

    @rpc
    def approve_period(self, caller: dict, org: str, period: str) -> dict:
        """审核: the office locks a submitted period."""
        return periods.approve_period(self._ctx(), Caller.model_validate(caller), org, period, china(),
                                      self.clock.now())

    @rpc
    def reopen_period(self, caller: dict, org: str, period: str, reason: str) -> dict:
        return periods.reopen_period(self._ctx(), Caller.model_validate(caller), org, period, reason, china(),
                                     self.clock.now())

    @rpc
    def reporting_gaps(self, first_year: int, last_year: int) -> dict[str, list]:
        """Each reporting organisation's missing periods between two years (the gateway's ListProgress)."""
        return periods.reporting_gaps(self._ctx(), first_year, last_year, china())

    @rpc
    def reporting_status(self, caller: dict, year: int | None = None, org: str | None = None) -> dict:
        """Every period of ``year`` (None: this year by the service's clock, or the nearest year of a plan)
        of the organisations the caller may read (or ``org``), with its state: ``{"year", "periods"}``."""
        ctx, who = self._ctx(), Caller.model_validate(caller)
        year = year or ctx.atlas.year_in_plan(ctx.caller_region(who), ctx.today)
        return {"year": year, "periods": periods.reporting_status(ctx, who, year, china(), org)}
