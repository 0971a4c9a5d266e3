"""Department spreadsheets (.xlsx / .csv) to activity reports, and the import template.

Pure code: no network, no database. Departments keep their activities in Excel, so the import
accepts what Excel users actually type (names instead of codes, 2024/5/1, 1,200, GB18030 CSV)
and points every problem at the row number and column header the user sees.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from libs.common.contracts.activity import SHEET_COLUMNS, SHEET_IDENTITY, ActivityReport, value_kind
from libs.common.errors import clip, describe
from libs.common.target_groups import TARGET_GROUP_NAMES
from libs.common.wording import listing

TARGET_GROUPS: tuple[tuple[str, str], ...] = tuple(TARGET_GROUP_NAMES.items())
_FIELDS = ActivityReport.model_fields
# (report field, template header), in template order: the contract's columns and titles
FIXED_HEADERS: tuple[tuple[str, str], ...] = tuple((name, _FIELDS[name].title) for name in SHEET_COLUMNS)
REQUIRED = tuple(name for name in SHEET_COLUMNS if _FIELDS[name].is_required())
DATE_HINT = "2024-05-01（也可写 2024/5/1、2024.5.1、2024年5月1日，或用 Excel 日期单元格）"
_TIME = r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # CSV exports of date cells may add 0:00
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + "$")
_THOUSANDS = re.compile(r"^\+?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_SUFFIX = re.compile(r"\([^()]*\)$")  # a unit after a header, e.g. 场次(场)
_SEPARATORS = re.compile(r"[,、;\s]+")
_BREAKS = re.compile(r"\s*[\r\n\t\v\f]+\s*")
_WIDTHS = {"活动类型": 22, "活动名称": 36, "开始日期": 14, "结束日期": 14, "对象人群": 18, "协办单位": 24}
Rows = Iterator[tuple[int, Sequence[Any]]]  # (row number as the user sees it, cell values)


@dataclass(frozen=True)
class QuantitySpec:
    code: str
    name: str
    unit: str


@dataclass(frozen=True)
class TypeSpec:
    code: str
    name: str
    quantities: tuple[str, ...]


@dataclass(frozen=True)
class SheetSpec:
    """What a sheet may contain: the plan's forms, plus the towns the caller knows by name."""

    activity_types: tuple[TypeSpec, ...]
    quantities: tuple[QuantitySpec, ...]
    target_groups: tuple[tuple[str, str], ...]
    towns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SheetRow:
    row: int  # as Excel shows it; for CSV the record's first line
    report: dict


@dataclass(frozen=True)
class Problem:
    row: int
    column: str  # the header as written in the file; "" if none applies
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行" + (f"「{self.column}」" if self.column else "") + f"：{self.message}"


@dataclass
class ParsedSheet:
    rows: list[SheetRow]
    problems: list[Problem]
    rows_read: int  # non-blank data rows, with or without problems
    headers: dict[str, str]  # field path -> header as in the file

    def column_for(self, field: str) -> str:
        """The file's header for a server field path, so the server's violations point at a column too."""
        return self.headers.get(field) or self.headers.get(re.sub(r"\.\d+$", "", field), "")


def _key(text: str) -> str:
    """Matching key: full-width folded to ASCII (NFKC), no whitespace, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    """A cell's text on one line: line breaks typed in a cell (Alt+Enter) and tabs become a space."""
    return "" if value is None else _BREAKS.sub(" ", str(value).strip())


def _date(value: Any) -> str:
    if isinstance(value, dt.date):  # Excel date cells come as datetime; a time of day on them is dropped
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    text = unicodedata.normalize("NFKC", _text(value))
    match = _DATE.match(text)
    if match is None:
        raise ValueError(f"「{clip(text)}」不是日期；请写 {DATE_HINT}")
    try:
        return dt.date(*map(int, match.groups())).isoformat()
    except ValueError:
        raise ValueError(f"「{clip(text)}」：没有这一天；请写实际的日期，如 2024-05-01") from None


def _number(value: Any) -> float:
    text = _text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        plain = unicodedata.normalize("NFKC", text).replace(" ", "")  # full-width digits, too
        try:
            number = float(plain.replace(",", "") if _THOUSANDS.match(plain) else plain)
        except ValueError:
            raise ValueError(f"「{clip(text)}」不是数字；请只填阿拉伯数字，如 120") from None
    if not math.isfinite(number):
        raise ValueError(f"「{clip(text)}」不是普通的数字；请只填阿拉伯数字，如 120")
    if number < 0:
        raise ValueError(f"「{clip(text)}」是负数；数量应为 0 或更大")
    return number


