"""The reporting gauges (issue 19), on in-memory SQLite and the fictional plan on 2025-10-20:
expected / submitted / on time per organisation and period kind, and a per-period figure that is
there for a submitted period (0 for a nil report) and absent, never 0, for a missing one; each
series names its organisation's region (two fictional counties under a fictional city)."""
from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.events import OrganisationChanged
from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of, load_atlas
from libs.common.settings import REPO_ROOT
from libs.common.workdays import china
from services.activities import app, periods, reporting_figures
from services.activities.metrics import publish_reporting, publish_town_totals
from services.activities.models import Activity, Base

PLAN = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
QINGLAN = PLAN.meta.region.code  # the fictional plan's one region
TODAY = dt.date(2025, 10, 20)
NOW = dt.datetime(2025, 10, 20, 3, tzinfo=dt.timezone.utc)
STORED = dt.datetime(2025, 10, 19, 8, tzinfo=dt.timezone.utc)
TOWN = Caller(org="town-a", org_kind="town", role="reporter", token_id=5)
LIBRARY = Caller(org="qinglan-library", org_kind="department", role="reporter", token_id=1)
ORGS = (("town-a", "town"), ("qinglan-library", "department"), ("qinglan-science-association", "body"),
        ("qinglan-gov", "government"))


def activity(n: int, start: dt.date, retracted: bool = False) -> Activity:
    return Activity(id=f"a{n}", org="qinglan-library", external_id=f"e{n}", activity_type="caravan_tour", title="",
                    town=None, start_date=start, end_date=start, quantities={"sessions": 1}, retracted=retracted,
                    co_organisers=[], revision=1, created_at=STORED - dt.timedelta(days=n))


@pytest.fixture
def ctx():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        app.apply_organisations(session, [OrganisationChanged(code=c, name=c, kind=k, changed_at=NOW)
                                          for c, k in ORGS])
        session.add_all([activity(0, dt.date(2025, 3, 2)), activity(1, dt.date(2025, 3, 30)),
                         activity(2, dt.date(2025, 3, 9), retracted=True), activity(3, dt.date(2025, 4, 1)),
                         activity(4, dt.date(2024, 3, 5))])
        session.commit()
        ctx = app.Context(session, atlas_of([PLAN]), TODAY)
        periods.submit_period(ctx, TOWN, "2025Q3", True, china(), NOW)  # 本期无活动, on time (due 10-21)
        periods.submit_period(ctx, LIBRARY, "2025-03", False, china(), NOW)  # late
        periods.submit_period(ctx, LIBRARY, "2025-10", False, china(), NOW)  # early: the month still runs
        yield ctx


def sample(name: str, region: str = QINGLAN, **labels: str) -> float | None:
    """The series' value (None: no series); every series names its organisation's region."""
    return REGISTRY.get_sample_value(name, labels | {"region": region})


def test_a_submitted_period_has_its_activities_and_a_missing_one_has_no_value_at_all(ctx):
    publish_reporting(reporting_figures.read(ctx, china()))
    assert sample("kepu_period_activities", org="qinglan-library", period="2025-03") == 2  # retraction excluded
    assert sample("kepu_period_activities", org="qinglan-library", period="2025-10") == 0
    assert sample("kepu_period_activities", org="town-a", period="2025Q3") == 0  # a nil report: a true zero
    assert sample("kepu_period_activities", org="town-a", period="2025Q2") is None  # missing: no series
    assert sample("kepu_period_activities", org="qinglan-library", period="2025-04") is None  # 1 activity, missing
    assert sample("kepu_reporting_period_state_code", org="town-a", period="2025Q2") == 4
    assert sample("kepu_reporting_period_state_code", org="town-a", period="2025Q4") == 0
    assert sample("kepu_reporting_period_state_code", org="qinglan-library", period="2025-11") is None  # not begun


