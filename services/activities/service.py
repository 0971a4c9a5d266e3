"""nameko service ``activities``: accepts reports, stores them with their event (outbox)."""
from __future__ import annotations

import logging
import time

from nameko.rpc import RpcProxy, rpc
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from libs.common.clock import ClockMixin
from libs.common.db import Database
from libs.common.errors import Conflict, bad_request, invalid
from libs.common.events import make_envelope
from libs.common.health import HealthMixin
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay, add_to_outbox
from libs.common.plan.provider import PlanMixin
from services.activities import domain
from services.activities.metrics import ACTIVITIES_RECORDED
from services.activities.models import Activity, ActivityAudit, Base, OutboxEvent

log = logging.getLogger(__name__)


def _activity_dict(a: Activity) -> dict:
    return {
        "activity_id": a.id, "org": a.org, "external_id": a.external_id, "revision": a.revision,
        "retracted": a.retracted, "activity_type": a.activity_type, "title": a.title, "town": a.town,
        "target_group": a.target_group, "co_organisers": a.co_organisers,
        "start_date": a.start_date.isoformat(), "end_date": a.end_date.isoformat(), "quantities": a.quantities,
    }


class RequestExpired(Exception):
    """A request that arrived after its caller's deadline (it is not acted on)."""


ORG_CACHE_SECONDS = 60.0
_ORG_KINDS: dict[str, tuple[str, float]] = {}  # code -> (kind, when learnt); towns are never deleted


class ActivitiesService(HealthMixin, ClockMixin, PlanMixin):
    name = "activities"

    db: Session = Database(Base, "activities")
    outbox = OutboxRelay(OutboxEvent, "activities")
    metrics = MetricsEndpoint("activities")
    organisations = RpcProxy("organisations")

    def _org_kinds(self, codes: list[str]) -> dict[str, str]:
        """Kinds of the named organisations, asking the organisations service for unknown ones."""
        now = time.monotonic()
        missing = [c for c in codes if c not in _ORG_KINDS or now - _ORG_KINDS[c][1] > ORG_CACHE_SECONDS]
        if missing:
            for code, kind in self.organisations.org_kinds(missing).items():
                _ORG_KINDS[code] = (kind, now)
        return {c: _ORG_KINDS[c][0] for c in codes if c in _ORG_KINDS}

    def _existing(self, org: str, parsed: domain.ActivityReport) -> dict | None:
        """The stored activity for a resent external_id; a conflict if its content differs."""
        existing = self.db.scalar(
            select(Activity).where(Activity.org == org, Activity.external_id == parsed.external_id))
        if existing is None:
            return None
        stored, resent = _activity_dict(existing), domain.comparable(parsed)
        if {k: stored[k] for k in resent} != resent:
            raise Conflict(f"external_id: {parsed.external_id!r} was already used for activity "
                           f"{existing.id} with other content; use a new external_id for a new activity")
        return {**stored, "created": False}

    @rpc
    def record_activity(self, org: str, report: dict, deadline: float | None = None) -> dict:
        """Validate and store one activity of ``org`` with its event, in one transaction.

        ``org`` is the authenticated organisation (the gateway sets it from the token), so a
        department can only write its own data. Resending the same ``external_id`` returns the
        stored activity instead of counting it twice. Past ``deadline`` (epoch seconds) the
        caller has already been told "no answer", so the request is dropped, not stored.
        """
        if deadline is not None and time.time() > deadline:
            log.warning("dropped a report from %s that arrived after its caller gave up", org)
            raise RequestExpired("the caller stopped waiting for this report; it was not stored")
        try:
            parsed = domain.ActivityReport.model_validate(report)
        except ValidationError as exc:
            raise invalid(exc) from None
        problems = domain.check_against_plan(parsed, self.plan.plan, self.clock.today())
        if not problems and (referenced := domain.referenced_orgs(parsed)):
            problems = domain.check_orgs(parsed, self._org_kinds(referenced))
        if problems:
            raise bad_request(problems)
        if parsed.external_id and (existing := self._existing(org, parsed)):
            return existing
        activity = Activity(
            id=domain.new_activity_id(), org=org, external_id=parsed.external_id,
            activity_type=parsed.activity_type, title=parsed.title, town=parsed.town,
            target_group=parsed.target_group, co_organisers=parsed.co_organisers,
            start_date=parsed.start_date, end_date=parsed.end_date, quantities=parsed.quantities,
        )
        self.db.add(activity)
        self.db.flush()
        self.db.add(ActivityAudit(activity_id=activity.id, revision=1, action="recorded", by_org=org,
                                  snapshot=_activity_dict(activity)))
        event = domain.recorded_event(activity.id, org, parsed)
        add_to_outbox(self.db, OutboxEvent, make_envelope(self.name, event))
        try:
            self.db.commit()
        except IntegrityError:  # the same external_id raced in from a concurrent retry
            self.db.rollback()
            existing = self._existing(org, parsed)
            if existing is None:
                raise
            return existing
        self.outbox.wake()
        ACTIVITIES_RECORDED.labels(parsed.activity_type, org).inc()
        return {**_activity_dict(activity), "created": True}


    @rpc
    def get_activity(self, activity_id: str) -> dict | None:
        activity = self.db.get(Activity, activity_id)
        return _activity_dict(activity) if activity else None

    @rpc
    def list_activities(self, org: str | None = None, limit: int = 100) -> list[dict]:
        query = select(Activity).order_by(Activity.created_at.desc()).limit(limit)
        if org:
            query = query.where(Activity.org == org)
        return [_activity_dict(a) for a in self.db.scalars(query)]
