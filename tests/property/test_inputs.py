"""Property tests of the inputs checked in-process: report validation (the rules both the
gateway's service and the consumers apply), plan files and spreadsheet rows. Whatever comes in,
the answer is a value or an error naming the field, never an exception of another kind; what
passes is finite and within the plan's bounds. (The gRPC calls on a real gateway and events on
the real bus: tests/e2e/test_properties.py and tests/interface/test_event_properties.py.)"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from libs.client.sheets import TARGET_GROUPS, QuantitySpec, SheetSpec, TypeSpec, read_sheet
from libs.common.contracts.activity import ActivityReport
from libs.common.errors import MAX_VIOLATIONS, BadRequest, describe
from libs.common.plan import PlanError
from libs.common.plan.loader import parse_plan
from libs.common.settings import REPO_ROOT
from services.activities.domain import check_against_plan
from tests.property.strategies import awkward_text, reports

PLAN_TEXT = (REPO_ROOT / "plans" / "dangshan-2021-2025.yaml").read_text(encoding="utf-8")
PLAN = parse_plan(PLAN_TEXT)
AS_OF = dt.date(2024, 6, 30)
QUICK = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _clean(report: dict) -> dict:
    """What the gateway's mapping makes of the proto fields: "" means not given."""
    return {k: (v or None) if k in ("external_id", "town", "target_group", "end_date") else v
            for k, v in report.items()}


@QUICK
@given(reports())
def test_a_report_is_accepted_within_bounds_or_refused_naming_small_fields(report):
    try:
        parsed = ActivityReport.model_validate(_clean(report))
    except ValidationError as exc:
        refusal = BadRequest(describe(exc))
        assert 1 <= len(refusal.violations) <= MAX_VIOLATIONS + 1 and len(str(refusal)) < 8000
        assert all(v.field and len(v.field) < 300 and v.field.isprintable() and v.code for v in refusal.violations)
        return
    problems = check_against_plan(parsed, PLAN, AS_OF)
    assert all(v.field and v.code for v in problems)
    if not problems:  # accepted: every figure it brings is finite, whole where counted, within the max
        for name, amount in parsed.quantities.items():
            assert math.isfinite(amount) and 0 <= amount <= 1_000_000, (name, amount)
        assert parsed.start_date <= parsed.end_date <= dt.date(2025, 12, 31) and parsed.start_date <= AS_OF
        assert len(parsed.co_organisers) == len(set(parsed.co_organisers)) <= 20


@st.composite
def mutated_plans(draw) -> str:
    """The seed plan with a few values replaced by anything."""
    data = yaml.safe_load(PLAN_TEXT)
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from(["indicators", "activity_types", "quantities", "organisations"]))
        items = data[section]
        i = draw(st.integers(0, len(items) - 1))
        key = draw(st.sampled_from(sorted(items[i])))
        items[i][key] = draw(st.one_of(awkward_text, st.integers(-10, 10**12), st.floats(), st.none(),
                                       st.lists(st.integers(), max_size=3), st.just({"x": 1})))
    return yaml.safe_dump(data, allow_unicode=True)


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutated_plans(), awkward_text))
def test_a_mutated_plan_loads_or_lists_its_problems_with_lines(text):
    try:
        parse_plan(text, "mutated.yaml")
    except PlanError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        assert all(p.line for p in exc.problems if p.path), str(exc)  # a problem in the plan names its line
        assert all(line.startswith("mutated.yaml") for line in str(exc).splitlines())


SPEC = SheetSpec(
    activity_types=(TypeSpec("caravan_tour", "科普大篷车巡展", ("sessions", "participants")),),
    quantities=(QuantitySpec("sessions", "场次", "场次"), QuantitySpec("participants", "人次", "人次")),
    target_groups=TARGET_GROUPS, towns=(("dangcheng", "砀城镇"),),
)
HEADER = ["编号", "活动类型", "活动名称", "开始日期", "结束日期", "镇（园区）", "对象人群", "协办单位", "场次", "人次"]
cells = st.one_of(awkward_text, st.sampled_from(["科普大篷车巡展", "caravan_tour", "2024-05-01", "2024/5/1", "3",
                                                  "1,000", "-2", "inf", "nan", "1e309", "砀城镇", ""]))


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cells, min_size=0, max_size=12), min_size=1, max_size=8))
def test_spreadsheet_rows_become_reports_or_problems_naming_row_and_column(tmp_path_factory, rows):
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([HEADER, *rows])
    path = tmp_path_factory.mktemp("sheet") / "rows.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    sheet = read_sheet(path, SPEC)
    assert all(p.row >= 2 and p.message for p in sheet.problems)
    for row in sheet.rows:  # a row the reader made into a report is finite; the server then judges it
        assert all(math.isfinite(v) and v >= 0 for v in row.report["quantities"].values())
