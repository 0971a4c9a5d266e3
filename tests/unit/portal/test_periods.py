"""The portal's words for reporting periods: a missing period shows no figure (—), a nil report
says so, the clerk is offered the earliest period owed, and the office's counts."""
from __future__ import annotations

from starlette.requests import Request

from libs.common.api.kepu.v1 import reporting_service_pb2 as rep
from services.portal.pages.periods import next_to_submit, notice, office_reporting, view_of


def period(org: str, key: str, state: str, due: str, start: str = "2025-01-01", **extra) -> rep.ReportingPeriod:
    return rep.ReportingPeriod(org=org, period=key, every="quarter", start=start, end="2025-03-31", due=due,
                               state=state, **extra)


def test_a_missing_period_has_no_figure_and_a_nil_report_says_so():
    missing = view_of(period("edu", "2025Q1", "missing", "2025-04-15"), {"edu": "县教育局"})
    assert (missing.org_name, missing.label, missing.state_word, missing.activities_text) == (
        "县教育局", "2025年第一季度", "逾期未报送", "—")
    nil = view_of(period("edu", "2025Q1", "late", "2025-04-15", nil=True, activities=0, submitted_at="2025-05-01"))
    assert (nil.activities_text, nil.submitted, nil.may_submit) == ("本期无活动", True, False)
    some = view_of(period("edu", "2025Q2", "open", "2025-07-14", activities=3))
    assert some.activities_text == "3项活动" and some.tone == "quiet"


def test_the_clerk_is_offered_the_earliest_period_owed_and_none_while_the_only_one_runs():
    rows = [view_of(period("edu", "2025Q2", "due", "2025-07-14")), view_of(period("edu", "2025Q1", "missing",
                                                                                  "2025-04-15"))]
    assert next_to_submit(rows).key == "2025Q1"
    assert next_to_submit([view_of(period("edu", "2025Q3", "open", "2025-10-21"))]) is None


def test_the_office_counts_what_is_owed_and_lists_who_is_late():
    rows = [view_of(p) for p in (
        period("edu", "2025Q1", "missing", "2025-04-15"),
        period("cast", "2025Q1", "on_time", "2025-04-15", submitted_at="2025-04-01", activities=2),
        period("agri", "2025Q1", "late", "2025-04-15", submitted_at="2025-05-01", approved_at="2025-05-02",
               approved_by="office-li", activities=1),
        period("edu", "2025Q2", "due", "2025-07-14"),
        period("cast", "2025Q2", "on_time", "2025-07-14", submitted_at="2025-07-01", activities=0, nil=True),
        period("edu", "2025Q3", "open", "2025-10-21"))]
    office = office_reporting(rows)
    assert (office.expected, office.submitted, office.on_time) == (4, 3, 2)
    assert [(o.label, o.names) for o in office.missing] == [("2025年第一季度", ["edu"])]
    assert [(o.label, o.names) for o in office.due] == [("2025年第二季度", ["edu"])]
    assert [(g.key, [p.org for p in g.rows]) for g in office.to_approve] == [("2025Q2", ["cast"]),
                                                                            ("2025Q1", ["cast"])]  # latest first
    assert [p.org for p in office.approved] == ["agri"]


def test_what_happened_is_worded_from_the_outcome_and_the_key_never_from_text_in_the_address():
    def request(query: str) -> Request:
        return Request({"type": "http", "query_string": query.encode(), "headers": []})

    assert notice(request("periods=nil&period=2025Q1")) == "已报送2025年第一季度：本期无活动。"
    assert notice(request("periods=approved&period=2025Q1&org=edu"), {"edu": "县教育局"}) == \
        "已审核并锁定县教育局2025年第一季度的报送。"
    assert notice(request("periods=<script>&period=x")) is None
