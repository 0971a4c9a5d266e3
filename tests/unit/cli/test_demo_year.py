"""`kepu demo`'s example year: plausible, seasonal, within the clock and the plan, repeatable."""
from __future__ import annotations

import datetime as dt

from libs.common.plan import load_plan
from libs.common.settings import Settings
from libs.demo import demo_towns, demo_year

PLAN = load_plan(Settings().plan_file / "dangshan-2021-2025.yaml")
AS_OF = dt.date(2024, 10, 15)
TOWNS = demo_towns(6)


def rows(reports: dict) -> list[dict]:
    return [row for org_rows in reports.values() for row in org_rows]


def test_the_same_inputs_make_the_same_year_with_unique_ids():
    first, again = demo_year(PLAN, 2024, AS_OF, TOWNS), demo_year(PLAN, 2024, AS_OF, TOWNS)
    assert first == again
    ids = [r["external_id"] for r in rows(first)]
    assert len(ids) == len(set(ids))


def test_nothing_after_the_clock_or_outside_the_year_and_towns_are_examples():
    for row in rows(demo_year(PLAN, 2024, AS_OF, TOWNS)):
        assert dt.date(2024, 1, 1) <= dt.date.fromisoformat(row["start_date"]) <= AS_OF
        assert row["town"] in {"", *(t.code for t in TOWNS)}
        assert "示例数据" in row["title"]
    assert demo_year(PLAN, 2025, AS_OF, TOWNS) == {}  # a year not begun by the clock


def test_every_department_with_a_target_reports_and_campaign_days_fall_in_their_month():
    reports = demo_year(PLAN, 2024, AS_OF, TOWNS)
    assert {"cast", "edu", "agriculture"} <= set(reports)
    months = {r["activity_type"]: dt.date.fromisoformat(r["start_date"]).month for r in rows(reports)
              if r["activity_type"] in ("science_week", "national_science_day")}
    assert months == {"science_week": 5, "national_science_day": 9}


def test_a_cumulative_target_gets_only_this_years_part():
    farmers = next(i for i in PLAN.indicators if i.kind == "cumulative" and i.target)
    feed = farmers.feeds[0]
    total = sum(r["quantities"].get(feed.quantity, 0) for r in rows(demo_year(PLAN, 2024, AS_OF, TOWNS))
                if r["external_id"].startswith(f"demo-2024-2024-{farmers.code}-"))
    assert 0 < total <= farmers.target * 0.2 * 1.4 * 0.8 + 1  # a fifth of the period, at most 1.4× pace, to October


def test_every_demo_row_passes_the_plans_checks():
    from libs.common.contracts.activity import ActivityReport
    from services.activities.domain import check_against_plan

    for row in rows(demo_year(PLAN, 2024, AS_OF, TOWNS)):
        report = ActivityReport.model_validate({k: v for k, v in row.items() if k != "town" or v})
        assert check_against_plan(report, PLAN, AS_OF) == [], row


def test_the_demo_submits_each_latest_period_leaves_some_missing_and_nil_only_where_nothing_happened():
    from libs.demo import demo_submissions

    reports = demo_year(PLAN, 2024, AS_OF, TOWNS)
    submitted = demo_submissions(PLAN, 2024, AS_OF, TOWNS, reports)
    assert submitted == demo_submissions(PLAN, 2024, AS_OF, TOWNS, reports)
    by_org = {org: {p for o, p, _ in submitted if o == org} for org in [*reports, *(t.code for t in TOWNS)]}
    assert all("2024Q3" in keys for keys in by_org.values())  # the latest ended quarter: still due on 10-15
    assert not any("2024Q4" in keys for keys in by_org.values())  # not ended
    assert any(len(keys) < 3 for keys in by_org.values())  # some earlier quarters stay missing
    assert all(nil for org, _, nil in submitted if org.startswith("demo-town-"))  # towns report no activities
    assert any(not nil for _, _, nil in submitted)
