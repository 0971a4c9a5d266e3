"""Every refusal of a report reads in Chinese: a batch of deliberately broken reports meets every
rule of services/activities/domain.py and each pydantic failure the contract can raise, and each
violation's message is for a county clerk (Chinese, no pydantic or Python repr noise, bounded),
while its field path and code stay what programs rely on."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.errors import MESSAGE_MAX, BadRequest, ClientError, Refusal, Violation
from libs.common.events import OrganisationChanged
from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of
from libs.common.settings import REPO_ROOT
from services.activities import app
from services.activities.models import Base
from services.gateway.paging import page

PLAN = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
TODAY = dt.date(2024, 6, 30)
NOW = dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)
LIBRARY = Caller(org="qinglan-library", org_kind="department", role="reporter", token_id=1)
VIEWER = Caller(org="qinglan-library", org_kind="department", role="viewer", token_id=2)
OTHER = Caller(org="qinglan-science-association", org_kind="body", role="reporter", token_id=3)
TOWN = Caller(org="town-a", org_kind="town", role="reporter", token_id=4)
GOOD = {"activity_type": "star_night", "start_date": "2024-05-01", "quantities": {"booths": 3}}

CJK = re.compile(r"[\u4e00-\u9fff]")
# what a message for people must not contain: pydantic's words, Python's reprs, English prose
NOISE = re.compile(r"Input should|Value error|Field required|Extra inputs|validation error|'|\"|\b(?:is|are|not|the|"
                   r"should|must|unknown|required|invalid|missing|valid|number|date|characters?|problems?|before|"
                   r"after|future|period|town|organisation|activity|give|send|use)\b", re.IGNORECASE)
# what a message quotes keeps its words: the input echoed in 「」, a code in （）, the command an
# operator types (`kepu org register 代码 名称 --kind town`)
QUOTED = re.compile(r"「[^」]*」|（[a-z0-9_.-]+）|`[^`]*`")

# each pydantic failure the contract can raise, with the code (pydantic's error type) it keeps
SCHEMA_FAILURES = [
    ({"activity_type": None}, "activity_type", "string_type"),
    ({"activity_type": ""}, "activity_type", "value_error"),
    ({"activity_type": "Star Night"}, "activity_type", "value_error"),
    ({"start_date": "2024-02-30"}, "start_date", "date_from_datetime_parsing"),
    ({"start_date": "2024-13-01"}, "start_date", "date_from_datetime_parsing"),
    ({"start_date": "下周三"}, "start_date", "value_error"),
    ({"start_date": ""}, "start_date", "value_error"),
    ({"start_date": 1714521600}, "start_date", "value_error"),
    ({"end_date": "2024-04-30"}, "end_date", "value_error"),
    ({"target_group": "学生"}, "target_group", "literal_error"),
    ({"quantities": {}}, "quantities", "too_short"),
    ({"quantities": {f"q{i}": 1 for i in range(21)}}, "quantities", "too_long"),
    ({"quantities": "三场"}, "quantities", "dict_type"),
    ({"quantities": {"booths": -1}}, "quantities.booths", "greater_than_equal"),
    ({"quantities": {"booths": float("nan")}}, "quantities.booths", "finite_number"),
    ({"quantities": {"booths": float("inf")}}, "quantities.booths", "finite_number"),
    ({"quantities": {"booths": "三"}}, "quantities.booths", "float_parsing"),
    ({"quantities": {"Booths": 1}}, "quantities.Booths.[key]", "value_error"),
    ({"title": "星" * 301}, "title", "string_too_long"),
    ({"title": "第一行\n第二行"}, "title", "value_error"),
    ({"title": "响铃\x07"}, "title", "value_error"),
    ({"title": 3}, "title", "string_type"),
    ({"co_organisers": [f"org-{i}" for i in range(21)]}, "co_organisers", "too_long"),
    ({"co_organisers": "qinglan-gov"}, "co_organisers", "list_type"),
    ({"co_organisers": ["图书馆"]}, "co_organisers.0", "value_error"),
    ({"external_id": ""}, "external_id", "string_too_short"),
    ({"external_id": "x" * 129}, "external_id", "string_too_long"),
    ({"colour": "红"}, "colour", "extra_forbidden"),
]
# each rule of services/activities/domain.py (and the town token's), with the code it keeps
RULES = [
    ({"activity_type": "star_nite"}, "activity_type", "unknown_activity_type"),
    ({"quantities": {"booths": 3, "pages": 1}}, "quantities.pages", "quantity_not_carried"),
    ({"activity_type": "steering_meeting", "quantities": {"booths": 1}}, "quantities.booths", "quantity_not_carried"),
    ({"quantities": {"booths": 1.79e308}}, "quantities.booths", "quantity_out_of_bounds"),
    ({"quantities": {"booths": 2.5}}, "quantities.booths", "quantity_out_of_bounds"),
    ({"start_date": "2023-05-01"}, "start_date", "outside_plan_period"),
    ({"start_date": "2026-12-30", "end_date": "2027-01-02"}, "end_date", "outside_plan_period"),
    ({"start_date": "2024-12-01"}, "start_date", "in_future"),
    ({"start_date": "2024-06-28", "end_date": "2024-07-02"}, "end_date", "in_future"),
    ({"town": "no-such-town"}, "town", "unknown_town"),
    ({"town": "qinglan-library"}, "town", "unknown_town"),
    ({"co_organisers": ["ghost"]}, "co_organisers.0", "unknown_organisation"),
    ({"co_organisers": ["qinglan-library"]}, "co_organisers.0", "self"),
    ({"co_organisers": ["qinglan"]}, "co_organisers.0", "not_an_organiser"),
    ({"co_organisers": ["qinglan-townships"]}, "co_organisers.0", "not_an_organiser"),
]


def assert_for_people(message: str) -> None:
    assert CJK.search(message), f"not Chinese: {message!r}"
    assert not NOISE.search(QUOTED.sub("", message)), f"English or repr noise in: {message!r}"
    assert len(message) <= MESSAGE_MAX, message


def organisation(code: str, kind: str) -> OrganisationChanged:
    return OrganisationChanged(code=code, name=code, kind=kind, changed_at=NOW)


@pytest.fixture
def ctx():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        app.apply_organisations(session, [organisation(c, k) for c, k in (
            ("town-a", "town"), ("town-b", "town"), ("qinglan-library", "department"),
            ("qinglan-science-association", "body"), ("qinglan", "county"), ("qinglan-townships", "town_category"))])
        yield app.Context(session, atlas_of([PLAN]), TODAY)


def refused(call) -> list[Violation]:
    """The violations of a refusal (a refusal without fields: one with its message)."""
    try:
        call()
    except Refusal as exc:
        return exc.violations
    except ClientError as exc:
        return [Violation("", type(exc).__name__, str(exc).split(": ", 1)[-1])]
    raise AssertionError("not refused")


def test_every_schema_failure_and_every_rule_of_a_batch_reads_in_chinese(ctx):
    cases = SCHEMA_FAILURES + RULES
    result = app.report_batch(ctx, LIBRARY, [{**GOOD, **bad} for bad, _, _ in cases], validate_only=True)
    for (bad, field, code), row in zip(cases, result.results, strict=True):
        assert (field, code) in [(v.field, v.code) for v in row.violations], (bad, row.violations)
        for v in row.violations:
            assert_for_people(v.message)
    seen = {v.code for row in result.results for v in row.violations}
    assert {code for _, _, code in cases} <= seen


def test_every_pydantic_failure_type_has_its_own_chinese_words(ctx):
    """None falls back to pydantic's English (the fallback is for types the contract cannot raise)."""
    result = app.report_batch(ctx, LIBRARY, [{**GOOD, **bad} for bad, _, _ in SCHEMA_FAILURES] + [{}],
                              validate_only=True)
    missing = result.results[-1].violations
    assert [(v.field, v.code, v.message) for v in missing] == [
        ("activity_type", "missing", "必填"), ("start_date", "missing", "必填"), ("quantities", "missing", "必填")]
    messages = {v.message for row in result.results for v in row.violations}
    assert "不能超过300个字符" in messages and "不认识的字段，请删去" in messages
    assert "没有这一天；日期格式应为 YYYY-MM-DD，例如 2025-03-18" in messages
    assert any(m.startswith("不是可选的值；可选：青少年（youth）、农民（farmers）") for m in messages)


