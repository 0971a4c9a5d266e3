"""Activities judges reporting duties (``reminders.review_duties``) on SQLite in memory and the
fictional plan: what it publishes, when, in which order, and what it never publishes."""
from __future__ import annotations

import datetime as dt

from libs.common.events import ReportingDutyChanged
from tests.unit.reporting import ASSOCIATION, LIBRARY, ReportingCounty


def judged(county: ReportingCounty, day: dt.date) -> list[ReportingDutyChanged]:
    return [e.typed_payload() for e in county.judge(day)]


def of(found: list[ReportingDutyChanged], org: str, period: str) -> list[tuple[str, int | None, int]]:
    return [(c.state, c.days_left, c.sequence) for c in found if (c.org, c.period) == (org, period)]


def test_a_quarter_is_reminded_counted_down_overdue_then_resolved_by_a_nil_report_each_change_once():
    county = ReportingCounty()
    assert of(judged(county, dt.date(2025, 10, 16)), "town-a", "2025Q3") == []  # the reminder day is Oct 17
    assert of(judged(county, dt.date(2025, 10, 17)), "town-a", "2025Q3") == [("reminder", 2, 1)]
    assert of(judged(county, dt.date(2025, 10, 17)), "town-a", "2025Q3") == []  # judged again: nothing new
    assert of(judged(county, dt.date(2025, 10, 18)), "town-a", "2025Q3") == []  # Saturday: still 2 working days
    assert of(judged(county, dt.date(2025, 10, 20)), "town-a", "2025Q3") == [("reminder", 1, 2)]
    assert of(judged(county, dt.date(2025, 10, 21)), "town-a", "2025Q3") == [("reminder", 0, 3)]
    assert of(judged(county, dt.date(2025, 10, 22)), "town-a", "2025Q3") == [("overdue", None, 4)]
    county.submit("town-a", "2025Q3", dt.date(2025, 10, 23), nil=True)  # judged at once for town-a
    assert of(judged(county, dt.date(2025, 10, 23)), "town-a", "2025Q3") == []
    resolved = county.changes()[-1]
    assert (resolved.org, resolved.period, resolved.state, resolved.sequence) == ("town-a", "2025Q3", "resolved", 5)
    assert (resolved.due, resolved.starts, resolved.org_name) == (dt.date(2025, 10, 21), dt.date(2025, 7, 1), "东岚镇")


def test_a_period_submitted_before_its_reminder_day_is_never_mentioned():
    county = ReportingCounty()
    county.submit("town-b", "2025Q3", dt.date(2025, 10, 9))
    for day in (dt.date(2025, 10, 17), dt.date(2025, 10, 22)):
        assert of(judged(county, day), "town-b", "2025Q3") == []


def test_a_first_start_on_a_late_date_chases_nothing_due_before_it():
    """A demo started with --as-of 2025-10-15: 2024 and the library's September (due Oct 14) are
    history; the towns' third quarter, due Oct 21, is reminded on Oct 17."""
    county = ReportingCounty()
    assert judged(county, dt.date(2025, 10, 15)) == []
    assert {(c.org, c.period, c.state) for c in judged(county, dt.date(2025, 10, 17))} == {
        ("town-a", "2025Q3", "reminder"), ("town-b", "2025Q3", "reminder")}
    assert {(c.org, c.period) for c in judged(county, dt.date(2025, 11, 10))} == {
        ("town-a", "2025Q3"), ("town-b", "2025Q3"), (LIBRARY, "2025-10")}  # overdue; Sep stays history


def test_a_campaign_reported_in_season_is_done_and_a_retracted_report_counts_no_more():
    county = ReportingCounty()
    assert {(c.org, c.state) for c in judged(county, dt.date(2025, 7, 30)) if c.campaign} == {
        (LIBRARY, "reminder"), (ASSOCIATION, "reminder")}
    report = county.report(LIBRARY, "star_night", dt.date(2025, 8, 2), dt.date(2025, 8, 4), booths=1)
    assert [(c.org, c.state, c.sequence) for c in county.changes() if c.campaign][-1] == (LIBRARY, "resolved", 2)
    county.retract(LIBRARY, report["activity_id"], dt.date(2025, 8, 5))
    assert [(c.org, c.state, c.sequence) for c in county.changes() if c.campaign][-1] == (LIBRARY, "reminder", 3)
    missing = [c for c in judged(county, dt.date(2025, 9, 1)) if c.campaign]
    assert {(c.org, c.state, c.period, c.campaign_name) for c in missing} == {
        (LIBRARY, "missing_campaign", "2025", "观星科普夜"), (ASSOCIATION, "missing_campaign", "2025", "观星科普夜")}
