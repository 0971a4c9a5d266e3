"""What a department reads about one alert, in Chinese (no bus, no database).

"科普大篷车巡展（2025年）：滞后，已完成4场次，按进度应完成7.5场次，全年目标10场次；剩余3个月，需每月完成2场次"
— what is behind, by how much, against which pace, and what it takes to recover. Numbers are
written as people write them (no ".0"), windows as people say them (2025年, 2025年第二季度,
2021—2025年).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Protocol

from libs.common.wording import (
    RECOVERED,
    STATUS_WORDS,
    date_label,
    months_left,
    number,
    target_word,
    window_end,
    window_label,
)


class Figures(Protocol):
    """What a line about one alert reads: a status change or an alert as stored."""

    indicator_name: str
    window: str
    status: str
    actual: float
    expected: float
    target: float
    unit: str
    as_of: dt.date
    kind: str


def alert_text(change: Figures, recovered: bool = False) -> str:
    """One line for one alert: status, figures against pace and target, and what recovery takes."""
    unit, label = change.unit, window_label(change.window)
    status = RECOVERED if recovered else STATUS_WORDS.get(change.status, change.status)
    head = f"{change.indicator_name}（{label}）：{status}"
    stock = change.kind == "stock"  # a level reached (volunteers registered, a literacy rate), not a sum
    reached, pace, need = (("已达到", "按进度应达到", "需每月提高") if stock
                           else ("已完成", "按进度应完成", "需每月完成"))
    done = f"{reached}{number(change.actual)}{unit}"
    goal = f"{target_word(change.window)}{number(change.target)}{unit}"
    if change.status == "missed":
        gap = max(change.target - change.actual, 0.0)
        return f"{head}，{done}，{goal}，差{number(gap)}{unit}"
    text = f"{head}，{done}，{pace}{number(change.expected)}{unit}，{goal}"
    end = window_end(change.window)
    remaining = change.target - change.actual
    if recovered or remaining <= 0 or end is None:
        return text
    months = months_left(change.as_of, end)
    if months == 0:
        return text
    per_month = math.ceil(remaining / months * 10) / 10  # rounded up: rounding down would fall short
    return f"{text}；剩余{months}个月，{need}{number(per_month)}{unit}"


def digest_title(kind: str, org_name: str, firing: int, resolved: int) -> str:
    if kind == "reminder":
        return f"【科普工作提醒】{org_name}：{firing}项指标仍未达到进度"
    if firing:
        return f"【科普工作预警】{org_name}：{firing}项指标滞后或未完成" + (f"，{resolved}项已恢复" if resolved else "")
    return f"【科普工作预警】{org_name}：{resolved}项指标已恢复"


SECTIONS = (("new", "新情况"), ("firing", "仍需跟进"), ("resolved", "已恢复"))


def digest_text(title: str, as_of: dt.date | None, items: Sequence[dict]) -> str:
    """The whole message: title, then the alerts by section (new, still firing, recovered), each
    section newest change first, as ``items`` come (see ``digests.compose``)."""
    lines = [title]
    if as_of:
        lines.append(f"数据截至{date_label(as_of)}。")
    number_ = 0
    for section, heading in SECTIONS:
        rows = [item for item in items if item["section"] == section]
        if not rows:
            continue
        lines.append(f"{heading}：")
        for item in rows:
            number_ += 1
            lines.append(f"{number_}. {item['text']}")
    lines.append("请及时组织开展并报送活动数据；如有疑问请联系县科协（领导小组办公室）。")
    return "\n".join(lines)


HISTORY_LINES = 60  # a summary longer than this says how many more there are


def history_title(count: int, since: dt.date) -> str:
    return f"【历史窗口汇总】监测开始（{date_label(since)}）前已结束的{count}个指标窗口未达标"


def history_text(title: str, items: Sequence[dict], names: dict[str, str]) -> str:
    """The once-only summary for the office: per responsible organisation, its past windows."""
    lines = [title, "以下窗口在系统开始监测前已经结束，仅汇总一次，不再逐条提醒："]
    by_org: dict[str, list[dict]] = {}
    for item in items:
        by_org.setdefault(item["responsible"][0] if item["responsible"] else "", []).append(item)
    shown = 0
    for org, rows in sorted(by_org.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"{names.get(org, org) or '未指定单位'}（{len(rows)}项）：")
        for item in rows:
            if shown >= HISTORY_LINES:
                break
            shown += 1
            lines.append(f"- {item['text']}")
    if shown < len(items):
        lines.append(f"……另有{len(items) - shown}项，见 `kepu alert list --state firing`。")
    return "\n".join(lines)
