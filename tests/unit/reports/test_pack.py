"""The quarterly pack from figures (services/reports): what the summary names, and the three
documents saying the same thing — the PDF's text names every target with its figure, the
workbook's cells are the figures as numbers, Word opens with the same tables."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from docx import Document
from pypdf import PdfReader

from libs.common.plan import load_plan
from libs.common.settings import REPO_ROOT
from services.reports.domain.pack import build, quarter_end
from services.reports.render.docx import pack_docx
from services.reports.render.pdf import pack_pdf
from services.reports.render.xlsx import pack_xlsx

PLAN = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
DOC = {**PLAN.model_dump(mode="json", exclude={"indicators"}),
       "indicators": [{**i.model_dump(mode="json"), "tracking": i.tracking} for i in PLAN.all_indicators()]}
REGION = PLAN.meta.region.code
STATUSES = ("missed", "lagging", "at_risk", "on_track", "achieved")


def progress(year: int = 2025) -> dict:
    """A year's figures as ``list_progress`` answers them: every target's window of the year,
    statuses taken in turn so that each shows up."""
    items = []
    for n, indicator in enumerate(i for i in PLAN.all_indicators() if not i.tracking):
        window = f"{year}" if indicator.kind in ("yearly",) else (
            f"{year}Q2" if indicator.kind == "quarterly" else f"{PLAN.meta.period.start}-{PLAN.meta.period.end}")
        target = indicator.target or 10.0
        status = STATUSES[n % len(STATUSES)]
        actual = {"missed": 0.2, "lagging": 0.3, "at_risk": 0.45, "on_track": 0.55, "achieved": 1.1}[status] * target
        total = {"indicator": indicator.code, "name": indicator.name, "kind": indicator.kind, "window": window,
                 "scope": REGION, "actual": round(actual, 1), "expected": round(0.5 * target, 1), "target": target,
                 "unit": indicator.unit, "status": status, "as_of": "2025-06-30"}
        items.append({"indicator": indicator.code, "name": indicator.name, "kind": indicator.kind, "window": window,
                      "unit": indicator.unit, "target": target, "total": total, "by_org": [], "by_town": []})
    return {"year": year, "indicators": items}


def reporting() -> list[dict]:
    org = PLAN.organisations[1].code
    return [{"org": org, "period": "2025Q1", "state": "missing", "end": "2025-03-31"},
            {"org": org, "period": "2025Q3", "state": "missing", "end": "2025-09-30"}]  # after the quarter: left out


@pytest.fixture(scope="module")
def pack():
    return build("2025Q2", DOC, progress(), [{"code": "town-a", "name": "东岚镇"}], reporting())


def test_the_summary_counts_every_target_and_names_the_three_most_urgent(pack):
    assert pack.as_of == dt.date(2025, 6, 30) and pack.label == "2025年第二季度"
    assert pack.total == len([i for i in PLAN.all_indicators() if not i.tracking])
    assert len(pack.urgent) <= 3 and [r.progress.status for r in pack.urgent] == sorted(
        (r.progress.status for r in pack.urgent), key=["missed", "lagging"].index)
    assert all(r.responsible for r in pack.urgent)
    late = next(s for s in pack.departments if s.code == PLAN.organisations[1].code)
    assert late.unreported == ["2025年第一季度"]  # a period ending after the quarter is not in its pack


def test_a_quarter_is_named_as_a_quarter():
    assert quarter_end("2025Q4") == dt.date(2025, 12, 31)
    with pytest.raises(ValueError, match="2025Q2"):
        quarter_end("2025")


def test_the_pdf_names_every_target_with_its_figure(pack):
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pack_pdf(pack))).pages)
    text = text.replace("\n", "")
    for section in pack.sections:
        for row in section.rows:
            assert row.progress.name in text
            assert row.progress.done in text  # as people say it: 17985人, not 17984.7人


def test_the_workbook_holds_the_same_figures_as_numbers(pack):
    sheet = openpyxl.load_workbook(io.BytesIO(pack_xlsx(pack)))["各项目标"]
    cells = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    for section in pack.sections:
        for r in section.rows:
            found = cells[r.progress.indicator]
            assert (found[4], found[5]) == (r.progress.actual, r.progress.target)
            assert isinstance(found[4], float | int) and isinstance(found[10], float)


def test_word_opens_with_the_same_tables(pack):
    doc = Document(io.BytesIO(pack_docx(pack)))
    cells = {cell.text for table in doc.tables for row in table.rows for cell in row.cells}
    assert {r.progress.name for s in pack.sections for r in s.rows} <= cells
    assert doc.paragraphs[0].text == f"{PLAN.meta.region.name}2025年第二季度全民科学素质行动调度会材料"
