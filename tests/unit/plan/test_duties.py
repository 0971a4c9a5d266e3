"""Reporting duties (libs/common/plan/duties.py): whose duty, which periods, which deadlines."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from libs.common.plan import load_plan
from libs.common.plan.duties import (
    ReportingPeriod,
    deadline,
    duty_of,
    is_expected,
    period_of,
    periods,
    reminder_day,
)
from libs.common.plan.loader import parse_plan
from libs.common.plan.schema import DEFAULT_DUTY, Duty
from libs.common.workdays import WorkdayCalendar, china

D = dt.date
REPO_ROOT = Path(__file__).resolve().parents[3]
FICTIONAL_FILE = REPO_ROOT / "tests" / "plans" / "fictional-county.yaml"
PLAN = load_plan(FICTIONAL_FILE)
CHINA = china()
WEEKDAYS_ONLY = WorkdayCalendar(holidays=[D(y, 1, 1) for y in range(2020, 2031)], make_up_days=[])


def duty(every: str, days: int = 10) -> Duty:
    return Duty(every=every, due_working_days=days)


def test_a_rule_naming_the_organisation_wins_over_its_kind():
    assert duty_of(PLAN, "qinglan-science-association", "body") == duty("half_year", 15)


def test_a_rule_naming_the_kind_wins_over_the_default():
    assert duty_of(PLAN, "qinglan-library", "department") == duty("month", 5)


def test_a_town_registered_later_has_its_kinds_duty():
    assert duty_of(PLAN, "qinglan-town-east", "town") == duty("quarter", 10)


def test_a_unit_no_rule_names_has_the_default():
    assert duty_of(PLAN, "qinglan-village-7", "village") == PLAN.reporting.default == duty("quarter", 10)


def test_exempt_units_the_town_slot_and_the_region_itself_report_to_nobody():
    assert duty_of(PLAN, "qinglan-gov", "government") is None
    assert duty_of(PLAN, "qinglan-townships", "town_category") is None
    assert duty_of(PLAN, PLAN.meta.region.code, PLAN.meta.region.level) is None  # the whole, not a unit


def test_a_plan_without_reporting_asks_everyone_each_quarter():
    data = yaml.safe_load(FICTIONAL_FILE.read_text(encoding="utf-8"))
    data.pop("reporting")
    plan = parse_plan(yaml.safe_dump(data, allow_unicode=True))
    for code, kind in [("qinglan-library", "department"), ("qinglan-gov", "government"), ("a-town", "town")]:
        assert duty_of(plan, code, kind) == DEFAULT_DUTY == duty("quarter", 10)


@pytest.mark.parametrize("every,keys", [
    ("month", [f"2025-{m:02d}" for m in range(1, 13)]),
    ("quarter", ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]),
    ("half_year", ["2025H1", "2025H2"]),
    ("year", ["2025"]),
])
def test_periods_cover_the_year_without_gaps(every, keys):
    found = periods(duty(every), 2025)
    assert [p.key for p in found] == keys
    assert found[0].start == D(2025, 1, 1) and found[-1].end == D(2025, 12, 31)
    for before, after in zip(found, found[1:]):
        assert after.start == before.end + dt.timedelta(days=1)


def test_period_bounds():
    assert periods(duty("quarter"), 2024)[0] == ReportingPeriod("2024Q1", D(2024, 1, 1), D(2024, 3, 31))
    assert periods(duty("month"), 2024)[1] == ReportingPeriod("2024-02", D(2024, 2, 1), D(2024, 2, 29))  # leap
    assert periods(duty("half_year"), 2025)[1] == ReportingPeriod("2025H2", D(2025, 7, 1), D(2025, 12, 31))


@pytest.mark.parametrize("day,every,key", [
    (D(2025, 9, 30), "quarter", "2025Q3"), (D(2025, 10, 1), "quarter", "2025Q4"),
    (D(2025, 6, 30), "half_year", "2025H1"), (D(2025, 7, 1), "half_year", "2025H2"),
    (D(2025, 12, 31), "month", "2025-12"), (D(2025, 2, 14), "year", "2025"),
])
def test_the_period_a_day_falls_in(day, every, key):
    assert period_of(duty(every), day).key == key


def test_a_quarterly_deadline_in_national_day_week_waits_for_the_holiday_to_end():
    q3 = period_of(duty("quarter"), D(2025, 8, 15))
    assert deadline(q3, duty("quarter", 1), CHINA) == D(2025, 10, 9)  # Oct 1–8 off
    # Oct 11 (Saturday) is worked: the 10th working day is Oct 21, a week later than weekdays alone
    assert deadline(q3, duty("quarter", 10), CHINA) == D(2025, 10, 21)
    assert deadline(q3, duty("quarter", 10), WEEKDAYS_ONLY) == D(2025, 10, 14)


def test_a_deadline_after_the_last_period_of_the_year_falls_in_the_next():
    december = periods(duty("month", 5), 2025)[-1]
    assert deadline(december, duty("month", 5), CHINA) == D(2026, 1, 8)  # Jan 1–3 off, Sunday Jan 4 worked: 4–8


def test_a_monthly_deadline_over_spring_festival():
    january = periods(duty("month", 5), 2025)[0]
    # Jan 28–Feb 4 off, Saturday Feb 8 worked: Feb 5, 6, 7, 8, 10
    assert deadline(january, duty("month", 5), CHINA) == D(2025, 2, 10)


def test_the_reminder_is_working_days_before_the_deadline():
    assert reminder_day(D(2025, 10, 21), 3, CHINA) == D(2025, 10, 16)
    assert reminder_day(D(2025, 10, 9), 1, CHINA) == D(2025, 9, 30)  # not in the holiday
    assert reminder_day(D(2025, 10, 13), 1, CHINA) == D(2025, 10, 11)  # the worked Saturday
    assert reminder_day(D(2025, 10, 21), 0, CHINA) == D(2025, 10, 21)


def test_who_is_expected_in_a_season_derived_from_the_indicators_it_feeds():
    assert PLAN.activity_types[0].expected_from == []
    assert PLAN.expected_from("star_night") == ["qinglan-science-association", "qinglan-library"]
    assert is_expected(PLAN, "star_night", "qinglan-library", "department")
    assert not is_expected(PLAN, "star_night", "qinglan-town-east", "town")


def test_who_is_expected_as_written_by_code_or_kind():
    data = yaml.safe_load(FICTIONAL_FILE.read_text(encoding="utf-8"))
    data["activity_types"][0]["expected_from"] = ["qinglan-science-association", "town"]
    plan = parse_plan(yaml.safe_dump(data, allow_unicode=True))
    assert plan.expected_from("star_night") == ["qinglan-science-association", "town"]
    assert is_expected(plan, "star_night", "qinglan-town-east", "town")
    assert is_expected(plan, "star_night", "qinglan-science-association", "body")
    assert not is_expected(plan, "star_night", "qinglan-library", "department")


def test_nobody_is_expected_at_a_time_for_a_type_without_season():
    assert not is_expected(PLAN, "steering_meeting", "qinglan-science-association", "body")


def test_a_season_is_the_same_days_each_year():
    season = PLAN.activity_types[0].season
    assert season.days(2025) == (D(2025, 8, 1), D(2025, 8, 31))
    assert season.days(2026) == (D(2026, 8, 1), D(2026, 8, 31))
