"""A year's progress as known at a past moment (``as_of.progress_as_of``), on the fictional county
in one process and SQLite in memory: activities records reports, corrections and retractions at
moments the test names; their events are counted by indicators' live store as they come; the
live answer of ``year_progress`` is kept at a moment T, and the as-of answer, worked out later
from the revisions activities recorded by T, must be the same."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.clock import Clock
from libs.common.errors import PermissionDenied
from libs.common.events import ActivityRecorded, OrganisationChanged
from libs.common.plan.atlas import Atlas
from services.activities import app as activities
from services.activities.models import Base as ActivitiesBase
from services.activities.models import OutboxEvent
from services.indicators import app as indicators
from services.indicators.as_of import progress_as_of
from services.indicators.models import Base as IndicatorsBase
from services.indicators.schemas import YearProgress
from tests.unit.indicators.conftest import Work
from tests.unit.indicators.fictional import ATLAS, ORG, stock_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK = Clock()  # the county's zone: what a day named as a moment means
LIBRARY = Caller(org=ORG, org_kind="department", role="reporter", token_id=1)
ADMIN = Caller(org="qinglan-science-association", org_kind="body", role="admin", token_id=2)
JUNE_END = CLOCK.moment("2024-06-30")  # T: the end of the second quarter


def at(day: str, hour: int = 10) -> dt.datetime:
    """A moment in the county: ``day`` at ``hour`` o'clock, Beijing time."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), SHANGHAI).astimezone(dt.timezone.utc)


