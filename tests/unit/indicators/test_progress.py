"""Pace and status rules of PRODUCT.md, one window at a time, with the clock as an argument."""
from __future__ import annotations

import datetime as dt

import pytest

from libs.common.plan.schema import Feed, Indicator, Pace, Period
from services.indicators.domain.progress import elapsed_share, evaluate
from services.indicators.domain.windows import window_for, windows

D = dt.date
PERIOD = Period(start=2021, end=2025)


def ind(kind="yearly", target=10.0, **kw) -> Indicator:
    return Indicator(code="x", name="x", kind=kind, target=target, unit="场次",
                     feeds=[Feed(activity_type="t", quantity="sessions")], **kw)


def test_windows_per_kind():
    assert [w.key for w in windows(ind("yearly"), PERIOD)] == ["2021", "2022", "2023", "2024", "2025"]
    quarters = windows(ind("quarterly", 1), PERIOD)
    assert len(quarters) == 20 and quarters[2].key == "2021Q3"
    assert quarters[2].start == D(2021, 7, 1) and quarters[2].end == D(2021, 10, 1)
    assert [w.key for w in windows(ind("cumulative"), PERIOD)] == ["2021-2025"]
    assert window_for(ind("quarterly", 1), PERIOD, D(2024, 12, 31)).key == "2024Q4"
    assert window_for(ind("yearly"), PERIOD, D(2026, 1, 1)) is None
    assert [w.key for w in windows(ind("yearly", first_year=2023), PERIOD)] == ["2023", "2024", "2025"]


def test_linear_share_counts_the_as_of_day_as_done():
    w = window_for(ind(), PERIOD, D(2023, 1, 1))
    assert elapsed_share(ind(), w, D(2022, 12, 31)) == 0.0
    assert elapsed_share(ind(), w, D(2023, 1, 1)) == pytest.approx(1 / 365)
    assert elapsed_share(ind(), w, D(2023, 7, 2)) == pytest.approx(183 / 365)
    assert elapsed_share(ind(), w, D(2023, 12, 31)) == 1.0


def test_monthly_weights_and_due_date():
    weighted = ind(pace=Pace(monthly_weights=[0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]))
    w = window_for(weighted, PERIOD, D(2023, 1, 1))
    assert elapsed_share(weighted, w, D(2023, 5, 31)) == 0.0  # nothing expected before June
    assert elapsed_share(weighted, w, D(2023, 6, 30)) == pytest.approx(0.5)
    assert elapsed_share(weighted, w, D(2023, 7, 31)) == pytest.approx(1.0)
    due = ind(pace=Pace(due=D(2023, 6, 30)))
    assert elapsed_share(due, w, D(2023, 6, 30)) == 1.0
    assert elapsed_share(due, w, D(2023, 3, 31)) == pytest.approx(90 / 181)


@pytest.mark.parametrize(
    ("actual", "as_of", "status"),
    [
        (10, D(2024, 3, 1), "achieved"),
        (5, D(2024, 6, 30), "on_track"),  # expected 4.97
        (4.5, D(2024, 6, 30), "at_risk"),  # behind by 0.47 < slack 1
        (3, D(2024, 6, 30), "lagging"),  # behind by 1.97 >= slack 1
        (9, D(2025, 1, 1), "missed"),  # window closed below 10 (as of the next year)
        (0, D(2023, 12, 1), "not_started"),
    ],
)
def test_status(actual, as_of, status):
    w = window_for(ind(), PERIOD, D(2024, 1, 1))
    assert evaluate(ind(), w, actual, as_of).status == status


def test_slack_uses_tolerance_of_target_and_grace_period():
    big = ind(target=2000, kind="cumulative")
    w = windows(big, PERIOD)[0]
    as_of = D(2023, 7, 2)  # p = 913/1826 = 0.5, expected 1000
    ev = evaluate(big, w, 850, as_of)
    assert ev.slack == 200 and ev.status == "at_risk"  # behind by 150 < 200
    assert evaluate(big, w, 700, as_of).status == "lagging"
    graced = ind(pace=Pace(grace_days=200))
    w24 = window_for(graced, PERIOD, D(2024, 1, 1))
    assert evaluate(graced, w24, 0, D(2024, 6, 30)).status == "at_risk"  # lagging, but within grace


def test_more_than_needs_strictly_more():
    more = ind(target=500, kind="stock", comparison="more_than")
    w = windows(more, PERIOD)[0]
    assert evaluate(more, w, 500, D(2025, 6, 1)).status != "achieved"
    assert evaluate(more, w, 501, D(2025, 6, 1)).status == "achieved"


def test_stock_paces_from_baseline():
    stock = ind(kind="stock", target=13, pace=Pace(baseline=8, tolerance=0.05))
    w = windows(stock, PERIOD)[0]
    mid = D(2023, 7, 2)
    ev = evaluate(stock, w, 10.5, mid)
    assert ev.expected == pytest.approx(8 + 5 * 913 / 1826, abs=1e-3)
    assert ev.status == "on_track"
    assert evaluate(stock, w, 9.0, mid).status == "lagging"  # 1.5 behind, slack 1


def test_tracking_indicator_has_no_status():
    tracking = ind(target=None)
    w = window_for(tracking, PERIOD, D(2024, 1, 1))
    assert evaluate(tracking, w, 3, D(2024, 6, 1)).status == "tracking"


def test_stock_without_observation_has_no_data_until_the_window_closes():
    stock = ind(kind="stock", target=13)
    w = windows(stock, PERIOD)[0]
    assert evaluate(stock, w, None, D(2024, 6, 30)).status == "no_data"
    assert evaluate(stock, w, None, D(2026, 1, 1)).status == "missed"
    with_baseline = ind(kind="stock", target=13, pace=Pace(baseline=10))
    ev = evaluate(with_baseline, w, None, D(2021, 1, 1))
    assert ev.actual == 10 and ev.status == "at_risk"  # the baseline stands until the first survey
    assert evaluate(with_baseline, w, None, D(2023, 7, 2)).status == "lagging"  # 10 of 11.5 expected


def test_cumulative_without_reports_counts_zero():
    cum = ind(kind="cumulative", target=20)
    assert evaluate(cum, windows(cum, PERIOD)[0], None, D(2023, 7, 2)).status == "lagging"


def test_lag_boundaries_slack_floor_and_grace():
    """Behind by exactly the slack is lagging; the slack is never under one unit; the grace
    period ends on its last day."""
    tight = ind(target=10, pace=Pace(tolerance=0.05))  # 5% of 10 is 0.5: the floor makes it 1
    w = window_for(tight, PERIOD, D(2023, 1, 1))
    assert evaluate(tight, w, 4.2, D(2023, 7, 2)).status == "at_risk"  # 0.81 behind, within 1
    assert evaluate(tight, w, 4.2, D(2023, 7, 2)).slack == 1.0
    assert evaluate(tight, w, 9.0, D(2023, 12, 31)).status == "lagging"  # exactly 1 behind
    assert evaluate(tight, w, 9.01, D(2023, 12, 31)).status == "at_risk"
    graced = ind(target=100, pace=Pace(tolerance=0.01, grace_days=30))
    assert evaluate(graced, w, 0, D(2023, 1, 30)).status == "at_risk"  # 8 behind, still in grace
    assert evaluate(graced, w, 0, D(2023, 1, 31)).status == "lagging"  # start + 30 days
