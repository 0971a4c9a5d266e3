"""Validation of what a department reports: every refusal names its field and a code (on the
fictional plan, so that the Dangshan encoding can change without touching these rules)."""
from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from libs.common.contracts.activity import ActivityReport
from libs.common.errors import Violation, describe
from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.activities.domain import check_against_plan, check_orgs, outcome_for

PLAN = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
TODAY = dt.date(2024, 6, 30)
GOOD = {"activity_type": "star_night", "start_date": "2024-05-01", "quantities": {"booths": 3}}


def fields(bad: dict) -> set[str]:
    with pytest.raises(ValidationError) as info:
        ActivityReport.model_validate({**GOOD, **bad})
    return {v.field for v in describe(info.value)}


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


def test_schema_errors_carry_pydantic_s_code():
    with pytest.raises(ValidationError) as info:
        ActivityReport.model_validate({"quantities": {"booths": 1}})
    assert {(v.field, v.code) for v in describe(info.value)} == {("activity_type", "missing"),
                                                                 ("start_date", "missing")}


def test_end_before_start_and_negative_quantity_are_refused():
    assert fields({"end_date": "2024-04-30"}) == {"end_date"}
    assert fields({"quantities": {"booths": -1}}) == {"quantities.booths"}
    assert fields({"quantities": {"booths": float("nan")}}) == {"quantities.booths"}


def codes(report: dict, today: dt.date = TODAY) -> list[tuple[str, str]]:
    return [(v.field, v.code) for v in check_against_plan(ActivityReport.model_validate({**GOOD, **report}), PLAN,
                                                          today)]


def test_plan_checks_name_the_field_and_the_kind_of_problem():
    assert codes({"activity_type": "moon_landing"}) == [("activity_type", "unknown_activity_type")]
    assert codes({"quantities": {"people": 3}}) == [("quantities.people", "quantity_not_carried")]
    assert codes({"start_date": "2019-05-01"}) == [("start_date", "outside_plan_period")]
    assert codes({"end_date": "2027-04-01"}, dt.date(2027, 5, 1)) == [("end_date", "outside_plan_period")]


def test_activities_in_the_future_are_refused():
    future = ActivityReport.model_validate({**GOOD, "start_date": "2024-12-01"})
    (problem,) = check_against_plan(future, PLAN, TODAY)
    assert problem.field == "start_date" and problem.code == "in_future" and "晚于今天" in problem.message
    assert check_against_plan(future, PLAN, dt.date(2024, 12, 1)) == []


def test_town_must_be_a_registered_town_and_co_organisers_must_exist():
    report = ActivityReport.model_validate({**GOOD, "town": "t1", "co_organisers": ["qinglan-library", "ghost"]})
    assert check_orgs(report, {"t1": "town", "qinglan-library": "department"}, "qinglan-gov") == [
        Violation("co_organisers.1", "unknown_organisation", "「ghost」不是已知的单位代码；请核对协办单位的代码")]
    kinds = {"t1": "department", "qinglan-library": "department", "ghost": "body"}
    assert [v.field for v in check_orgs(report, kinds, "qinglan-gov")] == ["town"]


@pytest.mark.parametrize(("co_organiser", "kind", "code"), [
    ("qinglan-library", "department", "self"),  # the reporter itself
    ("qinglan", "county", "not_an_organiser"),  # the region as a whole
    ("qinglan-townships", "town_category", "not_an_organiser"),  # 各乡镇: a category, not an organisation
])
def test_a_co_organiser_is_another_organisation_that_can_organise(co_organiser, kind, code):
    report = ActivityReport.model_validate({**GOOD, "co_organisers": [co_organiser]})
    (problem,) = check_orgs(report, {co_organiser: kind}, "qinglan-library")
    assert (problem.field, problem.code) == ("co_organisers.0", code)
    assert check_orgs(report, {co_organiser: "body"}, "qinglan-gov") == []


def test_an_activity_still_running_is_not_reported_as_done():
    running = ActivityReport.model_validate({**GOOD, "start_date": "2024-06-28", "end_date": "2024-07-02"})
    assert [(v.field, v.code) for v in check_against_plan(running, PLAN, TODAY)] == [("end_date", "in_future")]


def test_the_content_ignores_the_form_of_numbers_and_the_ids():
    a = ActivityReport.model_validate({**GOOD, "quantities": {"booths": 3}, "external_id": "a"})
    b = ActivityReport.model_validate({**GOOD, "quantities": {"booths": 3.0}, "external_id": "b"})
    c = ActivityReport.model_validate({**GOOD, "quantities": {"booths": 4}})
    assert a.content() == b.content() != c.content()


@pytest.mark.parametrize("change", [
    {"activity_type": "steering_meeting"}, {"title": "another title"}, {"town": "t2"}, {"target_group": "farmers"},
    {"co_organisers": ["qinglan-library"]}, {"start_date": "2024-05-02", "end_date": "2024-05-02"},
    {"end_date": "2024-05-03"}, {"quantities": {"booths": 3, "visitors": 1}},
])
def test_every_reported_field_tells_a_conflicting_reuse_from_a_retry(change):
    """A resent external_id counts as a retry only when everything reported is the same."""
    base = ActivityReport.model_validate({**GOOD, "title": "star", "town": "t1", "end_date": "2024-05-01"})
    other = ActivityReport.model_validate({**base.model_dump(mode="json"), **change})
    assert outcome_for(base, False, base, correct_changed=False) == "unchanged"
    assert outcome_for(base, False, other, correct_changed=False) == "conflict"
    assert outcome_for(base, False, other, correct_changed=True) == "corrected"
    assert outcome_for(base, True, base, correct_changed=True) == "conflict"  # retracted: never revived
    assert outcome_for(None, False, other, correct_changed=False) == "created"


def test_absurd_or_fractional_counts_are_refused_naming_the_quantity():
    def problems(quantities: dict) -> list[Violation]:
        report = ActivityReport.model_validate({**GOOD, "quantities": quantities})
        return check_against_plan(report, PLAN, TODAY)

    (huge,) = problems({"booths": 1.79e308})
    assert huge.field == "quantities.booths" and "最多1000000个" in huge.message and "e+308" in huge.message
    (half,) = problems({"booths": 2.5})
    assert half == Violation("quantities.booths", "quantity_out_of_bounds", "展位应为整数，不能是 2.5")
    assert problems({"booths": 3, "visitors": 800}) == []
