"""What a department reads about one alert, in Chinese (no bus, no database).

"科普大篷车巡展（2025年）：滞后，已完成4场次，按进度应完成7.5场次，全年目标10场次；剩余3个月，需每月完成2场次"
— what is behind, by how much, against which pace, and what it takes to recover. Numbers are
written as people write them (no ".0"), windows as people say them (2025年, 2025年第2季度,
2021—2025年).
"""
from __future__ import annotations

import datetime as dt
import math
import re

from libs.common.events import IndicatorStatusChanged

STATUS_WORDS = {
    "lagging": "滞后", "missed": "未完成", "at_risk": "进度偏慢", "on_track": "进度正常", "achieved": "已完成目标",
    "not_started": "未开始", "no_data": "暂无数据", "tracking": "仅统计",
}
RECOVERED = "已恢复"

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")


def number(value: float) -> str:
    """4.0 → "4", 7.5 → "7.5", 1398.6857 → "1398.7": at most one decimal, none when whole."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def window_label(window: str) -> str:
    if m := _YEAR.match(window):
        return f"{m[1]}年"
    if m := _QUARTER.match(window):
        return f"{m[1]}年第{m[2]}季度"
    if m := _PERIOD.match(window):
        return f"{m[1]}—{m[2]}年"
    return window


def window_end(window: str) -> dt.date | None:
    """The last day of a window named by its key."""
    if m := _YEAR.match(window):
        return dt.date(int(m[1]), 12, 31)
    if m := _QUARTER.match(window):
        year, quarter = int(m[1]), int(m[2])
        first_of_next = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return first_of_next - dt.timedelta(days=1)
    if m := _PERIOD.match(window):
        return dt.date(int(m[2]), 12, 31)
    return None


def target_word(window: str) -> str:
    if _QUARTER.match(window):
        return "本季度目标"
    if _PERIOD.match(window):
        return "规划期目标"
    return "全年目标"


def months_left(as_of: dt.date, end: dt.date) -> int:
    """Months from ``as_of`` to the window's end, a started month counting whole (0 once it ended)."""
    if as_of > end:
        return 0
    return (end.year - as_of.year) * 12 + end.month - as_of.month + 1


def alert_text(change: IndicatorStatusChanged, recovered: bool = False) -> str:
    """One line for one alert: status, figures against pace and target, and what recovery takes."""
    unit, label = change.unit, window_label(change.window)
    status = RECOVERED if recovered else STATUS_WORDS.get(change.status, change.status)
    head = f"{change.indicator_name}（{label}）：{status}"
    done = f"已完成{number(change.actual)}{unit}"
    goal = f"{target_word(change.window)}{number(change.target)}{unit}"
    if change.status == "missed":
        gap = max(change.target - change.actual, 0.0)
        return f"{head}，{done}，{goal}，差{number(gap)}{unit}"
    text = f"{head}，{done}，按进度应完成{number(change.expected)}{unit}，{goal}"
    end = window_end(change.window)
    remaining = change.target - change.actual
    if recovered or remaining <= 0 or end is None:
        return text
    months = months_left(change.as_of, end)
    if months == 0:
        return text
    per_month = math.ceil(remaining / months * 10) / 10  # rounded up: rounding down would fall short
    return f"{text}；剩余{months}个月，需每月完成{number(per_month)}{unit}"
