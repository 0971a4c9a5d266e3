"""Department spreadsheets: real .xlsx and .csv files written to tmp_path and read back."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import openpyxl
import pytest

from libs.client.sheets import (
    TARGET_GROUPS,
    ParsedSheet,
    Problem,
    QuantitySpec,
    SheetSpec,
    TypeSpec,
    read_sheet,
    spec_from_plan,
    write_template,
)

SPEC = SheetSpec(
    activity_types=(
        TypeSpec("caravan_tour", "科普大篷车巡展", ("sessions", "participants")),
        TypeSpec("high_quality_farmer_training", "高素质农民培育", ("people",)),
    ),
    quantities=(
        QuantitySpec("sessions", "场次", "场次"), QuantitySpec("participants", "人次", "人次"),
        QuantitySpec("people", "人数", "人"),
    ),
    target_groups=TARGET_GROUPS,
    towns=(("dangcheng", "砀城镇"),),
)
HEADER = ["编号", "活动类型", "活动名称", "开始日期", "结束日期", "镇（园区）", "对象人群", "协办单位", "场次", "人次", "人数"]
SHORT = ["活动类型", "活动名称", "开始日期", "场次", "人次", "人数"]


def sheet_id(*parts: str, n: int = 1) -> str:
    """The documented content-derived id, computed independently of the code under test."""
    return "sheet-" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:16] + f"-{n}"


def xlsx(tmp_path: Path, rows: list[list], name: str = "in.xlsx") -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def csv_file(tmp_path: Path, rows: list[list], encoding: str, name: str = "in.csv") -> Path:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path = tmp_path / name
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def where(sheet: ParsedSheet) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in sheet.problems]


def test_template_round_trip(tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path, SPEC)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["活动", "说明"]
    sheet = book["活动"]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.max_row == 1 and sheet.freeze_panes == "A2" and sheet["B1"].font.bold
    notes = [[c for c in row if c is not None] for row in book["说明"].iter_rows(values_only=True)]
    assert ["科普大篷车巡展", "caravan_tour", "场次、人次"] in notes
    assert ["领导干部和公务员", "officials"] in notes
    lists = {}
    for rule in sheet.data_validations.dataValidation:  # the drop-downs point at the names on 说明
        first, last = rule.formula1.split("!")[1].replace("$", "").split(":")
        lists[str(rule.sqref).split(":")[0]] = [c.value for row in book["说明"][first:last] for c in row]
    assert lists == {"B2": ["科普大篷车巡展", "高素质农民培育"], "G2": [n for _, n in TARGET_GROUPS]}
    sheet.append([None, "科普大篷车巡展", "大篷车进校园", dt.datetime(2024, 5, 1, 9, 30), None, "砀城镇", "青少年",
                  "cast、edu，cast", 3, 1200, None])
    sheet.append(["A-7", "high_quality_farmer_training", None, "2024/5/1", dt.date(2024, 5, 3), "new_town",
                  "farmers", None, None, None, 45.0])
    book.save(path)

    parsed = read_sheet(path, SPEC)

    assert parsed.problems == []
    assert parsed.rows_read == 2
    assert [(r.row, r.report) for r in parsed.rows] == [
        (2, {"activity_type": "caravan_tour", "title": "大篷车进校园",
             "external_id": sheet_id("caravan_tour", "大篷车进校园", "2024-05-01", "", "dangcheng", "youth", "cast,edu"),
             "town": "dangcheng", "target_group": "youth", "co_organisers": ["cast", "edu"],
             "start_date": "2024-05-01", "end_date": "", "quantities": {"sessions": 3.0, "participants": 1200.0}}),
        (3, {"activity_type": "high_quality_farmer_training", "title": "", "external_id": "A-7",
             "town": "new_town", "target_group": "farmers", "co_organisers": [], "start_date": "2024-05-01",
             "end_date": "2024-05-03", "quantities": {"people": 45.0}}),
    ]
    assert parsed.headers == {"external_id": "编号", "activity_type": "活动类型", "title": "活动名称",
                              "start_date": "开始日期", "end_date": "结束日期", "town": "镇（园区）",
                              "target_group": "对象人群", "co_organisers": "协办单位", "quantities.sessions": "场次",
                              "quantities.participants": "人次", "quantities.people": "人数"}
    assert parsed.column_for("quantities.sessions") == "场次"
    assert parsed.column_for("co_organisers.1") == "协办单位"
    assert parsed.column_for("no_such_field") == ""


def test_template_for_one_type_and_csv_template(tmp_path):
    write_template(tmp_path / "t.xlsx", SPEC, "高素质农民培育")
    header = [c.value for c in openpyxl.load_workbook(tmp_path / "t.xlsx")["活动"][1]]
    assert header == HEADER[:8] + ["人数"]
    write_template(tmp_path / "t.csv", SPEC, "caravan_tour")
    data = (tmp_path / "t.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8").splitlines() == [",".join(HEADER[:8] + ["场次", "人次"])]
    with pytest.raises(ValueError, match="caravan_tour"):
        write_template(tmp_path / "t.xlsx", SPEC, "no_such_type")
    with pytest.raises(ValueError, match=r"\.xlsx"):
        write_template(tmp_path / "t.ods", SPEC)


def test_gb18030_csv_with_chinese_headers_and_names(tmp_path):
    rows = [["活动类型", "活动名称", "开始日期", "结束日期", "镇（园区）", "对象人群", "协办单位", "场次", "人次"],
            ["科普大篷车巡展", "科普进乡村", "2024年5月1日", "2024.5.2", "砀城镇", "农民", "cast；edu", "2", "1,200"]]
    path = csv_file(tmp_path, rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8

    parsed = read_sheet(path, SPEC)

    assert parsed.problems == []
    [row] = parsed.rows
    assert row.row == 2
    assert row.report == {
        "activity_type": "caravan_tour", "title": "科普进乡村",
        "external_id": sheet_id("caravan_tour", "科普进乡村", "2024-05-01", "2024-05-02", "dangcheng", "farmers",
                                "cast,edu"),
        "town": "dangcheng", "target_group": "farmers", "co_organisers": ["cast", "edu"],
        "start_date": "2024-05-01", "end_date": "2024-05-02", "quantities": {"sessions": 2.0, "participants": 1200.0}}


def test_utf8_bom_csv(tmp_path):
    rows = [["编号", "活动类型", "开始日期", "人数"], ["X1", "高素质农民培育", "2024/05/01 0:00", "３０"]]
    parsed = read_sheet(csv_file(tmp_path, rows, "utf-8-sig"), SPEC)
    assert parsed.problems == []
    assert parsed.headers["external_id"] == "编号"
    report = parsed.rows[0].report
    assert (report["external_id"], report["start_date"], report["quantities"]) == ("X1", "2024-05-01", {"people": 30.0})


def test_csv_neither_utf8_nor_gb18030(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"\xff\xfe\xff\x80,\x80\xff\n")
    with pytest.raises(ValueError, match="garbage.csv"):
        read_sheet(path, SPEC)


def test_unsupported_suffix_and_damaged_xlsx(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"\.xlsx"):
        read_sheet(path, SPEC)
    (tmp_path / "renamed.xlsx").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="renamed.xlsx"):
        read_sheet(tmp_path / "renamed.xlsx", SPEC)


@pytest.mark.parametrize(("sessions", "participants"), [
    ("sessions", "participants"), ("场次（场）", "人次(人次)"), ("场次", "参与人次"), ("SESSIONS ", "参与人次（人次）"),
])
def test_header_aliases(tmp_path, sessions, participants):
    rows = [[" 活动类型", "开始日期", "镇(园区)", sessions, participants],
            ["caravan_tour", "2024-05-01", "dangcheng", 1, 20]]
    parsed = read_sheet(xlsx(tmp_path, rows), SPEC)
    assert parsed.problems == []
    assert parsed.rows[0].report["quantities"] == {"sessions": 1.0, "participants": 20.0}
    assert parsed.rows[0].report["town"] == "dangcheng"
    assert parsed.column_for("quantities.sessions") == sessions.strip()
    assert parsed.column_for("quantities.participants") == participants
    assert parsed.column_for("town") == "镇(园区)"
    assert parsed.column_for("co_organisers.0") == ""


def test_problems_name_row_and_header(tmp_path):
    good = ["科普大篷车巡展", "ok", "2024-05-01", 1, 10, None]
    rows = [SHORT, good,
            ["科普大篷车巡展", "bad number", "2024-05-01", "abc", 10, None],
            ["科普大篷车巡展", "negative", "2024-05-01", 1, -5, None],
            ["科普大篷车巡展", "not carried", "2024-05-01", 1, None, 10],
            ["不存在的活动", "unknown type", "2024-05-01", 1, None, None],
            ["科普大篷车巡展", "bad date", "2024-13-01", 1, None, None],
            ["科普大篷车巡展", "not a date", "next week", 1, None, None],
            ["科普大篷车巡展", "nan", "2024-05-01", "nan", None, None],
            ["科普大篷车巡展", "no quantity", "2024-05-01", None, None, None],
            [None, "no type", "2024-05-01", 1, None, None],
            ["科普大篷车巡展", "two problems", "2024-02-30", 1, "many", None]]
    parsed = read_sheet(xlsx(tmp_path, rows), SPEC)
    assert [r.row for r in parsed.rows] == [2]
    assert parsed.rows_read == 11
    assert where(parsed) == [(3, "场次"), (4, "人次"), (5, "人数"), (6, "活动类型"), (7, "开始日期"), (8, "开始日期"),
                             (9, "场次"), (10, "场次"), (11, "活动类型"), (12, "开始日期"), (12, "人次")]
    messages = {p.row: p.message for p in parsed.problems}
    assert "abc" in messages[3] and "负数" in messages[4]
    assert "「场次」" in messages[5] and "「人次」" in messages[5]
    assert "科普大篷车巡展" in messages[6]
    assert str(parsed.problems[0]).startswith("第3行「场次」：") and "abc" in str(parsed.problems[0])
    assert str(Problem(4, "", "x")) == "第4行：x"


def test_target_group_and_end_date_problems(tmp_path):
    rows = [["活动类型", "开始日期", "结束日期", "对象人群", "场次"],
            ["科普大篷车巡展", "2024-05-01", None, "学生", 1],
            ["科普大篷车巡展", "2024-05-03", "2024-05-01", "老年人", 1]]
    parsed = read_sheet(xlsx(tmp_path, rows), SPEC)
    assert parsed.rows == []
    assert where(parsed) == [(2, "对象人群"), (3, "结束日期")]
    assert "领导干部和公务员" in parsed.problems[0].message


def test_unknown_header(tmp_path):
    rows = [SHORT + ["备注"], ["科普大篷车巡展", "x", "2024-05-01", 1, 2, None, "note"]]
    parsed = read_sheet(xlsx(tmp_path, rows), SPEC)
    assert where(parsed) == [(1, "备注")]
    assert "活动类型" in parsed.problems[0].message and "场次" in parsed.problems[0].message
    assert parsed.rows == [] and parsed.rows_read == 1


def test_duplicate_header(tmp_path):
    parsed = read_sheet(xlsx(tmp_path, [SHORT + ["sessions"], ["科普大篷车巡展", "x", "2024-05-01", 1, 2, None, 3]]), SPEC)
    assert where(parsed) == [(1, "sessions")] and "场次" in parsed.problems[0].message


def test_csv_record_spanning_lines_keeps_its_first_line(tmp_path):
    rows = [SHORT, ["科普大篷车巡展", "two\nlines", "2024-05-01", "1", "", ""], ["科普大篷车巡展", "x", "2024-05-01", "-1"]]
    parsed = read_sheet(csv_file(tmp_path, rows, "utf-8"), SPEC)
    assert [r.row for r in parsed.rows] == [2] and where(parsed) == [(4, "场次")]
    assert parsed.rows[0].report["title"] == "two lines"  # a line break typed in a cell: the title is one line


def test_the_contract_s_rules_are_applied_with_their_column(tmp_path):
    """The sheet checks a row with the same rules as the server (libs.common.contracts.activity)."""
    rows = [SHORT, ["科普大篷车巡展", "x" * 301, "2024-05-01", "1", "", ""],
            ["科普大篷车巡展", "ok", "2024-05-01", "1", "", ""]]
    parsed = read_sheet(csv_file(tmp_path, rows, "utf-8"), SPEC)
    assert [r.row for r in parsed.rows] == [3] and where(parsed) == [(2, "活动名称")]


def test_missing_required_columns(tmp_path):
    rows = [[], [None], ["活动类型", "活动名称", "人次"], ["科普大篷车巡展", "x", 5]]
    parsed = read_sheet(xlsx(tmp_path, rows), SPEC)
    assert where(parsed) == [(3, "")]
    assert "开始日期" in parsed.problems[0].message
    parsed = read_sheet(xlsx(tmp_path, [["活动类型", "开始日期"], ["科普大篷车巡展", "2024-05-01"]]), SPEC)
    assert where(parsed) == [(1, "")] and "场次" in parsed.problems[0].message


def test_empty_file(tmp_path):
    parsed = read_sheet(csv_file(tmp_path, [], "utf-8"), SPEC)
    assert parsed.rows == [] and len(parsed.problems) == 1


def test_blank_rows_are_skipped_and_row_numbers_kept(tmp_path):
    rows = [[None, None], SHORT, [None] * 6, ["  ", "", None, None, None, None],
            ["科普大篷车巡展", "a", "2024-05-01", 1, None, None], [], ["科普大篷车巡展", "b", "2024-05-02", "x", None, None]]
    parsed = read_sheet(xlsx(tmp_path, rows), SPEC)
    assert [r.row for r in parsed.rows] == [5] and where(parsed) == [(7, "场次")]
    assert parsed.rows_read == 2
    parsed = read_sheet(csv_file(tmp_path, [r or ["", ""] for r in rows], "gb18030"), SPEC)
    assert [r.row for r in parsed.rows] == [5] and where(parsed) == [(7, "场次")]


def test_external_id_from_column(tmp_path):
    rows = [["编号"] + SHORT,
            ["  A-1 ", "科普大篷车巡展", "a", "2024-05-01", 1, None, None],
            [7, "科普大篷车巡展", "b", "2024-05-01", 1, None, None],
            [None, "科普大篷车巡展", "c", "2024-05-01", 1, None, None],
            ["x" * 129, "科普大篷车巡展", "d", "2024-05-01", 1, None, None]]
    parsed = read_sheet(xlsx(tmp_path, rows), SPEC)
    assert [r.report["external_id"] for r in parsed.rows] == [
        "A-1", "7", sheet_id("caravan_tour", "c", "2024-05-01", "", "", "", "")]
    assert where(parsed) == [(5, "编号")]


def test_derived_ids_are_stable_and_ignore_quantities(tmp_path):
    same = ["科普大篷车巡展", "巡展", "2024-05-01", 1, 10, None]
    first = read_sheet(xlsx(tmp_path, [SHORT, same, list(same)], "a.xlsx"), SPEC)
    again = read_sheet(xlsx(tmp_path, [SHORT, same, list(same)], "b.xlsx"), SPEC)
    edited = read_sheet(xlsx(tmp_path, [SHORT, same[:3] + [2, 99, None], same], "c.xlsx"), SPEC)
    retitled = read_sheet(xlsx(tmp_path, [SHORT, ["科普大篷车巡展", "巡展二", "2024-05-01", 1, 10, None]], "d.xlsx"), SPEC)
    ids = [r.report["external_id"] for r in first.rows]
    base = sheet_id("caravan_tour", "巡展", "2024-05-01", "", "", "", "")[:-2]
    assert ids == [base + "-1", base + "-2"]
    assert [r.report["external_id"] for r in again.rows] == ids
    assert [r.report["external_id"] for r in edited.rows] == ids
    assert edited.rows[0].report["quantities"] == {"sessions": 2.0, "participants": 99.0}
    assert retitled.rows[0].report["external_id"] not in ids
    header = SHORT + ["协办单位"]
    one = read_sheet(xlsx(tmp_path, [header, same + ["cast、edu"]], "e.xlsx"), SPEC)
    other = read_sheet(xlsx(tmp_path, [header, same + ["edu, cast"]], "f.xlsx"), SPEC)
    assert one.rows[0].report["external_id"] == other.rows[0].report["external_id"] not in ids


def test_ids_of_later_rows_survive_fixing_an_earlier_row(tmp_path):
    same = ["科普大篷车巡展", "巡展", "2024-05-01", 1, 10, None]
    broken = read_sheet(xlsx(tmp_path, [SHORT, same[:3] + ["abc", 10, None], same], "a.xlsx"), SPEC)
    fixed = read_sheet(xlsx(tmp_path, [SHORT, same, same], "b.xlsx"), SPEC)
    assert broken.rows[0].report["external_id"] == fixed.rows[1].report["external_id"]


def test_spec_from_plan():
    from libs.common.plan import load_plan
    from libs.common.settings import REPO_ROOT

    spec = spec_from_plan(load_plan(REPO_ROOT / "plans/dangshan-2021-2025.yaml"))
    caravan = next(t for t in spec.activity_types if t.code == "caravan_tour")
    assert caravan == TypeSpec("caravan_tour", "科普大篷车巡展", ("sessions", "participants"))
    assert QuantitySpec("sessions", "场次", "场次") in spec.quantities
    assert spec.target_groups == TARGET_GROUPS and spec.towns == ()


def test_template_from_plan_reads_back(tmp_path):
    from libs.common.plan import load_plan
    from libs.common.settings import REPO_ROOT

    spec = spec_from_plan(load_plan(REPO_ROOT / "plans/dangshan-2021-2025.yaml"))
    write_template(tmp_path / "plan.xlsx", spec)
    parsed = read_sheet(tmp_path / "plan.xlsx", spec)
    assert parsed.problems == [] and parsed.rows_read == 0


def test_ten_thousand_rows(tmp_path):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(SHORT)
    for i in range(10_000):
        sheet.append(["科普大篷车巡展", f"第{i}场", dt.date(2024, 1, 1) + dt.timedelta(days=i % 300), 1, i, None])
    book.save(tmp_path / "big.xlsx")
    parsed = read_sheet(tmp_path / "big.xlsx", SPEC)
    assert parsed.problems == [] and len(parsed.rows) == 10_000 and parsed.rows[-1].row == 10_001
