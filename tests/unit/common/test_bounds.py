"""The limits every input meets (libs/common/bounds.py), and errors that stay small whatever
the input (libs/common/errors.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from libs.common.contracts.activity import ActivityReport
from libs.common.errors import MAX_VIOLATIONS, BadRequest, describe
from libs.common.events import ActivityRecorded

GOOD = {"activity_type": "caravan_tour", "start_date": "2024-05-01", "quantities": {"sessions": 2}}


def problems(**changes) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        ActivityReport.model_validate({**GOOD, **changes})
    return {v.field: v.message for v in describe(caught.value)}


def test_a_good_report_passes():
    report = ActivityReport.model_validate(GOOD)
    assert report.start_date == report.end_date == dt.date(2024, 5, 1)


@pytest.mark.parametrize("day", ["2024-05-01T00:00:00", "20240501", "2024-W18-3", 1714521600, 1714521600.0,
                                 "2024-02-30", "", " 2024-05-01x", True])
def test_a_day_is_yyyy_mm_dd_and_nothing_else(day):
    assert "start_date" in problems(start_date=day)


def test_a_datetime_object_is_not_a_day():
    with pytest.raises(ValidationError, match="不带时间"):
        ActivityRecorded(activity_id="a1", org="cast", activity_type="caravan_tour", quantities={"sessions": 1},
                         start_date=dt.datetime(2024, 5, 1), end_date="2024-05-01")


@pytest.mark.parametrize("field,value", [("activity_type", ""), ("activity_type", "Caravan Tour"),
                                         ("activity_type", "x" * 65), ("town", "town\x00"),
                                         ("co_organisers", [""]), ("co_organisers", ["ok", "NOT OK"])])
def test_codes_are_lower_case_ascii_of_at_most_64(field, value):
    assert any(f.startswith(field) for f in problems(**{field: value}))


@pytest.mark.parametrize("title", ["line\nbreak", "tab\there", "bell\x07", "nul\x00", "x" * 301])
def test_text_is_capped_and_printable(title):
    assert "title" in problems(title=title)


def test_chinese_titles_are_welcome():
    assert ActivityReport.model_validate({**GOOD, "title": "科普大篷车进校园（砀城镇）"}).title.startswith("科普")


def test_co_organisers_are_de_duplicated_and_capped():
    report = ActivityReport.model_validate({**GOOD, "co_organisers": ["education", "health", "education"]})
    assert report.co_organisers == ["education", "health"]
    assert "co_organisers" in problems(co_organisers=[f"org-{i}" for i in range(21)])


def test_a_huge_list_is_refused_quickly_with_one_problem():
    found = problems(co_organisers=["x"] * 780_000)
    assert list(found) == ["co_organisers"]


@pytest.mark.parametrize("amount", [float("inf"), float("nan"), -1])
def test_quantities_are_finite_and_not_negative(amount):
    assert "quantities.sessions" in problems(quantities={"sessions": amount})


def test_an_event_carries_the_same_bounds_as_a_request():
    with pytest.raises(ValidationError) as caught:
        ActivityRecorded(activity_id="a1", org="cast", activity_type="caravan_tour", start_date="2024-05-01",
                         end_date=1714521600, quantities={"sessions": float("inf"), "Bad Key": 1})
    fields = {v.field for v in describe(caught.value)}
    assert {"end_date", "quantities.sessions", "quantities.Bad_Key.[key]"} <= fields


def test_errors_are_bounded_whatever_the_input():
    """A thousand unknown keys, each a long name with control characters: a small answer."""
    junk = {f"{'k' * 500}{i}\x1b[31m": i for i in range(1000)}
    with pytest.raises(ValidationError) as caught:
        ActivityReport.model_validate({**GOOD, **junk})
    refusal = BadRequest(describe(caught.value))
    violations = refusal.violations
    assert len(violations) == MAX_VIOLATIONS + 1 and "另有980处问题" in violations[-1].message
    assert len(str(refusal)) < 4000
    assert all(len(v.field) <= 64 and v.field.isprintable() for v in violations)
