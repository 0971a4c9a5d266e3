"""Where each reporting duty stands on one day, and what of it is worth telling (pure: no bus, no
database; the plan, the calendar, today and what was submitted are arguments).

Two kinds of duty: a period's report (``libs.common.plan.duties``: its deadline in China's working
days, a reminder that many working days before it) and a year's expected campaign (a season, and
the organisations expected to report an activity of its type dated in it). A duty is judged
``reminder`` from its reminder day until its deadline (the season's last day), ``overdue`` /
``missing_campaign`` after it, ``done`` once submitted (a nil report too) or reported, and
``None`` before anyone needs telling. Only changes are published (``change``): one line per
organisation and duty, never a flood.

History: a duty whose deadline passed before duties were first judged (``since``) is nobody's news
(a demo started on a late date does not chase 2021), nor one overdue for longer than ``HORIZON``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from libs.common.plan.duties import deadline, duty_of, is_expected, periods, reminder_day
from libs.common.plan.schema import Plan
from libs.common.workdays import WorkdayCalendar

Judged = Literal["reminder", "overdue", "missing_campaign", "done"]
FIRING = frozenset({"reminder", "overdue", "missing_campaign"})
HORIZON = dt.timedelta(days=366)  # a duty overdue this long is no longer judged (notifications stopped telling)


@dataclass(frozen=True)
class DutyKey:
    org: str
    period: str  # the period's key ("2025Q3"), or the campaign's year ("2025")
    campaign: str = ""  # the activity type of an expected campaign; "" for a period's report


@dataclass(frozen=True)
class Judgement:
    key: DutyKey
    state: Judged | None  # None: nothing to tell yet
    starts: dt.date  # the period's or the season's first day
    due: dt.date  # the deadline, or the season's last day
    days_left: int | None = None  # working days until the deadline (a period's reminder)


@dataclass(frozen=True)
class Season:
    """One year's season of one campaign type."""

    campaign: str
    year: int
    starts: dt.date
    ends: dt.date


def _years(plan: Plan, today: dt.date) -> range:
    """The plan's years that can still have a duty open on ``today`` (this year and last)."""
    return range(max(plan.meta.period.start, today.year - 1), min(plan.meta.period.end, today.year) + 1)


def _history(due: dt.date, today: dt.date, since: dt.date) -> bool:
    return due < since or due < today - HORIZON


def working_days_left(today: dt.date, due: dt.date, calendar: WorkdayCalendar) -> int:
    """Working days after ``today`` up to and including ``due`` (0 on the due day)."""
    days, day = 0, today
    while day < due:
        day += dt.timedelta(days=1)
        days += calendar.is_working_day(day)
    return days


def judge_periods(plan: Plan, orgs: Mapping[str, str], submitted: set[tuple[str, str]], today: dt.date,
                  since: dt.date, calendar: WorkdayCalendar) -> list[Judgement]:
    """Every period report of ``orgs`` (code → kind) that is not history, as it stands on ``today``."""
    before = plan.reporting.remind_working_days_before
    out = []
    for org, kind in orgs.items():
        duty = duty_of(plan, org, kind)
        if duty is None:
            continue
        for year in _years(plan, today):
            for period in periods(duty, year):
                due = deadline(period, duty, calendar)
                if _history(due, today, since):
                    continue
                key = DutyKey(org, period.key)
                if (org, period.key) in submitted:
                    out.append(Judgement(key, "done", period.start, due))
                elif today < reminder_day(due, before, calendar):
                    out.append(Judgement(key, None, period.start, due))
                elif today <= due:
                    out.append(Judgement(key, "reminder", period.start, due, working_days_left(today, due, calendar)))
                else:
                    out.append(Judgement(key, "overdue", period.start, due))
    return out


def seasons(plan: Plan, today: dt.date, since: dt.date) -> list[Season]:
    """The campaign seasons that are not history on ``today``: whose reports are worth looking up."""
    out = []
    for activity_type in plan.activity_types:
        if activity_type.season is None:
            continue
        for year in _years(plan, today):
            starts, ends = activity_type.season.days(year)
            if not _history(ends, today, since):
                out.append(Season(activity_type.code, year, starts, ends))
    return out


def judge_campaigns(plan: Plan, orgs: Mapping[str, str], in_season: Iterable[Season],
                    reported: set[tuple[str, str, int]], today: dt.date, calendar: WorkdayCalendar) -> list[Judgement]:
    """Each expected organisation's part in each season: reminded from the plan's working days
    before the season until it reports an activity dated in it; missing once the season ended."""
    before = plan.reporting.remind_working_days_before
    out = []
    for season in in_season:
        remind_from = reminder_day(season.starts, before, calendar)
        for org, kind in orgs.items():
            if not is_expected(plan, season.campaign, org, kind):
                continue
            key = DutyKey(org, str(season.year), season.campaign)
            if (org, season.campaign, season.year) in reported:
                state: Judged | None = "done"
            elif today < remind_from:
                state = None
            else:
                state = "reminder" if today <= season.ends else "missing_campaign"
            out.append(Judgement(key, state, season.starts, season.ends))
    return out


def change(published: str | None, published_days_left: int | None, judged: Judgement) -> str | None:
    """The state to publish for a duty last published as ``published`` (None: never), or None
    when nothing changed: a duty that is done (or not yet due) is ``resolved`` only if it was
    firing; a firing one is published when its state, or a reminder's days left, moved."""
    if judged.state in FIRING:
        if judged.state != published or judged.days_left != published_days_left:
            return judged.state
        return None
    return "resolved" if published in FIRING else None