def _split(value: Any) -> list[str]:
    parts = _SEPARATORS.split(unicodedata.normalize("NFKC", _text(value)))
    return list(dict.fromkeys(p for p in parts if p))


def _index(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Key of a code or a name -> code, so cells may hold either."""
    return {_key(text): code for code, name in reversed(list(pairs)) for text in (name, code)}


class _Reader:
    """Reading one file: the spec's lookups, the header found, and the ids handed out so far."""

    def __init__(self, spec: SheetSpec) -> None:
        self.spec, self.types = spec, {t.code: t for t in spec.activity_types}
        self.activity_type = partial(_resolve, _index((t.code, t.name) for t in spec.activity_types),
                                     what="活动类型", names=[t.name for t in spec.activity_types])
        self.target_group = partial(_resolve, _index(spec.target_groups), what="对象人群",
                                    names=[name for _, name in spec.target_groups])
        self.town = partial(_resolve, _index(spec.towns), what="镇（园区）", names=[])  # unknown: the server decides
        self.quantity_names = {q.code: q.name for q in spec.quantities}
        self.fields = {_key(text): f for f, h in reversed(FIXED_HEADERS) for text in (h, f)}
        for q in spec.quantities:
            for alias in (q.name, q.code, "参与" + q.name):
                self.fields.setdefault(_key(alias), f"quantities.{q.code}")
        self.sheet = ParsedSheet(rows=[], problems=[], rows_read=0, headers={})
        self.columns: list[tuple[int, str]] | None = None  # (index, field) once the header row is found
        self.usable, self.seen = False, Counter[str]()

    def feed(self, number: int, values: Sequence[Any]) -> None:
        if self.columns is None:
            if any(not _blank(v) for v in values):
                self.columns = self.header(number, values)
                self.usable = not self.sheet.problems  # a wrong header yields no rows: fix the header first
            return
        cells = {field: values[i] if i < len(values) else None for i, field in self.columns}
        if any(not _blank(v) for v in cells.values()):
            self.sheet.rows_read += 1
            if self.usable:
                self.row(number, cells)

    def header(self, row: int, values: Sequence[Any]) -> list[tuple[int, str]]:
        """Header cells -> [(column index, field)], recording unknown, duplicate and missing columns."""
        columns, headers, problems = [], self.sheet.headers, self.sheet.problems
        accepted = "、".join([h for _, h in FIXED_HEADERS] + [q.name for q in self.spec.quantities])
        for index, header in ((i, _text(v)) for i, v in enumerate(values)):
            key = _key(header)
            field = (self.fields.get(key) or self.fields.get(_SUFFIX.sub("", key))) if header else ""
            if field is None:
                problems.append(Problem(row, header, f"不认识的列；可用的列：{accepted}（数量列也可写代码，"
                                        "或带单位，如 场次（场））"))
            elif field in headers:
                problems.append(Problem(row, header, f"与「{headers[field]}」是同一列；只保留一列"))
            elif field:
                headers[field] = header
                columns.append((index, field))
        missing = [f"缺少「{h}」列" for f, h in FIXED_HEADERS if f in REQUIRED and f not in headers]
        if not any(f.startswith("quantities.") for f in headers):
            missing.append("缺少数量列：" + "、".join(f"「{q.name}」" for q in self.spec.quantities) + "至少要有一列")
        problems.extend(Problem(row, "", f"{m}；请在表头行补上") for m in missing)
        return columns

    def row(self, number: int, cells: dict[str, Any]) -> None:
        report, problems = self.convert(cells)
        identity = None if any(f != "external_id" for f, _ in problems) else _identity(report)
        if identity is not None:  # counted even when a quantity is wrong, so fixing it keeps later rows' ids
            self.seen[identity] += 1
            report["external_id"] = report["external_id"] or f"sheet-{identity}-{self.seen[identity]}"
        self.quantities(cells, report, problems)
        if not problems:
            self.check(report, problems)
        self.sheet.problems.extend(Problem(number, self.sheet.column_for(f), m) for f, m in problems)
        if not problems:
            self.sheet.rows.append(SheetRow(number, report))

    def convert(self, cells: dict[str, Any]) -> tuple[dict, list[tuple[str, str]]]:
        """The row's fields but quantities, and [(field, message)] for what is wrong with them."""
        problems: list[tuple[str, str]] = []

        def take(field: str, parse: Callable[[Any], Any], required: bool = False) -> Any:
            if _blank(cells.get(field)):
                problems.extend([(field, "必填，但单元格是空的")] if required else [])
                return ""
            try:
                return parse(cells[field])
            except ValueError as exc:
                problems.append((field, str(exc)))
                return ""

        report = {name: take(name, self.parser(name), name in REQUIRED) for name in SHEET_COLUMNS}
        report["co_organisers"] = report["co_organisers"] or []
        report["quantities"] = {}
        return report, problems

    def parser(self, name: str) -> Callable[[Any], Any]:
        """How a cell becomes a field's value: names looked up as codes, days and lists by type."""
        lookups = {"activity_type": self.activity_type, "town": self.town, "target_group": self.target_group}
        return lookups.get(name) or {"day": _date, "list": _split}.get(value_kind(name), _text)

    def check(self, report: dict, problems: list[tuple[str, str]]) -> None:
        """The contract's own rules (lengths, codes, end not before start…), as the server applies
        them, so a sheet's problems are all shown at once with their column."""
        try:
            ActivityReport.model_validate({k: v for k, v in report.items() if v not in ("", [], {})})
        except ValidationError as exc:
            taken = {f for f, _ in problems}
            problems.extend((v.field, v.message) for v in describe(exc)
                            if v.field not in taken and not (v.code == "missing" and v.field == "quantities"))

    def quantities(self, cells: dict[str, Any], report: dict, problems: list[tuple[str, str]]) -> None:
        """Fill report["quantities"]; a type carries only its own quantities (a 培训 has 人数, not 场次)."""
        atype, before = self.types.get(report["activity_type"]), len(problems)
        allowed = "、".join(f"「{self.sheet.headers.get(f'quantities.{c}') or self.quantity_names.get(c, c)}」"
                           for c in (atype.quantities if atype else ()))
        for field, value in cells.items():
            if not field.startswith("quantities.") or _blank(value):
                continue
            try:
                number = _number(value)
            except ValueError as exc:
                problems.append((field, str(exc)))
                continue
            if atype is not None and field.removeprefix("quantities.") not in atype.quantities:
                problems.append((field, f"{atype.name}不填这项数量；只填{allowed}"))
                continue
            report["quantities"][field.removeprefix("quantities.")] = number
        if atype is not None and not report["quantities"] and len(problems) == before:
            problems.append((f"quantities.{atype.quantities[0]}",
                             f"没有填数量；{atype.name}至少要填{allowed}中的一项"))


def _resolve(index: dict[str, str], value: Any, what: str, names: list[str]) -> str:
    """Code or name -> code. Without names to offer (towns), an unknown value passes as written."""
    text = _text(value)
    if _key(text) in index or not names:
        return index.get(_key(text), text)
    close = difflib.get_close_matches(text, names, 3, 0.3)
    shown = listing([*close, *(n for n in names if n not in close)], limit=120, more="（见模板的「说明」页）")
    raise ValueError(f"{what}「{clip(text)}」不在可选范围内；可选：{shown}")


def _identity(report: dict) -> str:
    """Hash of what identifies an activity; quantities stay out, so an edited count re-imports as a correction."""
    parts = [report[k] for k in SHEET_IDENTITY]
    parts.append(",".join(sorted(report["co_organisers"])))
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _xlsx_rows(path: Path) -> Rows:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and openpyxl's own errors for a damaged file
        raise ValueError(f"{path}：不是可读取的 .xlsx 文件（{clip(exc, 120)}）；请用 Excel 打开后另存为 .xlsx") from exc
    with closing(book):
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some tools write a wrong <dimension>; read every row there is
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)


