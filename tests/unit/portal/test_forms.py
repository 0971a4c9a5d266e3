"""The activity form built from the plan, the report a filled form makes, and where the gateway's
problems go on it."""
from __future__ import annotations

from types import SimpleNamespace as NS

from services.portal.forms import TEXT_FIELDS, activity_form, fill, place, report_of, values_of

PLAN = NS(
    activity_types=[NS(code="caravan_tour", name="科普大篷车巡展", quantities=["sessions", "people"]),
                    NS(code="survey", name="素质调查", quantities=["percent"])],
    quantities=[NS(code="sessions", name="场次", unit="场次", whole=True, max=1000),
                NS(code="people", name="人数", unit="人", whole=True, max=0),
                NS(code="percent", name="比例", unit="%", whole=False, max=100)],
    target_groups=[NS(code="youth", name="青少年")],
)
TOWNS = [NS(code="town-a", name="甲镇"), NS(code="town-b", name="乙镇")]
ORGS = [NS(code="edu", name="县教育局", kind="department"), NS(code="women-federation", name="县妇联", kind="body"),
        NS(code="towns", name="各镇（园区）", kind="town_category")]


class Posted(dict):
    def getlist(self, key):
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def test_only_the_chosen_types_quantities_appear_with_unit_and_bound():
    form = activity_form(PLAN, TOWNS, ORGS, "caravan_tour", own_org="edu")
    assert [q.code for q in form.quantities] == ["sessions", "people"]
    assert [q.label for q in form.quantities] == ["场次", "人数（人）"]
    assert form.quantities[0].hint == "单位：场次；整数，每次最多1000"
    assert form.organisers == [("women-federation", "县妇联")]  # not itself, not the towns' category
    assert activity_form(PLAN, TOWNS, ORGS, "nonsense", own_org="edu").quantities == []


def test_a_town_reports_only_its_own_town():
    form = activity_form(PLAN, TOWNS, ORGS, "caravan_tour", own_org="town-b", town_only="town-b")
    assert form.towns == [("town-b", "乙镇")]


def test_a_filled_form_makes_the_report_and_keeps_what_was_typed():
    form = fill(activity_form(PLAN, TOWNS, ORGS, "caravan_tour", own_org="edu"), Posted(
        {"activity_type": "caravan_tour", "title": " 巡展 ", "start_date": "2025-05-01", "q.sessions": "1,200",
         "q.people": "", "co_organisers": ["women-federation"]}))
    report, problems = report_of(form)
    assert problems == {}
    assert report["title"] == "巡展" and report["quantities"] == {"sessions": 1200.0}
    assert report["co_organisers"] == ["women-federation"]


def test_a_quantity_that_is_not_a_number_is_refused_beside_its_field():
    form = fill(activity_form(PLAN, TOWNS, ORGS, "caravan_tour", own_org="edu"),
                Posted({"q.sessions": "三场", "q.people": "-4"}))
    _, problems = report_of(form)
    assert set(problems) == {"q.sessions", "q.people"}
    assert "请填写数字" in problems["q.sessions"]
    assert form.values["q.sessions"] == "三场"


def test_the_gateways_problems_land_on_their_inputs():
    by_input, general = place([("quantities.sessions", "应为整数"), ("co_organisers.1", "不是协办单位"),
                               ("start_date", "晚于今天"), ("start_date", "不在规划期内"), ("<request>", "请求有误")])
    assert by_input == {"q.sessions": "应为整数", "co_organisers": "不是协办单位", "start_date": "晚于今天；不在规划期内"}
    assert general == ["请求有误"]


def test_a_correction_starts_from_the_amounts_as_reported():
    activity = NS(**dict.fromkeys(TEXT_FIELDS, ""), quantities={"rate": 12.34, "people": 120.0})
    assert {k: v for k, v in values_of(activity).items() if k.startswith("q.")} == {"q.rate": "12.34", "q.people": "120"}
