"""Validation of what a department reports: every problem names its field."""
from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from libs.common.errors import describe
from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.activities.domain import ActivityReport, check_against_plan, check_orgs, comparable

PLAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")
TODAY = dt.date(2024, 6, 30)
GOOD = {"activity_type": "caravan_tour", "start_date": "2024-05-01", "quantities": {"sessions": 3}}


def fields(bad: dict) -> set[str]:
    with pytest.raises(ValidationError) as info:
        ActivityReport.model_validate({**GOOD, **bad})
    return {f for f, _ in describe(info.value)}


def test_good_report_defaults_end_date():
    report = ActivityReport.model_validate(GOOD)
    assert report.end_date == dt.date(2024, 5, 1)
    assert check_against_plan(report, PLAN, TODAY) == []


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"start_date": "2024-13-01"}, "start_date"),
        ({"target_group": "aliens"}, "target_group"),
        ({"quantities": {}}, "quantities"),
        ({"surprise": 1}, "surprise"),
        ({"activity_type": ""}, "activity_type"),
    ],
)
def test_schema_errors_name_the_field(bad, field):
    assert field in fields(bad)


def test_end_before_start_and_negative_quantity_are_refused():
    assert fields({"end_date": "2024-04-30"}) == {"end_date"}
    assert fields({"quantities": {"sessions": -1}}) == {"quantities.sessions"}
    assert fields({"quantities": {"sessions": float("nan")}}) == {"quantities.sessions"}


def test_plan_checks_name_the_field():
    unknown = ActivityReport.model_validate({**GOOD, "activity_type": "moon_landing"})
    assert [f for f, _ in check_against_plan(unknown, PLAN, TODAY)] == ["activity_type"]
    wrong_qty = ActivityReport.model_validate({**GOOD, "quantities": {"people": 3}})
    assert [f for f, _ in check_against_plan(wrong_qty, PLAN, TODAY)] == ["quantities.people"]
    outside = ActivityReport.model_validate({**GOOD, "start_date": "2019-05-01"})
    assert [f for f, _ in check_against_plan(outside, PLAN, TODAY)] == ["start_date"]
    ends_late = ActivityReport.model_validate({**GOOD, "end_date": "2031-04-01"})
    assert [f for f, _ in check_against_plan(ends_late, PLAN, dt.date(2031, 5, 1))] == ["end_date"]


def test_activities_in_the_future_are_refused():
    future = ActivityReport.model_validate({**GOOD, "start_date": "2024-12-01"})
    (problem,) = check_against_plan(future, PLAN, TODAY)
    assert problem[0] == "start_date" and "in the future" in problem[1]
    assert check_against_plan(future, PLAN, dt.date(2024, 12, 1)) == []


def test_town_must_be_a_registered_town_and_co_organisers_must_exist():
    report = ActivityReport.model_validate({**GOOD, "town": "t1", "co_organisers": ["edu", "ghost"]})
    assert check_orgs(report, {"t1": "town", "edu": "department"}) == [
        ("co_organisers.1", "'ghost' is not a known organisation")]
    assert [f for f, _ in check_orgs(report, {"t1": "department", "edu": "department", "ghost": "body"})] == ["town"]


def test_comparable_content_ignores_the_form_of_numbers():
    a = ActivityReport.model_validate({**GOOD, "quantities": {"sessions": 3}})
    b = ActivityReport.model_validate({**GOOD, "quantities": {"sessions": 3.0}})
    c = ActivityReport.model_validate({**GOOD, "quantities": {"sessions": 4}})
    assert comparable(a) == comparable(b) != comparable(c)


@pytest.mark.parametrize("change", [
    {"activity_type": "science_day"}, {"title": "another title"}, {"town": "t2"}, {"target_group": "farmers"},
    {"co_organisers": ["edu"]}, {"start_date": "2024-05-02", "end_date": "2024-05-02"}, {"end_date": "2024-05-03"},
])
def test_every_reported_field_tells_a_conflicting_reuse_from_a_retry(change):
    """A resent external_id counts as a retry only when everything reported is the same."""
    base = ActivityReport.model_validate({**GOOD, "title": "caravan", "town": "t1", "end_date": "2024-05-01"})
    other = ActivityReport.model_validate({**base.model_dump(mode="json"), **change})
    assert comparable(other) != comparable(base)


def test_absurd_or_fractional_counts_are_refused_naming_the_quantity():
    def problems(quantities: dict) -> list[tuple[str, str]]:
        report = ActivityReport.model_validate({**GOOD, "activity_type": "caravan_tour", "quantities": quantities})
        return check_against_plan(report, PLAN, TODAY)

    (huge,) = problems({"sessions": 1.79e308})
    assert huge[0] == "quantities.sessions" and "at most" in huge[1]
    (half,) = problems({"sessions": 2.5})
    assert half == ("quantities.sessions", "2.5 is not a whole number of 场次")
    assert problems({"sessions": 3, "participants": 800}) == []
