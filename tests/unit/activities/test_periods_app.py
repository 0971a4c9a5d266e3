"""Reporting periods in the activities service, on in-memory SQLite and the fictional plan:
submitting (nil reports too), approving (locks), reopening, and reading where periods stand."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.errors import BadRequest, FailedPrecondition, Locked, PermissionDenied
from libs.common.events import OrganisationChanged
from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of
from libs.common.settings import REPO_ROOT
from libs.common.workdays import china
from services.activities import app, periods
from services.activities.models import Base, PeriodAudit

PLAN = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
TODAY = dt.date(2025, 10, 20)
NOW = dt.datetime(2025, 10, 20, 3, tzinfo=dt.timezone.utc)
CHINA = china()
TOWN = Caller(org="town-a", org_kind="town", role="reporter", token_id=5)
LIBRARY = Caller(org="qinglan-library", org_kind="department", role="reporter", token_id=1)
ADMIN = Caller(org="qinglan-science-association", org_kind="body", role="admin", token_id=3, account="office-li")


@pytest.fixture
def ctx():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        app.apply_organisations(session, [OrganisationChanged(code=c, name=c, kind=k, changed_at=NOW) for c, k in (
            ("town-a", "town"), ("qinglan-library", "department"), ("qinglan-science-association", "body"))])
        yield app.Context(session, atlas_of([PLAN]), TODAY)


def test_a_town_submits_its_quarter_as_a_nil_report_and_it_is_on_time(ctx):
    view = periods.submit_period(ctx, TOWN, "2025Q3", True, CHINA, NOW)
    assert (view["state"], view["nil"], view["due"]) == ("on_time", True, "2025-10-21")


def test_a_period_not_submitted_is_due_then_missing_never_zero(ctx):
    status = {(s["org"], s["period"]): s for s in periods.reporting_status(ctx, TOWN, 2025, CHINA)}
    assert status[("town-a", "2025Q3")]["state"] == "due"
    assert status[("town-a", "2025Q2")]["state"] == "missing"
    assert status[("town-a", "2025Q4")]["state"] == "open"
    assert "actual" not in status[("town-a", "2025Q2")]  # no figure at all, least of all a 0
    assert {o for o, _ in status} == {"town-a"}  # a reporter sees its own


def test_a_period_key_that_is_not_the_duty_s_names_the_field(ctx):
    with pytest.raises(BadRequest) as refused:
        periods.submit_period(ctx, LIBRARY, "2025Q3", False, CHINA, NOW)  # the library reports monthly
    assert refused.value.violations[0][:2] == ("period", "unknown_period")
    assert "每月" in refused.value.violations[0].message


def test_approval_locks_and_reopening_with_a_reason_unlocks_both_in_the_audit(ctx):
    periods.submit_period(ctx, TOWN, "2025Q3", False, CHINA, NOW)
    with pytest.raises(PermissionDenied):
        periods.approve_period(ctx, TOWN, "town-a", "2025Q3", CHINA, NOW)
    periods.approve_period(ctx, ADMIN, "town-a", "2025Q3", CHINA, NOW)
    with pytest.raises(Locked) as locked:
        periods.submit_period(ctx, TOWN, "2025Q3", True, CHINA, NOW)
    assert locked.value.violations[0].code == "period_locked" and "审核锁定" in locked.value.violations[0].message
    with pytest.raises(BadRequest):
        periods.reopen_period(ctx, ADMIN, "town-a", "2025Q3", "", CHINA, NOW)
    periods.reopen_period(ctx, ADMIN, "town-a", "2025Q3", "补报两场活动", CHINA, NOW)
    periods.submit_period(ctx, TOWN, "2025Q3", True, CHINA, NOW)
    actions = [(a.action, a.by_account, a.reason) for a in ctx.session.scalars(select(PeriodAudit).order_by(PeriodAudit.id))]
    assert actions == [("submitted", None, None), ("approved", "office-li", None),
                       ("reopened", "office-li", "补报两场活动"), ("submitted", None, None)]


def test_approving_what_was_never_submitted_is_refused(ctx):
    with pytest.raises(FailedPrecondition) as refused:
        periods.approve_period(ctx, ADMIN, "town-a", "2025Q2", CHINA, NOW)
    assert "尚未报送" in str(refused.value)


def test_an_approved_period_refuses_new_reports_corrections_and_retractions_but_a_resend_still_answers(ctx):
    report = {"activity_type": "star_night", "start_date": "2025-08-02", "quantities": {"booths": 1, "visitors": 30},
              "external_id": "town-a-star-1", "town": "town-a"}
    stored = app.report_one(ctx, TOWN, report)
    periods.submit_period(ctx, TOWN, "2025Q3", False, CHINA, NOW)
    periods.approve_period(ctx, ADMIN, "town-a", "2025Q3", CHINA, NOW)
    assert app.report_one(ctx, TOWN, report)["created"] is False  # the same report again: a resend
    with pytest.raises(Locked) as refused:
        app.report_one(ctx, TOWN, {**report, "external_id": "town-a-star-2"})
    assert refused.value.violations[0][:2] == ("start_date", "period_locked")
    assert "2025年第三季度已于2025年10月20日审核锁定（审核人：office-li）" in refused.value.violations[0].message
    with pytest.raises(Locked):
        app.report_batch(ctx, TOWN, [{**report, "external_id": "town-a-star-3"}])
    with pytest.raises(Locked):
        app.correct(ctx, TOWN, stored["activity_id"], 1, {**report, "quantities": {"booths": 2, "visitors": 30}})
    with pytest.raises(Locked):  # the office too: it reopens the period first
        app.retract(ctx, ADMIN, stored["activity_id"], 1, "重复")
    moved = {**report, "start_date": "2025-10-02", "quantities": {"booths": 2, "visitors": 30}}
    with pytest.raises(Locked):  # moving it out of the locked quarter changes the locked quarter
        app.correct(ctx, TOWN, stored["activity_id"], 1, moved)
    periods.reopen_period(ctx, ADMIN, "town-a", "2025Q3", "补报", CHINA, NOW)
    assert app.correct(ctx, TOWN, stored["activity_id"], 1, moved)[1] is True
    assert app.report_one(ctx, TOWN, {**report, "external_id": "town-a-star-2"})["created"] is True


def test_a_period_s_activities_have_no_value_until_reported_or_submitted_and_a_nil_report_is_zero(ctx):
    status = {s["period"]: s for s in periods.reporting_status(ctx, TOWN, 2025, CHINA)}
    assert status["2025Q2"]["activities"] is None  # missing: not known to be zero
    nil = periods.submit_period(ctx, TOWN, "2025Q2", True, CHINA, NOW)
    assert (nil["state"], nil["nil"], nil["activities"]) == ("late", True, 0)  # a nil report: truly zero
    app.report_one(ctx, TOWN, {"activity_type": "star_night", "start_date": "2025-05-02", "town": "town-a",
                               "quantities": {"booths": 1, "visitors": 30}, "external_id": "late-one"})
    status = {s["period"]: s for s in periods.reporting_status(ctx, ADMIN, 2025, CHINA, org="town-a")}
    assert (status["2025Q2"]["nil"], status["2025Q2"]["activities"]) == (False, 1)  # no longer 本期无活动
    with pytest.raises(PermissionDenied):
        periods.reporting_status(ctx, TOWN, 2025, CHINA, org="qinglan-library")
