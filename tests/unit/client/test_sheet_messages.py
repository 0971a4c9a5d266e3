"""Every problem libs/client/sheets.py can report reads in Chinese, as a clerk sees it next to
the row number and the column header: no English, no Python reprs, within the message bound."""
from __future__ import annotations

import re

import openpyxl
import pytest

from libs.client.sheets import (
    TARGET_GROUPS,
    Problem,
    QuantitySpec,
    SheetSpec,
    TypeSpec,
    read_sheet,
    write_template,
)
from libs.common.errors import MESSAGE_MAX

SPEC = SheetSpec(
    activity_types=(
        TypeSpec("caravan_tour", "科普大篷车巡展", ("sessions", "participants")),
        TypeSpec("high_quality_farmer_training", "高素质农民培育", ("people",)),
    ) + tuple(TypeSpec(f"campaign_{i}", f"第{i}类宣传活动", ("sessions",)) for i in range(30)),
    quantities=(QuantitySpec("sessions", "场次", "场次"), QuantitySpec("participants", "人次", "人次"),
                QuantitySpec("people", "人数", "人")),
    target_groups=TARGET_GROUPS,
    towns=(("dangcheng", "砀城镇"),),
)
HEADER = ["编号", "活动类型", "活动名称", "开始日期", "结束日期", "镇（园区）", "对象人群", "协办单位", "场次", "人次", "人数"]
CJK = re.compile(r"[\u4e00-\u9fff]")
NOISE = re.compile(r"Input should|Value error|Field required|'|\"|\b(?:is|are|not|the|should|must|unknown|required|"
                   r"invalid|missing|valid|number|date|column|characters?|negative|finite|empty|cell|sheet|"
                   r"header|row|file|found|save|accepted|least|one|carry|quantity|activity|type|group)\b",
                   re.IGNORECASE)
QUOTED = re.compile(r"「[^」]*」|（[a-z0-9_.-]+）")


def assert_for_people(message: str) -> None:
    assert CJK.search(message), f"not Chinese: {message!r}"
    assert not NOISE.search(QUOTED.sub("", message)), f"English or repr noise in: {message!r}"
    assert len(message) <= MESSAGE_MAX, message


def xlsx(tmp_path, rows: list[list], name: str = "活动.xlsx"):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def row(**cells) -> list:
    values = dict(zip(HEADER, [None, "科普大篷车巡展", "巡展", "2024-05-01", None, None, None, None, 1, None, None]))
    return list({**values, **cells}.values())


BROKEN_ROWS = {  # row number -> (the row, the column its problem names)
    2: (row(活动类型=None), "活动类型"),
    3: (row(活动类型="大蓬车"), "活动类型"),
    4: (row(开始日期="下周三"), "开始日期"),
    5: (row(开始日期="2024-02-30"), "开始日期"),
    6: (row(结束日期="2024-04-30"), "结束日期"),
    7: (row(场次="三场"), "场次"),
    8: (row(场次="nan"), "场次"),
    9: (row(场次=-2), "场次"),
    10: (row(人数=5), "人数"),
    11: (row(场次=None), "场次"),
    12: (row(对象人群="学生"), "对象人群"),
    13: (row(活动名称="星" * 301), "活动名称"),
    14: (row(编号="x" * 129), "编号"),
    15: (row(协办单位="图书馆"), "协办单位"),
}


def test_every_problem_of_a_row_reads_in_chinese_next_to_its_row_and_column(tmp_path):
    parsed = read_sheet(xlsx(tmp_path, [HEADER] + [r for r, _ in BROKEN_ROWS.values()]), SPEC)
    assert parsed.rows == []
    assert sorted({(p.row, p.column) for p in parsed.problems}) == sorted((n, c) for n, (_, c) in BROKEN_ROWS.items())
    for problem in parsed.problems:
        assert_for_people(problem.message)
        assert re.fullmatch(r"第\d+行「[^」]+」：.+", str(problem)), str(problem)
    messages = {p.row: p.message for p in parsed.problems}
    assert messages[2] == "必填，但单元格是空的"
    assert messages[3].startswith("活动类型「大蓬车」不在可选范围内；可选：科普大篷车巡展、")
    assert messages[3].endswith("（见模板的「说明」页）")
    assert messages[9] == "「-2」是负数；数量应为 0 或更大"
    assert messages[13] == "不能超过300个字符"


def test_every_problem_of_a_header_reads_in_chinese(tmp_path):
    unknown = read_sheet(xlsx(tmp_path, [["活动类型", "开始日期", "场次", "备注", "sessions"]]), SPEC)
    missing = read_sheet(xlsx(tmp_path, [["活动名称"], ["巡展"]], "b.xlsx"), SPEC)
    empty = read_sheet(xlsx(tmp_path, [], "c.xlsx"), SPEC)
    problems = unknown.problems + missing.problems + empty.problems
    assert [(p.row, p.column) for p in problems] == [(1, "备注"), (1, "sessions"), (1, ""), (1, ""), (1, ""), (1, "")]
    for problem in problems:
        assert_for_people(problem.message)
    assert [str(p) for p in missing.problems] == [
        "第1行：缺少「活动类型」列；请在表头行补上", "第1行：缺少「开始日期」列；请在表头行补上",
        "第1行：缺少数量列：「场次」、「人次」、「人数」至少要有一列；请在表头行补上"]
    assert str(empty.problems[0]) == "第1行：表格是空的：没有找到表头行"


@pytest.mark.parametrize(("name", "content"), [
    ("旧格式.xls", b""), ("损坏.xlsx", b"\x00\x01"), ("乱码.csv", b"\xff\xfe\xff\x80,\x80\xff\n"),
])
def test_a_file_that_cannot_be_read_says_so_in_chinese(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        read_sheet(path, SPEC)
    message = str(info.value).removeprefix(f"{path}：")
    assert CJK.search(message) and name in str(info.value), str(info.value)


def test_template_problems_read_in_chinese(tmp_path):
    for path, activity_type in ((tmp_path / "t.ods", None), (tmp_path / "t.xlsx", "不存在的类型")):
        with pytest.raises(ValueError) as info:
            write_template(path, SPEC, activity_type)
        assert CJK.search(str(info.value).removeprefix(f"{path}：")), str(info.value)


def test_a_problem_prints_as_row_column_and_message():
    assert str(Problem(3, "场次", "应为数字")) == "第3行「场次」：应为数字"
    assert str(Problem(1, "", "表格是空的")) == "第1行：表格是空的"