def _csv_rows(path: Path) -> Rows:
    """UTF-8 (with or without the BOM Excel's "CSV UTF-8" writes) or GB18030 (Chinese Excel's plain CSV)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(f"{path}：这个 CSV 文件既不是 UTF-8 也不是 GB18030 编码；请另存为“CSV UTF-8”或 .xlsx")
    reader, line = csv.reader(io.StringIO(text, newline="")), 1
    for record in reader:
        yield line, record
        line = reader.line_num + 1  # a quoted cell may span lines; report where the record starts


def read_sheet(path: Path, spec: SheetSpec) -> ParsedSheet:
    """Read the first worksheet of an .xlsx, or a .csv, into reports and problems."""
    path = Path(path)
    readers = {".xlsx": _xlsx_rows, ".csv": _csv_rows}
    if path.suffix.lower() not in readers:
        kind = f" {path.suffix} " if path.suffix else "没有扩展名的"
        raise ValueError(f"{path}：不能读取{kind}文件；请另存为 .xlsx 或 .csv")
    reader = _Reader(spec)
    for number, values in readers[path.suffix.lower()](path):
        reader.feed(number, values)
    if reader.columns is None:
        reader.sheet.problems.append(Problem(1, "", "表格是空的：没有找到表头行"))
    return reader.sheet


def write_template(path: Path, spec: SheetSpec, activity_type: str | None = None) -> None:
    """An empty import sheet: header only, since an example row would get imported by mistake."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise ValueError(f"{path}：模板只能是 .xlsx 或 .csv 文件" + (f"，不能是 {path.suffix}" if path.suffix else ""))
    types = {t.code: t for t in spec.activity_types}
    atype = types.get(_index((t.code, t.name) for t in types.values()).get(_key(activity_type or ""), ""))
    if activity_type is not None and atype is None:
        raise ValueError(f"活动类型「{clip(activity_type)}」不在规划中；可选代码：{listing(list(types), limit=200)}")
    names = {q.code: q.name for q in spec.quantities}
    headers = [h for _, h in FIXED_HEADERS] + [names.get(c, c) for c in (atype.quantities if atype else names)]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:  # the BOM makes Excel read it as UTF-8
            csv.writer(out).writerow(headers)
        return
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "活动"
    sheet.append(headers)
    for index, header in enumerate(headers, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(header, 12)
    sheet.freeze_panes = "A2"
    _write_notes(book.create_sheet("说明"), spec, names)
    n, groups = len(spec.activity_types), len(spec.target_groups)
    if n:
        _drop_down(sheet, headers.index("活动类型") + 1, f'"{atype.name}"' if atype else f"'说明'!$A$2:$A${n + 1}")
    if groups:
        _drop_down(sheet, headers.index("对象人群") + 1, f"'说明'!$A${n + 4}:$A${n + 3 + groups}")
    book.save(path)


def _drop_down(sheet: Any, column: int, source: str) -> None:
    """A list to pick from; a warning only, since codes are accepted too."""
    rule = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                          errorStyle="warning", error="不在列表中（填写代码也可以）")
    rule.add(f"{get_column_letter(column)}2:{get_column_letter(column)}1048576")
    sheet.add_data_validation(rule)