def test_expected_submitted_and_on_time_per_organisation_and_period_kind(ctx):
    publish_reporting(reporting_figures.read(ctx, china()))

    def counts(org: str, every: str) -> tuple:
        return tuple(sample(f"kepu_reporting_{what}_periods", org=org, every=every)
                     for what in ("expected", "submitted", "on_time"))

    # September's deadline (5 working days after the National Day holiday) has passed; October came in early
    assert counts("qinglan-library", "month") == (10, 2, 1)
    assert counts("town-a", "quarter") == (3, 1, 1)  # Q1, Q2 missing; Q3 nil on time; Q4 open
    assert counts("qinglan-science-association", "half_year") == (1, 0, 0)  # a true 0 of periods submitted
    assert counts("qinglan-gov", "quarter") == (None, None, None)  # exempt: reports to nobody


def test_the_last_activity_stored_per_organisation_and_series_that_are_gone_are_dropped(ctx):
    publish_reporting(reporting_figures.read(ctx, china()))
    assert sample("kepu_activity_last_recorded_timestamp_seconds", org="qinglan-library") == STORED.timestamp()
    assert sample("kepu_activity_last_recorded_timestamp_seconds", org="town-a") is None  # never reported
    publish_reporting(reporting_figures.ReportingFigures([], {}))
    assert sample("kepu_period_activities", org="qinglan-library", period="2025-03") is None


# --- two regions (tests/plans/regions: the fictional city 西云市 over 清河县 and 白沙县) ---------------

REGIONS = load_atlas(REPO_ROOT / "tests" / "plans" / "regions")
IN_2026 = dt.datetime(2026, 10, 19, 8, tzinfo=dt.timezone.utc)


def town(code: str, region: str) -> OrganisationChanged:
    """A town registered later (no plan names it): its region as organisations says."""
    return OrganisationChanged(code=code, name=code, kind="town", parent=f"{region}-towns", region=region,
                               changed_at=IN_2026)


def reported(n: int, org: str, town_code: str) -> Activity:
    return Activity(id=f"r{n}", org=org, region=org.split("-")[0], external_id=f"r{n}", activity_type="caravan_tour",
                    title="", town=town_code, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 9, 1),
                    quantities={"sessions": 1, "participants": 40}, retracted=False, co_organisers=[], revision=1,
                    created_at=IN_2026 - dt.timedelta(days=n))


def test_each_organisation_s_and_town_s_series_name_its_own_region():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        units = [OrganisationChanged(code=o.code, name=o.name, kind=o.kind, changed_at=IN_2026)  # no region said:
                 for _, o in REGIONS.organisations()]  # as the plans name them
        app.apply_organisations(session, [*units, town("qinghe-town-1", "qinghe"), town("baisha-town-1", "baisha")])
        session.add_all([reported(1, "qinghe-cast", "qinghe-town-1"), reported(2, "baisha-cast", "baisha-town-1"),
                         reported(3, "baisha-edu", "baisha-town-1")])
        session.commit()
        ctx = app.Context(session, REGIONS, dt.date(2026, 10, 20))
        publish_reporting(reporting_figures.read(ctx, china()))
        publish_town_totals(reporting_figures.towns(ctx))

    expected = "kepu_reporting_expected_periods"
    assert sample(expected, "qinghe", org="qinghe-cast", every="quarter") == 2  # Q1, Q2 missing (Q3 is due after the holiday)
    assert sample(expected, "baisha", org="qinghe-cast", every="quarter") is None
    assert sample(expected, "baisha", org="baisha-cast", every="quarter") == 2
    assert sample(expected, "xiyun", org="xiyun-cast", every="quarter") == 2  # the city's own units: the city's
    assert sample("kepu_reporting_period_state_code", "baisha", org="baisha-edu", period="2026Q2") == 4
    last = "kepu_activity_last_recorded_timestamp_seconds"
    assert sample(last, "qinghe", org="qinghe-cast") == (IN_2026 - dt.timedelta(days=1)).timestamp()
    assert sample(last, "baisha", org="baisha-cast") == (IN_2026 - dt.timedelta(days=2)).timestamp()
    assert sample("kepu_town_activities", "qinghe", town="qinghe-town-1", year="2026") == 1
    assert sample("kepu_town_activities", "baisha", town="baisha-town-1", year="2026") == 2
    assert sample("kepu_town_participants", "baisha", town="baisha-town-1", year="2026") == 80
    assert sample("kepu_town_activities", "qinghe", town="baisha-town-1", year="2026") is None
