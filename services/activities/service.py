"""nameko service ``activities``: accepts reports, stores them with their event (outbox)."""
from __future__ import annotations

from nameko.exceptions import BadRequest
from nameko.rpc import rpc
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from libs.common.db import Database
from libs.common.health import HealthMixin
from libs.common.errors import invalid
from libs.common.events import make_envelope
from libs.common.metrics import MetricsEndpoint
from libs.common.outbox import OutboxRelay, add_to_outbox
from libs.common.plan.provider import PlanProvider
from services.activities import domain
from services.activities.metrics import ACTIVITIES_RECORDED
from services.activities.models import Activity, ActivityAudit, Base, OutboxEvent


def _activity_dict(a: Activity) -> dict:
    return {
        "activity_id": a.id, "org": a.org, "external_id": a.external_id, "revision": a.revision,
        "retracted": a.retracted, "activity_type": a.activity_type, "title": a.title, "town": a.town,
        "target_group": a.target_group, "co_organisers": a.co_organisers,
        "start_date": a.start_date.isoformat(), "end_date": a.end_date.isoformat(), "quantities": a.quantities,
    }


class ActivitiesService(HealthMixin):
    name = "activities"

    db: Session = Database(Base, "activities")
    outbox = OutboxRelay(OutboxEvent, "activities")
    plan = PlanProvider()
    metrics = MetricsEndpoint("activities")

    @rpc
    def record_activity(self, org: str, report: dict) -> dict:
        """Validate and store one activity of ``org`` with its event, in one transaction.

        ``org`` is the authenticated organisation (the gateway sets it from the token), so a
        department can only write its own data. Resending the same ``external_id`` returns the
        stored activity instead of counting it twice.
        """
        try:
            parsed = domain.ActivityReport.model_validate(report)
        except ValidationError as exc:
            raise invalid(exc) from None
        problems = domain.check_against_plan(parsed, self.plan.plan)
        if problems:
            raise BadRequest("\n".join(f"{f}: {m}" for f, m in problems))
        if parsed.external_id:
            existing = self.db.scalar(
                select(Activity).where(Activity.org == org, Activity.external_id == parsed.external_id)
            )
            if existing is not None:
                return {**_activity_dict(existing), "created": False}
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
            existing = self.db.scalar(
                select(Activity).where(Activity.org == org, Activity.external_id == parsed.external_id)
            )
            if existing is None:
                raise
            return {**_activity_dict(existing), "created": False}
        self.outbox.wake()
        ACTIVITIES_RECORDED.labels(parsed.activity_type, org).inc()
        return {**_activity_dict(activity), "created": True}

    @rpc
    def reload_plan(self) -> str:
        """Read the plan file again (new activity types or quantities take effect now)."""
        return self.plan.reload().plan.code

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
