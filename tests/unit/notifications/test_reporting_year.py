"""A year of reporting duties walked day by day on a frozen clock (the fictional plan: the library
reports monthly by the 5th working day, towns quarterly by the 10th, the 科协 half-yearly by the
15th, reminders 2 working days before; 观星科普夜 is expected in August from the 科协 and the
library): exactly one reminder line and one 逾期未报送 line per organisation and period, as many
as the schedule says, the office's list of who is late, quiet hours, and campaign alerts.

The expected numbers are counted from the plan's schedule (periods × organisations, by their
deadlines), not by the code under test.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from libs.common.plan.duties import deadline, duty_of, periods, reminder_day
from tests.unit.reporting import (
    ASSOCIATION,
    CHINA,
    LIBRARY,
    OFFICE,
    ORGS,
    PLAN,
    SHANGHAI,
    ReportingCounty,
    numbered_lines,
    own_lines,
)

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
# what the organisations do during the year (anything else is never submitted)
SUBMISSIONS = {  # (org, period): (day, nil)
    ("town-a", "2025Q2"): (dt.date(2025, 7, 1), True),  # before its reminder day: never reminded
    ("town-b", "2025Q3"): (dt.date(2025, 10, 20), True),  # reminded on Oct 17, submitted before Oct 21
    (LIBRARY, "2025-06"): (dt.date(2025, 7, 20), False),  # due Jul 7: overdue, then submitted late
}
STAR_NIGHTS = {  # org: (reported on, dated)
    LIBRARY: (dt.date(2025, 8, 11), dt.date(2025, 8, 10)),  # in season
    ASSOCIATION: (dt.date(2025, 9, 15), dt.date(2025, 8, 20)),  # after the season ended: a late report
}


def schedule() -> list[tuple[str, str, dt.date, dt.date]]:
    """(org, period, reminder day, deadline) of every period whose deadline falls in the walk or
    after it and whose reminder day is in it: what the walk must tell."""
    out = []
    for org, (kind, _) in ORGS.items():
        duty = duty_of(PLAN, org, kind)
        for year in (2024, 2025):
            for period in periods(duty, year) if duty else []:
                due = deadline(period, duty, CHINA)
                remind = reminder_day(due, PLAN.reporting.remind_working_days_before, CHINA)
                if due >= START and remind <= END:
                    out.append((org, period.key, remind, due))
    return out


def walk() -> ReportingCounty:
    county = ReportingCounty()
    day = START
    while day <= END:
        for (org, period), (when, nil) in SUBMISSIONS.items():
            if when == day:
                county.submit(org, period, day, nil)
        for org, (when, dated) in STAR_NIGHTS.items():
            if when == day:
                county.report(org, "star_night", dated, day, booths=2, visitors=300)
        county.day(day)
        day += dt.timedelta(days=1)
    return county


WALKED = walk()


def overdue() -> set[tuple[str, str]]:
    """The periods whose deadline passed in the walk without a submission by it."""
    on_time = {(org, period) for (org, period), (when, _) in SUBMISSIONS.items()
               if when <= next(d for o, p, _, d in schedule() if (o, p) == (org, period))}
    return {(org, period) for org, period, _, due in schedule() if due < END} - on_time


def test_the_schedule_is_periods_times_organisations():
    """12 months of the library (Dec 2024 to Nov 2025), 4 quarters of each of 2 towns (2024Q4 to
    2025Q3), 2 halves of the 科协 (2024H2, 2025H1); the government is exempt."""
    assert Counter(org for org, *_ in schedule()) == {LIBRARY: 12, "town-a": 4, "town-b": 4, ASSOCIATION: 2}


def test_each_period_gets_exactly_one_reminder_and_one_overdue_line_as_the_schedule_says():
    lines = Counter((i["status"], i["scope"], i["window"]) for d in WALKED.digests for i in own_lines(d)
                    if i["section"] in ("new", "resolved") and i["topic"] == "reporting")
    assert all(n == 1 for n in lines.values()), [k for k, n in lines.items() if n > 1]
    early = {(org, period) for (org, period), (when, _) in SUBMISSIONS.items()
             if when < next(r for o, p, r, _ in schedule() if (o, p) == (org, period))}
    reminded = {(org, period) for org, period, *_ in schedule()} - early
    assert {(o, p) for s, o, p in lines if s == "reminder"} == reminded and len(reminded) == 21
    assert {(o, p) for s, o, p in lines if s == "overdue"} == overdue() and len(overdue()) == 20
    assert {(o, p) for s, o, p in lines if s == "resolved"} == {("town-b", "2025Q3"), (LIBRARY, "2025-06")}


def test_every_digest_goes_out_in_working_hours_on_a_working_day_and_lists_a_duty_once():
    for digest in WALKED.digests:
        local = digest.created_at.astimezone(SHANGHAI)
        assert CHINA.is_working_day(local.date()) and 9 <= local.hour < 18, digest.created_at
        keys = [(i["scope"], i["indicator"], i["window"]) for i in digest.items]
        assert len(keys) == len(set(keys))


def test_the_national_day_holiday_moves_the_deadline_and_a_make_up_saturday_is_a_working_day():
    """2025Q3 is due on the 10th working day after Sep 30: Oct 1–8 are National Day, Saturday Oct
    11 is worked (调休), so Oct 21. The library's September, due Oct 14, is reminded on Saturday Oct 11."""
    town_a = [(d.created_at.astimezone(SHANGHAI).date(), i) for d in WALKED.digests if d.org == "town-a"
              for i in own_lines(d) if i["window"] == "2025Q3" and i["section"] == "new"]
    assert [(day, i["status"], i["text"]) for day, i in town_a] == [
        (dt.date(2025, 10, 17), "reminder", "2025年第三季度报送：截止2025年10月21日，尚未报送（还剩2个工作日）"),
        (dt.date(2025, 10, 22), "overdue", "逾期未报送：2025年第三季度（截止2025年10月21日）")]
    saturday = [i["text"] for d in WALKED.digests if d.org == LIBRARY
                and d.created_at.astimezone(SHANGHAI).date() == dt.date(2025, 10, 11) for i in own_lines(d)
                if i["section"] == "new"]
    assert saturday == ["2025年9月报送：截止2025年10月14日，尚未报送（还剩2个工作日）"]