class County:
    """Activities and indicators of the fictional county, each with its own database; every event
    activities stages is counted by indicators on the day it was recorded."""

    def __init__(self, plan: Atlas = ATLAS):
        self.plan = plan
        self.activities = Session(_engine(ActivitiesBase), expire_on_commit=False)
        self.indicators = Work(Session(_engine(IndicatorsBase), expire_on_commit=False))
        self.delivered = 0  # activities' outbox rows already counted
        activities.apply_organisations(self.activities, [
            OrganisationChanged(code=code, name=code, kind=kind, changed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
            for code, kind in ((ORG, "department"), (ADMIN.org, "body"), ("town-a", "town"))])

    def ctx(self, moment: dt.datetime) -> activities.Context:
        return activities.Context(self.activities, self.plan, CLOCK.day_of(moment), moment)

    def report(self, moment: dt.datetime, external_id: str, start: str, booths: float, visitors: float = 10) -> dict:
        done = activities.report_one(self.ctx(moment), LIBRARY, {
            "activity_type": "star_night", "start_date": start, "town": "town-a", "external_id": external_id,
            "quantities": {"booths": booths, "visitors": visitors}})
        self._count(moment)
        return done

    def correct(self, moment: dt.datetime, done: dict, booths: float, visitors: float = 10) -> dict:
        content = {"activity_type": "star_night", "start_date": done["start_date"], "town": "town-a",
                   "quantities": {"booths": booths, "visitors": visitors}}
        corrected, _ = activities.correct(self.ctx(moment), LIBRARY, done["activity_id"], done["revision"], content)
        self._count(moment)
        return corrected

    def retract(self, moment: dt.datetime, done: dict) -> None:
        activities.retract(self.ctx(moment), LIBRARY, done["activity_id"], done["revision"], "误报")
        self._count(moment)

    def _count(self, moment: dt.datetime) -> None:
        rows = list(self.activities.scalars(select(OutboxEvent).where(OutboxEvent.id > self.delivered)
                                            .order_by(OutboxEvent.id)))
        self.delivered = rows[-1].id if rows else self.delivered
        indicators.count_activities(self.indicators, self.plan, [json.loads(r.body) for r in rows], CLOCK.day_of(moment))

    def listed(self, moment: dt.datetime, year: int = 2024) -> YearProgress:
        """What ``list_progress`` answers at ``moment``, after the clock's evaluation of its day."""
        indicators.judge_on_the_clock(self.indicators, self.plan, CLOCK.day_of(moment))
        return indicators.year_progress(self.indicators, self.plan, CLOCK.day_of(moment), year)

    def as_of(self, moment: dt.datetime, year: int = 2024) -> YearProgress:
        """The as-of answer for ``moment``, from the revisions activities recorded by then."""
        known = activities.revisions_known_at(self.ctx(at("2024-12-31")), ADMIN, moment)
        return progress_as_of(self.plan, [ActivityRecorded.model_validate(r) for r in known],
                              CLOCK.day_of(moment), year)


def _engine(base):
    engine = create_engine("sqlite://")
    base.metadata.create_all(engine)
    return engine


def figures(progress: YearProgress) -> dict:
    """The answer without the ``as_of`` of the windows only events move (breakdowns and tracking
    counts, whose status is ``tracking``): in the live store the day each last moved, in the as-of
    answer T's day. Everything else is compared."""
    answer = progress.model_dump()
    for window in answer["indicators"]:
        for row in [window["total"], *window["by_org"], *window["by_town"]]:
            if row and row["status"] == "tracking":
                row["as_of"] = None
    return answer


def window(progress: YearProgress, indicator: str, key: str = "2024"):
    return next(w for w in progress.indicators if w.indicator == indicator and w.window == key)


@pytest.mark.parametrize("plan", [ATLAS, stock_plan()], ids=["fictional", "with-a-stock"])
def test_at_the_present_moment_the_answer_is_list_progress(plan):
    county = County(plan)
    kept = county.report(at("2024-06-20", 8), "a", "2024-03-01", booths=2)
    county.correct(at("2024-06-20", 9), kept, booths=3, visitors=40)
    county.retract(at("2024-06-20", 11), county.report(at("2024-06-20", 10), "b", "2024-04-20", booths=1))
    county.report(at("2024-06-20", 12), "c", "2024-06-09", booths=1, visitors=25)
    now = at("2024-06-20", 15)
    assert county.as_of(now) == county.listed(now)
    assert window(county.as_of(now), "star-night-booths").total.actual == 4


def test_what_was_counted_over_months_is_list_progress_of_today_but_for_the_days_counts_last_moved():
    county = County(stock_plan())
    kept = county.report(at("2024-03-02"), "a", "2024-03-01", booths=2)
    county.correct(at("2024-04-02"), kept, booths=3, visitors=40)
    county.retract(at("2024-05-02"), county.report(at("2024-05-01"), "b", "2024-04-20", booths=1))
    county.report(at("2024-06-10"), "c", "2024-06-09", booths=1, visitors=25)
    now = at("2024-06-20", 15)
    assert figures(county.as_of(now)) == figures(county.listed(now))


def test_a_report_recorded_after_the_moment_does_not_count_even_dated_before_it():
    county = County()
    county.report(at("2024-06-10"), "a", "2024-06-09", booths=2)
    then = county.listed(JUNE_END)
    county.report(at("2024-07-03"), "late", "2024-06-28", booths=5)  # dated in June, recorded in July
    assert window(county.listed(at("2024-07-03")), "star-night-booths").total.actual == 7
    assert figures(county.as_of(JUNE_END)) == figures(then)
    assert window(county.as_of(JUNE_END), "star-night-booths").total.actual == 2


def test_a_correction_after_the_moment_leaves_its_figure_and_a_retraction_after_it_still_counts():
    county = County()
    corrected = county.report(at("2024-05-10"), "a", "2024-05-09", booths=2, visitors=100)
    retracted = county.report(at("2024-06-10"), "b", "2024-06-09", booths=1, visitors=50)
    then = county.listed(JUNE_END)
    county.correct(at("2024-07-01", 9), corrected, booths=4, visitors=300)
    county.retract(at("2024-07-02"), retracted)
    later = county.as_of(JUNE_END)
    assert figures(later) == figures(then)
    booths = window(later, "star-night-booths")
    assert booths.total.actual == 3 and [(r.scope, r.actual) for r in booths.by_town] == [("town:town-a", 3)]
    assert window(later, "star-night-visitors", "2024-2026").total.actual == 150
    assert window(county.listed(at("2024-07-02")), "star-night-booths").total.actual == 4


def test_statuses_are_judged_as_the_evaluation_on_that_date_judged_them():
    county = County()
    county.report(at("2024-05-10"), "a", "2024-05-09", booths=1)
    then = county.listed(JUNE_END)
    county.report(at("2024-07-10"), "b", "2024-07-09", booths=6)
    assert window(county.listed(at("2024-07-10")), "star-night-booths").total.status == "achieved"
    booths = window(county.as_of(JUNE_END), "star-night-booths").total
    assert (booths.status, booths.actual, booths.expected, booths.as_of) == ("lagging", 1, pytest.approx(2.98, abs=0.01),
                                                                             "2024-06-30")
    assert figures(county.as_of(JUNE_END)) == figures(then)


def test_a_moment_before_any_report_shows_the_windows_started_with_nothing_counted():
    county = County()
    county.report(at("2024-03-02"), "a", "2024-03-01", booths=2)
    early = county.as_of(at("2024-02-01"))
    booths = window(early, "star-night-booths")
    assert (booths.total.actual, booths.total.status, booths.by_org) == (0, "at_risk", [])
    assert early.year == 2024 and {w.indicator for w in early.indicators} >= {"star-night-booths"}


def test_only_the_office_reads_every_revision_known_at_a_moment():
    county = County()
    with pytest.raises(PermissionDenied):
        activities.revisions_known_at(county.ctx(at("2024-06-10")), LIBRARY, JUNE_END)


def test_a_day_named_as_the_moment_means_its_end_in_the_county():
    assert CLOCK.moment("2024-06-30") == dt.datetime(2024, 6, 30, 15, 59, 59, 999999, tzinfo=dt.timezone.utc)
    assert CLOCK.moment("2024-06-30T12:00") == dt.datetime(2024, 6, 30, 4, tzinfo=dt.timezone.utc)
    assert CLOCK.moment("2024-06-30T12:00+00:00") == dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)
    assert CLOCK.day_of(CLOCK.moment("2024-06-30")) == dt.date(2024, 6, 30)
    with pytest.raises(ValueError):
        CLOCK.moment("end of June")
