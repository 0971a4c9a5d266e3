"""How the portal writes progress for people: the alerts' words and colours, the bar, the days
left and what recovery takes."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of
from libs.common.plan.provider import plan_document
from libs.common.progress import Progress, current_windows, lagging_first, plan_whole
from services.gateway.mapping import plan_of


def progress(status="lagging", actual=4.0, expected=7.5, target=10.0, window="2025", kind="yearly",
             as_of=dt.date(2025, 10, 1), indicator="caravan-tours", unit="场次") -> Progress:
    return Progress(indicator=indicator, name="科普大篷车巡展", kind=kind, window=window, unit=unit, actual=actual,
                    expected=expected, target=target, status=status, as_of=as_of)


def test_a_lagging_window_reads_as_the_alert_does():
    p = progress()
    assert (p.status_word, p.tone) == ("滞后", "warn")
    assert p.figures == "4场次 / 全年目标10场次"
    assert p.pace == "按进度应完成8场次"  # half up, as the alert says it
    assert p.recovery == "剩余3个月，需每月完成2场次"
    assert (p.done_percent, p.pace_percent) == (40, 75)
    assert p.days_left == 91


def test_a_stock_indicator_says_raise_not_complete_and_a_quarter_its_own_target():
    stock = progress(kind="stock", window="2021-2025", actual=10.5, target=13, unit="%")
    assert stock.recovery == "剩余3个月，需每月提高0.9%"  # rounded up: rounding down would fall short
    quarter = progress(window="2025Q4", actual=1, target=3)
    assert quarter.figures == "1场次 / 本季度目标3场次"


def test_a_count_reads_whole_unless_the_plan_says_otherwise():
    people = progress(kind="stock", window="2021-2025", actual=10000, expected=17984.7, target=20000, unit="人",
                      as_of=dt.date(2025, 6, 30))
    assert (people.pace, people.recovery) == ("按进度应完成17985人", "剩余7个月，需每月提高1429人")
    assert (people.done, people.actual_figure, people.target_figure) == ("10000人", "10000", "20000")
    funds = Progress(indicator="funds", name="科普经费", kind="yearly", window="2025", unit="万元", actual=2,
                     expected=3.46, target=10, status="lagging", as_of=dt.date(2025, 10, 1), whole=False)
    assert (funds.pace, funds.recovery) == ("按进度应完成3.5万元", "剩余3个月，需每月完成2.7万元")


def test_nothing_to_recover_once_reached_or_without_a_target():
    assert progress(status="achieved", actual=12).recovery == ""
    tracking = progress(status="tracking", target=0, expected=0)
    assert (tracking.recovery, tracking.done_percent, tracking.figures, tracking.pace) == ("", 0, "4场次", "")
    assert progress(actual=30).done_percent == 100  # the bar is full, never beyond


def test_what_needs_attention_comes_first():
    rows = [progress(status=s, indicator=s) for s in ("achieved", "on_track", "missed", "at_risk", "lagging")]
    assert [r.status for r in lagging_first(rows)] == ["missed", "lagging", "at_risk", "on_track", "achieved"]


def test_the_current_window_is_the_one_holding_today_else_the_latest():
    quarters = [progress(window=f"2025Q{q}") for q in (1, 2, 3, 4)]
    assert [r.window for r in current_windows(quarters, dt.date(2025, 8, 15))] == ["2025Q3"]
    assert [r.window for r in current_windows(quarters[:2], dt.date(2025, 8, 15))] == ["2025Q2"]


def test_the_portal_reads_from_the_getplan_answer_which_figures_are_whole_as_the_digests_do():
    plan = load_plan(Path(__file__).resolve().parents[3] / "plans" / "dangshan-2021-2025.yaml")
    document = plan_document(atlas_of([plan]), plan)  # what GetPlan maps
    assert plan_whole(plan_of(document, {})) == plan.figures_whole()
