"""The fictional county's reporting duties end to end in one process, on SQLite in memory: the
activities use cases judge them (``reminders.review_duties``), their ``reporting_duty_changed``
events go from activities' outbox to notifications' use cases, and digest rounds run on a clock
that moves only when told. No broker: a year is walked in seconds.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.events import Envelope, OrganisationChanged, ReportingDutyChanged
from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of
from libs.common.settings import REPO_ROOT
from libs.common.workdays import china
from services.activities import app as activities
from services.activities import periods, reminders
from services.activities.models import Base as ActivitiesBase
from services.activities.models import OutboxEvent
from services.notifications import app as notifications
from services.notifications.models import Base as NotificationsBase
from services.notifications.models import Digest
from tests.unit.notifications.county import settings

PLAN = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
CHINA = china()
SHANGHAI = ZoneInfo("Asia/Shanghai")
ASSOCIATION, LIBRARY, GOVERNMENT = "qinglan-science-association", "qinglan-library", "qinglan-gov"
TOWNS = ("town-a", "town-b")
OFFICE = GOVERNMENT  # the fictional plan names no leading-group office: its government stands in
ORGS = {GOVERNMENT: ("government", "青岚县人民政府"), ASSOCIATION: ("body", "青岚县科协"),
        LIBRARY: ("department", "青岚县图书馆"), "town-a": ("town", "东岚镇"), "town-b": ("town", "西岚镇")}


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)


def caller(org: str) -> Caller:
    return Caller(org=org, org_kind=ORGS[org][0], role="reporter", token_id=1)


class ReportingCounty:
    """Activities and notifications of the fictional county, each with its own database."""

    def __init__(self, hours: str = "09:00-18:00", office: str | None = OFFICE, **more):
        self.activities = Session(_engine(ActivitiesBase), expire_on_commit=False)
        self.notifications = Session(_engine(NotificationsBase))
        activities.apply_organisations(self.activities, [
            OrganisationChanged(code=code, name=name, kind=kind, changed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
            for code, (kind, name) in ORGS.items()])
        self.rules = dataclasses.replace(notifications.Rules.of(atlas_of([PLAN]), settings(
            hours, alert_working_days="china", **more)),
            offices={PLAN.meta.region.code: office} if office else {})
        self.published = 0  # outbox rows already handed to notifications
        self.events: list[Envelope] = []  # every reporting_duty_changed activities published
        self.digests: list[Digest] = []

    def ctx(self, day: dt.date) -> activities.Context:
        return activities.Context(self.activities, atlas_of([PLAN]), day)

    def judge(self, day: dt.date, orgs: list[str] | None = None) -> list[Envelope]:
        """Activities' clock round (or, with ``orgs``, its review after their submission or report) at
        09:00 on ``day``; what it published goes to notifications. Returns the events."""
        reminders.review_duties(self.ctx(day), CHINA, local(day, 9), orgs)
        rows = list(self.activities.scalars(select(OutboxEvent).where(OutboxEvent.id > self.published)
                                            .order_by(OutboxEvent.id)))
        self.published = rows[-1].id if rows else self.published
        envelopes = [Envelope.model_validate_json(r.body) for r in rows if r.event_type == "reporting_duty_changed"]
        self.events += envelopes
        if envelopes:
            notifications.apply_duty_changes(self.notifications, envelopes, self.rules, local(day, 9))
        return envelopes

    def submit(self, org: str, period: str, day: dt.date, nil: bool = False) -> None:
        periods.submit_period(self.ctx(day), caller(org), period, nil, CHINA, local(day, 9))
        self.judge(day, [org])

    def report(self, org: str, activity_type: str, start: dt.date, day: dt.date, **quantities: float) -> dict:
        done = activities.report_one(self.ctx(day), caller(org), {
            "activity_type": activity_type, "start_date": start.isoformat(), "quantities": quantities or {"visitors": 1},
            "external_id": f"{org}-{activity_type}-{start.isoformat()}"})
        self.judge(day, [org])
        return done

    def retract(self, org: str, activity_id: str, day: dt.date) -> None:
        activities.retract(self.ctx(day), caller(org), activity_id, 0, "误报")
        self.judge(day, [org])

    def changes(self) -> list[ReportingDutyChanged]:
        """Every change activities published so far, in order."""
        return [e.typed_payload() for e in self.events]

    def rounds(self, day: dt.date, times: tuple[tuple[int, int], ...] = ((9, 5), (11, 0), (17, 0))) -> list[Digest]:
        """Digest rounds on ``day`` at these local times (the service runs one every few seconds)."""
        made = []
        for hour, minute in times:
            made += notifications.run_round(self.notifications, self.rules, local(day, hour, minute))
        self.digests += made
        return made

    def day(self, day: dt.date) -> list[Digest]:
        self.judge(day)
        return self.rounds(day)


def _engine(base):
    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    return engine


def own_lines(digest: Digest) -> list[dict]:
    """The items of a digest about the recipient's own reporting duties."""
    return [i for i in digest.items if i.get("topic", "indicator") != "indicator" and i["scope"] == digest.org]


def numbered_lines(digest: Digest) -> list[str]:
    return [line for line in digest.text.splitlines() if line[:1].isdigit()]