def test_the_office_reads_who_is_late_one_line_per_period():
    told = {(i["scope"], i["window"]) for d in WALKED.digests if d.org == OFFICE for i in d.items
            if i.get("listed") and i["status"] == "overdue" and i["section"] == "new"}
    assert told == overdue()
    october = next(d for d in WALKED.digests if d.org == OFFICE
                   and d.created_at.astimezone(SHANGHAI).date() == dt.date(2025, 10, 22))
    assert "1. 逾期未报送的单位（2025年第三季度，截止2025年10月21日）：东岚镇" in october.text
    assert all(len(numbered_lines(d)) == len({i.get("listed") or i["text"] for i in d.items}) for d in WALKED.digests
               if d.org == OFFICE and d.kind == "news")


def test_a_nil_report_resolves_its_reminder_and_adds_no_overdue_line():
    town_b = [(i["status"], i["text"]) for d in WALKED.digests if d.org == "town-b" for i in own_lines(d)
              if i["window"] == "2025Q3" and i["section"] in ("new", "resolved")]
    assert town_b == [("reminder", "2025年第三季度报送：截止2025年10月21日，尚未报送（还剩2个工作日）"),
                      ("resolved", "2025年第三季度报送：已报送")]


REMINDED = "2025年观星科普夜：尚未报送活动（活动期至2025年8月31日），请组织开展并及时报送"
MISSING = "2025年观星科普夜：未报送活动（活动期已于2025年8月31日结束）"


def test_an_expected_campaign_is_reminded_raises_its_alert_at_the_season_s_end_and_resolves_on_a_late_report():
    lines = sorted((d.created_at.astimezone(SHANGHAI).date(), d.org, i["status"], i["text"]) for d in WALKED.digests
                   for i in d.items if i["topic"] == "campaign" and i["section"] in ("new", "resolved"))
    assert lines == [
        (dt.date(2025, 7, 30), LIBRARY, "reminder", REMINDED),
        (dt.date(2025, 7, 30), ASSOCIATION, "reminder", REMINDED),
        (dt.date(2025, 8, 11), LIBRARY, "resolved", "2025年观星科普夜：已报送活动"),
        (dt.date(2025, 9, 1), OFFICE, "missing_campaign", f"青岚县科协：{MISSING}"),
        (dt.date(2025, 9, 1), ASSOCIATION, "missing_campaign", MISSING),
        (dt.date(2025, 9, 15), OFFICE, "resolved", "青岚县科协：2025年观星科普夜：已报送活动"),
        (dt.date(2025, 9, 15), ASSOCIATION, "resolved", "2025年观星科普夜：已报送活动"),
    ]
    september = next(d for d in WALKED.digests if d.org == OFFICE
                     and d.created_at.astimezone(SHANGHAI).date() == dt.date(2025, 9, 1))
    assert "2025年观星科普夜：未报送活动的单位：青岚县科协" in september.text
