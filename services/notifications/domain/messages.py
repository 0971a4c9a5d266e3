"""What a department reads about one alert, in Chinese (no bus, no database).

"科普大篷车巡展（2025年）：滞后，已完成4场次，按进度应完成8场次，全年目标10场次；剩余3个月，需每月完成2场次"
— what is behind, by how much, against which pace, and what it takes to recover. Figures are
written as people say them (``wording.amount``: a count whole, the need per month rounded up, a
percentage to one decimal), windows as people say them (2025年, 2025年第二季度, 2021—2025年).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from libs.common.plan.duties import period_label
from libs.common.wording import (
    RECOVERED,
    STATUS_WORDS,
    amount,
    date_label,
    months_left,
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


def alert_text(change: Figures, recovered: bool = False, whole: bool | None = None) -> str:
    """One line for one alert: status, figures against pace and target, and what recovery takes.
    ``whole``: whether the indicator's figures count things, as the plan says (else its unit)."""
    unit, label = change.unit, window_label(change.window)
    status = RECOVERED if recovered else STATUS_WORDS.get(change.status, change.status)
    head = f"{change.indicator_name}（{label}）：{status}"
    stock = change.kind == "stock"  # a level reached (volunteers registered, a literacy rate), not a sum
    reached, pace, need = (("已达到", "按进度应达到", "需每月提高") if stock
                           else ("已完成", "按进度应完成", "需每月完成"))
    done = f"{reached}{amount(change.actual, unit, whole=whole)}"
    goal = f"{target_word(change.window)}{amount(change.target, unit, whole=whole)}"
    if change.status == "missed":
        gap = max(change.target - change.actual, 0.0)
        return f"{head}，{done}，{goal}，差{amount(gap, unit, need=True, whole=whole)}"
    text = f"{head}，{done}，{pace}{amount(change.expected, unit, whole=whole)}，{goal}"
    end = window_end(change.window)
    remaining = change.target - change.actual
    if recovered or remaining <= 0 or end is None:
        return text
    months = months_left(change.as_of, end)
    if months == 0:
        return text
    return f"{text}；剩余{months}个月，{need}{amount(remaining / months, unit, need=True, whole=whole)}"


def digest_title(kind: str, org_name: str, firing: int, resolved: int, duties_firing: int = 0,
                 duties_done: int = 0) -> str:
    """The subject line: the indicators' count first (as before duties existed), then the
    reporting duties' (reminders, 逾期未报送, campaigns) when there are any."""
    if not firing and not resolved:
        return _duties_title(kind, org_name, duties_firing, duties_done)
    duties = f"，{duties_firing}项报送待跟进" if duties_firing else ""
    if kind == "reminder":
        return f"【科普工作提醒】{org_name}：{firing}项指标仍未达到进度{duties}"
    if firing:
        recovered = f"，{resolved}项已恢复" if resolved else ""
        return f"【科普工作预警】{org_name}：{firing}项指标滞后或未完成{recovered}{duties}"
    return f"【科普工作预警】{org_name}：{resolved}项指标已恢复{duties}"


def _duties_title(kind: str, org_name: str, firing: int, done: int) -> str:
    if kind == "reminder" or not done:
        return f"【科普报送提醒】{org_name}：{firing}项报送待跟进"
    return f"【科普报送提醒】{org_name}：" + (f"{firing}项报送待跟进，" if firing else "") + f"{done}项已报送"


# --- reporting duties (reminders, 逾期未报送, expected campaigns) ---------------------------------

class Duty(Protocol):
    """What a line about a reporting duty reads (an alert as stored)."""

    topic: str
    indicator_name: str  # a campaign's name
    window: str  # the period's key, or the campaign's year
    status: str  # reminder / overdue / missing_campaign / resolved
    due: dt.date | None
    days_left: int | None


def duty_text(duty: Duty) -> str:
    """One organisation's line: "2025年第三季度报送：截止2025年10月21日，尚未报送（还剩3个工作日）",
    "逾期未报送：2025年第三季度（截止2025年10月21日）", "2025年科技活动周：未报送活动"."""
    due = date_label(duty.due)
    if duty.topic == "campaign":
        head = f"{duty.window}年{duty.indicator_name}"
        lines = {"reminder": f"{head}：尚未报送活动（活动期至{due}），请组织开展并及时报送",
                 "missing_campaign": f"{head}：未报送活动（活动期已于{due}结束）"}
        return lines.get(duty.status, f"{head}：已报送活动")
    label = period_label(duty.window)
    if duty.status == "reminder":
        left = "今天截止" if not duty.days_left else f"还剩{duty.days_left}个工作日"
        return f"{label}报送：截止{due}，尚未报送（{left}）"
    if duty.status == "overdue":
        return f"逾期未报送：{label}（截止{due}）"
    return f"{label}报送：已报送"


def duty_heading(duty: Duty) -> str:
    """The line under which another reader (the office) sees the organisations in one state of one
    duty: "逾期未报送的单位（2025年第三季度，截止2025年10月21日）：县妇联、县教育局"."""
    due = date_label(duty.due)
    if duty.topic == "campaign":
        head = f"{duty.window}年{duty.indicator_name}"
        return {"reminder": f"{head}：尚未报送活动的单位", "missing_campaign": f"{head}：未报送活动的单位"}.get(
            duty.status, f"{head}：已补报活动的单位")
    label = period_label(duty.window)
    headings = {"reminder": f"{label}尚未报送的单位（截止{due}）", "overdue": f"逾期未报送的单位（{label}，截止{due}）"}
    return headings.get(duty.status, f"已补报的单位（{label}）")


SECTIONS = (("new", "新情况"), ("firing", "仍需跟进"), ("resolved", "已恢复"))


CLOSING = "请及时组织开展并报送活动数据；如有疑问请联系{w}科协（领导小组办公室）。"
CLOSING_FOR_OFFICE = "请督促上述单位及时开展并报送；各单位情况见门户“全{w}总览”。"


def digest_text(title: str, as_of: dt.date | None, items: Sequence[dict], to_office: bool = False,
                region: str = "县") -> str:
    """The whole message: title, then the alerts by section (new, still firing, recovered), each
    section newest change first, as ``items`` come (see ``digests.compose``); it ends with what
    the reader does (the office follows the units up rather than reports itself), in the words of
    the reader's region (``region``: 县, 市 or 省)."""
    lines = [title]
    if as_of:
        lines.append(f"数据截至{date_label(as_of)}。")
    number_ = 0
    for section, heading in SECTIONS:
        rows = _lines([item for item in items if item["section"] == section])
        if not rows:
            continue
        lines.append(f"{heading}：")
        for row in rows:
            number_ += 1
            lines.append(f"{number_}. {row}")
    lines.append((CLOSING_FOR_OFFICE if to_office else CLOSING).format(w=region))
    return "\n".join(lines)


def _lines(items: Sequence[dict]) -> list[str]:
    """A section's lines: one per item, except that items listing organisations under one heading
    (``listed``: others' duties, as the office reads them) make one line, where the first stood."""
    lines: list[str] = []
    names: dict[str, list[str]] = {}
    for item in items:
        heading = item.get("listed")
        if heading is None:
            lines.append(item["text"])
        elif heading not in names:
            names[heading] = [item["scope_name"]]
            lines.append(heading)
        else:
            names[heading].append(item["scope_name"])
    return [f"{line}：{'、'.join(names[line])}" if line in names else line for line in lines]


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
