"""``kepu import FILE`` as a clerk reads it, driven through typer's CliRunner against a stand-in
gateway that checks rows with the activities service's own rules (the contract, the plan, the
registered towns): the summary and each problem as 第N行「列」：message, in Chinese. The real
gateway's import is tests/e2e/test_department_api.py."""
from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from types import SimpleNamespace

import openpyxl
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from libs.cli import importer
from libs.cli.main import app
from libs.client import importing
from libs.client.client import ClientError
from libs.common.contracts.activity import ActivityReport
from libs.common.errors import describe
from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.activities.domain import check_against_plan, check_orgs

PLAN = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml")
TODAY = dt.date(2024, 6, 30)
TOWNS = [SimpleNamespace(code="dangcheng", name="砀城镇", kind="town")]
HEADER = ["活动类型", "活动名称", "开始日期", "结束日期", "镇（园区）", "对象人群", "场次", "人次"]
CJK = re.compile(r"[\u4e00-\u9fff]")


class Gateway:
    """What the CLI asks of ``KepuClient``; a batch is checked as the activities service checks it."""

    def __init__(self) -> None:
        self.stored: list[dict] = []

    def plan(self):
        return PLAN

    def list_organisations(self, kind: str = ""):
        return TOWNS

    def report_batch(self, rows, skip_invalid=False, validate_only=False, correct_changed=False):
        results = []
        for index, row in enumerate(rows):
            raw = {k: v for k, v in row.items() if v not in (None, "")}  # as proto carries it
            try:
                report = ActivityReport.model_validate(raw)
            except ValidationError as exc:
                problems = describe(exc)
            else:
                problems = check_against_plan(report, PLAN, TODAY) or check_orgs(
                    report, {t.code: t.kind for t in TOWNS}, "edu")
            violations = [SimpleNamespace(field=v.field, description=v.message) for v in problems]
            results.append(SimpleNamespace(index=index, violations=violations))
        bad = sum(bool(r.violations) for r in results)
        if not validate_only:
            self.stored += [r for r, res in zip(rows, results) if not res.violations]
        return SimpleNamespace(results=results, created=len(rows) - bad, unchanged=0, corrected=0, invalid=bad,
                               conflicts=0)


@pytest.fixture
def gateway(monkeypatch):
    fake = Gateway()

    @contextmanager
    def connect(token, target=None, ca_file=None):
        yield fake

    monkeypatch.setattr(importer, "gateway", connect)
    return fake


def workbook(tmp_path, rows):
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    path = tmp_path / "活动.xlsx"
    book.save(path)
    return path


def kepu(*args):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400", "KEPU_TOKEN": "t"})


BROKEN = [
    ["科普大篷车巡展", "好的一行", "2024-05-01", None, "砀城镇", "青少年", 2, 100],  # row 2: good
    ["科普大蓬车", "类型写错", "2024-05-02", None, None, None, 1, None],  # row 3: the sheet knows no such type
    ["科普大篷车巡展", "日期写错", "2024/2/30", None, None, None, 1, None],  # row 4: no such day
    ["科普大篷车巡展", "场次写错", "2024-05-03", None, None, None, "三场", None],  # row 5: not a number
    ["科普大篷车巡展", "还没举办", "2024-12-01", None, None, None, 1, None],  # row 6: the service: in the future
    ["科普大篷车巡展", "半场", "2024-05-04", None, None, None, 2.5, None],  # row 7: the service: not whole
    ["科普大篷车巡展", "未登记的镇", "2024-05-05", None, "new-town", None, 1, None],  # row 8: the service: unknown town
    ["科普大篷车巡展", "规划之前", "2020-05-05", None, None, None, 1, None],  # row 9: the service: before the plan
    ["科普大篷车巡展", "倒过来", "2024-05-06", "2024-05-01", None, None, 1, None],  # row 10: end before start
]
EXPECTED = [(3, "活动类型"), (4, "开始日期"), (5, "场次"), (6, "开始日期"), (7, "场次"), (8, "镇（园区）"),
            (9, "开始日期"), (10, "结束日期")]


def problem_lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.strip().startswith("第")]


def test_a_broken_workbook_is_refused_with_each_problem_by_row_and_column_in_chinese(gateway, tmp_path):
    result = kepu("import", str(workbook(tmp_path, BROKEN)))
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "读取9行：将新增1条，无变化0条，将更正0条，有问题8行" in result.stdout
    lines = problem_lines(result.stderr)
    assert [tuple(re.match(r"第(\d+)行「([^」]+)」：", line).groups()) for line in lines] == [
        (str(n), column) for n, column in EXPECTED], result.stderr
    for line in lines:
        message = line.split("：", 1)[1]
        assert CJK.search(message) and not re.search(r"Input should|Value error|'|\bis not\b|\bunknown\b", message), line
    assert "第6行「开始日期」：开始日期 2024-12-01 晚于今天（2024-06-30）；活动举办后再上报" in lines
    assert "第7行「场次」：场次应为整数，不能是 2.5" in lines
    assert "没有保存任何活动" in result.stderr and gateway.stored == []


def test_a_dry_run_and_an_import_of_the_good_rows_count_in_chinese(gateway, tmp_path):
    path = workbook(tmp_path, BROKEN)
    dry = kepu("import", str(path), "--dry-run")
    assert dry.exit_code == 1 and "读取9行：将新增1条" in dry.stdout and "没有保存任何活动" not in dry.stderr
    done = kepu("import", str(path), "--skip-invalid")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "读取9行：新增1条，无变化0条，更正0条，有问题8行" in done.stdout and len(problem_lines(done.stderr)) == 8
    assert [r["title"] for r in gateway.stored] == ["好的一行"]


def test_a_file_that_cannot_be_read_and_an_empty_one(gateway, tmp_path):
    (tmp_path / "旧.xls").write_bytes(b"")
    unreadable = kepu("import", str(tmp_path / "旧.xls"))
    assert unreadable.exit_code == 1 and "无法读取" in unreadable.stderr and "另存为 .xlsx 或 .csv" in unreadable.stderr
    empty = kepu("import", str(workbook(tmp_path, [])))
    assert empty.exit_code == 0 and "读取0行：没有要导入的活动" in empty.stdout


def test_a_violation_of_a_field_the_sheet_has_no_column_for_names_the_field_s_chinese_title():
    sheet = SimpleNamespace(column_for=lambda field: "")
    assert importing.column_of(sheet, "external_id") == "编号"
    assert importing.column_of(sheet, "co_organisers.2") == "协办单位"
    assert importing.column_of(sheet, "<request>") == ""


def test_a_refused_call_prints_its_fields_in_chinese():
    import grpc

    error = ClientError(grpc.StatusCode.INVALID_ARGUMENT, "start_date: …",
                        [("start_date", "必填"), ("rows[3].quantities.participants", "不能是负数")])
    assert error.lines() == ["INVALID_ARGUMENT：请求有2处问题", "  字段 start_date：必填",
                             "  字段 rows[3].quantities.participants：不能是负数"]
    plain = ClientError(grpc.StatusCode.UNAVAILABLE, "the gateway is not answering", [])
    assert plain.lines() == ["UNAVAILABLE：the gateway is not answering"]
