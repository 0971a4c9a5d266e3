"""Reporting duties: which periods an organisation reports on, and by which working day.

The plan's ``reporting:`` section says who reports how often; these functions turn that into
periods with keys ("2025-03", "2025Q1", "2025H1", "2025") and deadlines counted in China's
working days. Pure: the calendar is an argument (``libs.common.workdays.china()`` in services, a
small table in tests), as the clock is elsewhere.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from libs.common.plan.schema import Duty, Plan, ReportingEvery
from libs.common.wording import window_label
from libs.common.workdays import WorkdayCalendar

MONTHS_PER_PERIOD: dict[ReportingEvery, int] = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
EVERY_NAMES: dict[ReportingEvery, str] = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年"}
KIND_NAMES = {"government": "政府", "office": "办公室", "department": "部门", "body": "群团及其他单位",
              "town_category": "镇（园区）类别", "town": "镇（园区）", "village": "村"}


@dataclass(frozen=True)
class ReportingPeriod:
    """One period an organisation reports on, e.g. 2025Q3 from July 1 to September 30."""

    key: str  # "2025-03" (month), "2025Q1", "2025H1", "2025" (year)
    start: dt.date
    end: dt.date


def period_label(key: str) -> str:
    """A period's key as people write it: 2025-03 → 2025年3月, 2025Q3 → 2025年第三季度,
    2025H1 → 2025年上半年, 2025 → 2025年 (the quarter and the year as indicator windows say them)."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
        return f"{m[1]}年{int(m[2])}月"
    if m := re.fullmatch(r"(\d{4})H([12])", key):
        return f"{m[1]}年{'上' if m[2] == '1' else '下'}半年"
    return window_label(key)


def duty_of(plan: Plan, org_code: str, org_kind: str) -> Duty | None:
    """The duty of one organisation: a rule naming it, else a rule naming its kind, else the default;
    None for a unit that reports to nobody (``exempt``, the ``town_category`` slot, the region).
    ``org_kind`` is given because towns are registered later and are not in the plan."""
    if org_code in plan.reporting.exempt or org_kind == "town_category" or org_code == plan.meta.region.code:
        return None  # the region itself is the whole the units report to, not one of them
    rules = plan.reporting.rules
    for rule in rules:
        if org_code in rule.orgs:
            return rule.duty
    for rule in rules:
        if org_kind in rule.kinds:
            return rule.duty
    return plan.reporting.default


def _period(every: ReportingEvery, year: int, index: int) -> ReportingPeriod:
    """The ``index``-th (0-based) period of ``year``."""
    months = MONTHS_PER_PERIOD[every]
    first_month = index * months + 1
    start = dt.date(year, first_month, 1)
    after = dt.date(year + 1, 1, 1) if first_month + months > 12 else dt.date(year, first_month + months, 1)
    key = {"month": f"{year}-{first_month:02d}", "quarter": f"{year}Q{index + 1}",
           "half_year": f"{year}H{index + 1}", "year": f"{year}"}[every]
    return ReportingPeriod(key, start, after - dt.timedelta(days=1))


def periods(duty: Duty, year: int) -> list[ReportingPeriod]:
    """The periods of ``year`` in order: 12 months, 4 quarters, 2 halves or the year."""
    return [_period(duty.every, year, i) for i in range(12 // MONTHS_PER_PERIOD[duty.every])]


def period_of(duty: Duty, day: dt.date) -> ReportingPeriod:
    """The period that ``day`` falls in (what a report made on that day is about, by default)."""
    return _period(duty.every, day.year, (day.month - 1) // MONTHS_PER_PERIOD[duty.every])


def deadline(period: ReportingPeriod, duty: Duty, calendar: WorkdayCalendar) -> dt.date:
    """The day a period's report is due: the Nth working day after the period's last day."""
    return calendar.add_working_days(period.end, duty.due_working_days)


def reminder_day(due: dt.date, working_days_before: int, calendar: WorkdayCalendar) -> dt.date:
    """The day to remind an organisation: that many working days before the deadline (0: on it)."""
    return calendar.add_working_days(due, -working_days_before)


def is_expected(plan: Plan, activity_type: str, org_code: str, org_kind: str) -> bool:
    """Whether an organisation is expected to take part in a seasonal campaign (by code or kind).
    False for a type without a season: nobody is expected at a particular time."""
    if {t.code: t for t in plan.activity_types}[activity_type].season is None:
        return False
    expected = plan.expected_from(activity_type)
    return org_code in expected or org_kind in expected