def _write_notes(sheet: Any, spec: SheetSpec, names: dict[str, str]) -> None:
    """The 说明 sheet. Type names sit in A2.., target group names right after a gap: the drop-downs point there."""
    for row in ([["活动类型", "代码", "数量列"]]
                + [[t.name, t.code, "、".join(names.get(c, c) for c in t.quantities)] for t in spec.activity_types]
                + [[], ["对象人群", "代码"]] + [[name, code] for code, name in spec.target_groups]
                + [[], ["日期格式", DATE_HINT], ["协办单位", "机构代码，多个用 、 或 , 分隔"],
                   ["编号", "可选：本单位自己的编号；留空时按内容生成，同一文件重复导入不会重复计数"],
                   ["数量列", "只填该活动类型的数量列（见上表），其余留空"]]):
        sheet.append(row)
    for cell in (*sheet[1], *sheet[len(spec.activity_types) + 3]):
        cell.font = Font(bold=True)
    for letter, width in (("A", 22), ("B", 40), ("C", 30)):
        sheet.column_dimensions[letter].width = width


def spec_from_plan(plan: Any, towns: Any = ()) -> SheetSpec:
    """The sheet's forms from a plan: a loaded ``Plan`` or the gateway's GetPlan answer (both have
    activity types and quantities; the latter also its target groups), plus the towns the caller knows."""
    groups = getattr(plan, "target_groups", None)
    return SheetSpec(
        activity_types=tuple(TypeSpec(t.code, t.name, tuple(t.quantities)) for t in plan.activity_types),
        quantities=tuple(QuantitySpec(q.code, q.name, q.unit) for q in plan.quantities),
        target_groups=tuple((g.code, g.name) for g in groups) if groups else TARGET_GROUPS,
        towns=tuple((o.code, o.name) for o in towns),
    )
