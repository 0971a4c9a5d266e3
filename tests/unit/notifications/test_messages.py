"""The Chinese line a department reads about an alert."""
from __future__ import annotations

import datetime as dt

from libs.common.events import IndicatorStatusChanged
from libs.common.wording import months_left, number, window_end, window_label
from services.notifications.domain.messages import alert_text


def change(status: str = "lagging", window: str = "2025", actual: float = 4, expected: float = 7.5,
           target: float = 10, as_of: dt.date = dt.date(2025, 10, 1), unit: str = "场次", kind: str = "yearly",
           name: str = "科普大篷车巡展") -> IndicatorStatusChanged:
    return IndicatorStatusChanged(
        indicator="caravan-tours", indicator_name=name, window=window, scope="dangshan", previous=None,
        status=status, actual=actual, expected=expected, target=target, unit=unit, as_of=as_of, responsible=["cast"],
        kind=kind)


def test_numbers_as_people_write_them():
    assert [number(x) for x in (4.0, 7.5, 1398.6857, 0.04, 12)] == ["4", "7.5", "1398.7", "0", "12"]


def test_windows_as_people_say_them():
    assert [window_label(w) for w in ("2025", "2025Q2", "2021-2025")] == ["2025年", "2025年第二季度", "2021—2025年"]
    assert [window_end(w) for w in ("2024", "2024Q1", "2024Q4", "2021-2025")] == [
        dt.date(2024, 12, 31), dt.date(2024, 3, 31), dt.date(2024, 12, 31), dt.date(2025, 12, 31)]
    assert months_left(dt.date(2025, 10, 1), dt.date(2025, 12, 31)) == 3
    assert months_left(dt.date(2026, 1, 1), dt.date(2025, 12, 31)) == 0


def test_a_lagging_year_says_what_recovery_takes():
    assert alert_text(change()) == ("科普大篷车巡展（2025年）：滞后，已完成4场次，按进度应完成8场次，全年目标10场次；"
                                    "剩余3个月，需每月完成2场次")


def test_the_monthly_need_is_rounded_up_never_down():
    """7 sessions in 3 months: 2.3 a month falls short; nobody holds 0.3 of a session."""
    assert alert_text(change(actual=3, as_of=dt.date(2025, 10, 20))).endswith("需每月完成3场次")
    assert alert_text(change(actual=9.7, as_of=dt.date(2025, 10, 20))).endswith("需每月完成1场次")
    percent = {"expected": 11.6, "target": 13, "unit": "%", "kind": "stock", "as_of": dt.date(2025, 10, 20)}
    assert alert_text(change(actual=10.2, **percent)).endswith("需每月提高1%")  # 2.8 in 3 months: 0.9 falls short
    assert alert_text(change(actual=10.3, **percent)).endswith("需每月提高0.9%")  # 2.7 in 3: exactly, float aside


def test_a_count_reads_whole_and_a_percentage_to_one_decimal():
    assert alert_text(change(actual=10000, expected=17984.7, target=20000, unit="人", kind="stock")) == (
        "科普大篷车巡展（2025年）：滞后，已达到10000人，按进度应达到17985人，全年目标20000人；剩余3个月，需每月提高3334人")
    assert alert_text(change(actual=12.34, expected=12.46, target=13, unit="%", kind="stock")) == (
        "科普大篷车巡展（2025年）：滞后，已达到12.3%，按进度应达到12.5%，全年目标13%；剩余3个月，需每月提高0.3%")


def test_the_plan_says_which_figures_are_whole():
    """A quantity the plan declares ``whole: false`` (经费, 万元) keeps one decimal whatever its unit."""
    assert alert_text(change(actual=2, expected=3.46, target=10, unit="万元"), whole=False) == (
        "科普大篷车巡展（2025年）：滞后，已完成2万元，按进度应完成3.5万元，全年目标10万元；剩余3个月，需每月完成2.7万元")
    assert "按进度应完成3万元" in alert_text(change(actual=2, expected=3.46, target=10, unit="万元"))


def test_a_missed_window_says_the_gap_and_a_quarter_its_own_target():
    assert alert_text(change("missed", "2024Q3", actual=0, expected=1, target=1, unit="次")) == (
        "科普大篷车巡展（2024年第三季度）：未完成，已完成0次，本季度目标1次，差1次")


def test_a_recovered_window_is_reported_once_without_a_demand():
    assert alert_text(change("on_track", "2021-2025", actual=1400, expected=1398.6857, target=2000, unit="次"),
                      recovered=True) == "科普大篷车巡展（2021—2025年）：已恢复，已完成1400次，按进度应完成1399次，规划期目标2000次"


def test_each_indicator_kind_reads_as_people_say_it():
    """yearly and quarterly windows, a cumulative total over the period, a stock level."""
    assert alert_text(change("lagging", "2024Q2", actual=0, expected=0.5, target=1, unit="次", kind="quarterly",
                             name="县全民科学素质工作领导小组调度会", as_of=dt.date(2024, 5, 15))) == (
        "县全民科学素质工作领导小组调度会（2024年第二季度）：滞后，已完成0次，按进度应完成1次，本季度目标1次；"
        "剩余2个月，需每月完成1次")
    assert alert_text(change("lagging", "2021-2025", actual=300, expected=1398.7, target=2000, unit="人",
                             kind="cumulative", name="培育高素质农民", as_of=dt.date(2024, 6, 30))) == (
        "培育高素质农民（2021—2025年）：滞后，已完成300人，按进度应完成1399人，规划期目标2000人；"
        "剩余19个月，需每月完成90人")
    assert alert_text(change("lagging", "2021-2025", actual=10.2, expected=11.6, target=13, unit="%",
                             kind="stock", name="公民具备科学素质的比例", as_of=dt.date(2024, 6, 30))) == (
        "公民具备科学素质的比例（2021—2025年）：滞后，已达到10.2%，按进度应达到11.6%，规划期目标13%；"
        "剩余19个月，需每月提高0.2%")
    assert alert_text(change("missed", "2021-2025", actual=12.1, target=13, unit="%", kind="stock",
                             name="公民具备科学素质的比例", as_of=dt.date(2026, 1, 1))) == (
        "公民具备科学素质的比例（2021—2025年）：未完成，已达到12.1%，规划期目标13%，差0.9%")