def test_the_ids_of_a_batch_and_of_what_is_stored_read_in_chinese(ctx):
    app.report_one(ctx, LIBRARY, {**GOOD, "external_id": "lib-1"})
    gone = app.report_one(ctx, LIBRARY, {**GOOD, "external_id": "lib-2", "title": "撤回的"})
    app.retract(ctx, LIBRARY, gone["activity_id"], 1, "没有举办")
    rows = [{**GOOD, "external_id": "lib-1", "title": "改了内容"}, {**GOOD, "external_id": "lib-2", "title": "撤回的"},
            {**GOOD, "external_id": "lib-3"}, {**GOOD, "external_id": "lib-3", "title": "同编号"}]
    result = app.report_batch(ctx, LIBRARY, rows, validate_only=True)
    got = [(v.field, v.code) for row in result.results for v in row.violations]
    assert got == [("external_id", "external_id_reused"), ("external_id", "external_id_retracted"),
                   ("external_id", "external_id_repeated")]
    for row in result.results:
        for v in row.violations:
            assert_for_people(v.message)
    assert "第3条（rows[2]）" in result.results[3].violations[0].message


def test_a_town_s_token_and_the_other_refusals_of_the_activities_service_read_in_chinese(ctx):
    stored = app.report_one(ctx, LIBRARY, {**GOOD, "external_id": "lib-1"})
    aid = stored["activity_id"]
    corrected = {**GOOD, "external_id": "lib-1", "title": "新标题"}
    problems = {
        "outside_own_town": app.report_batch(ctx, TOWN, [{**GOOD, "town": "town-b"}], validate_only=True)
        .results[0].violations,
        "batch_size": refused(lambda: app.report_batch(ctx, LIBRARY, [])),
        "reason_missing": refused(lambda: app.retract(ctx, LIBRARY, aid, 1, "  ")),
        "reason_long": refused(lambda: app.retract(ctx, LIBRARY, aid, 1, "因" * 501)),
        "reason_control": refused(lambda: app.retract(ctx, LIBRARY, aid, 1, "第一行\n第二行")),
        "revision_missing": refused(lambda: app.correct(ctx, LIBRARY, aid, 0, corrected)),
        "immutable": refused(lambda: app.correct(ctx, LIBRARY, aid, 1, {**corrected, "external_id": "lib-9"})),
        "content": refused(lambda: app.correct(ctx, LIBRARY, aid, 1, {**corrected, "start_date": "2024-12-01"})),
        "stale": refused(lambda: app.correct(ctx, LIBRARY, aid, 7, corrected)),
        "not_found": refused(lambda: app.get(ctx, LIBRARY, "no-such-activity")),
        "not_yours": refused(lambda: app.correct(ctx, OTHER, aid, 1, corrected)),
        "viewer": refused(lambda: app.report_one(ctx, VIEWER, GOOD)),
        "page_size": refused(lambda: app.list_page(ctx, LIBRARY, {}, page_size=5000)),
        "page_token": refused(lambda: app.list_page(ctx, LIBRARY, {}, page_token="下一页")),
        "filter_day": refused(lambda: app.list_page(ctx, LIBRARY, {"start_date_from": "2024-02-30"})),
        "filter_text": refused(lambda: app.list_page(ctx, LIBRARY, {"start_date_to": "昨天"})),
        "gateway_page_size": refused(lambda: page([1], 5000, "")),
        "gateway_page_token": refused(lambda: page([1], 1, "bm90IGEgbnVtYmVy")),
    }
    app.retract(ctx, LIBRARY, aid, 1, "没有举办")
    problems["retracted"] = refused(lambda: app.correct(ctx, LIBRARY, aid, 2, corrected))
    assert [v.code for v in problems["outside_own_town"]] == ["outside_own_town"]
    assert [(v.field, v.code) for v in problems["content"]] == [("content.start_date", "in_future")]
    for name, violations in problems.items():
        assert violations, name
        for v in violations:
            assert_for_people(v.message)


def test_too_many_problems_says_how_many_more_in_chinese():
    refusal = BadRequest([Violation(f"f{i}", "missing", "必填") for i in range(25)])
    assert refusal.violations[-1] == Violation("<request>", "too_many_problems", "另有5处问题未列出；请先改正以上问题")
