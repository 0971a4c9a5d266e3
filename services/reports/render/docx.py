"""The pack as a Word document the office edits before the meeting: headings, the summary, the
charts (PNG) and the same tables as the PDF, in Word's own table style so edits keep the look."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from libs.common.wording import STATUS_WORDS, date_label
from services.reports.domain.pack import COUNTED, QuarterPack
from services.reports.render.charts import sections_chart, trend_chart

FONT = "Noto Sans CJK SC"  # Word substitutes 宋体/微软雅黑 where it is not installed


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text


def _names(rows) -> str:
    return "、".join(r.progress.name for r in rows) or "无"


def pack_docx(pack: QuarterPack) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.orientation, section.page_width, section.page_height = WD_ORIENT.PORTRAIT, Cm(21), Cm(29.7)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    doc.add_heading(f"{pack.region}{pack.label}全民科学素质行动调度会材料", level=1)
    doc.add_paragraph(f"{pack.plan_title} · 数据截至{date_label(pack.as_of)} · 共{pack.total}项有目标的指标")
    _table(doc, [STATUS_WORDS[s] for s in COUNTED], [[str(pack.counts[s]) for s in COUNTED]])
    doc.add_heading(f"最需关注的{len(pack.urgent)}项", level=2)
    for r in pack.urgent:
        p = r.progress
        text = f"{p.name}（{p.window_label}，{p.status_word}）：{p.figures}"
        text += f"，{p.pace}" if p.pace else ""
        text += f"；{p.recovery}" if p.recovery else ""
        doc.add_paragraph(f"{text}。责任单位：{'、'.join(r.responsible)}", style="List Number")
    doc.add_picture(io.BytesIO(sections_chart(pack, "png")), width=Cm(16))
    doc.add_page_break()
    doc.add_heading("各行动、工程目标完成情况", level=2)
    doc.add_picture(io.BytesIO(trend_chart(pack, "png")), width=Cm(16))
    for s in pack.sections:
        doc.add_heading(s.title + (f"（{s.behind}项落后）" if s.behind else ""), level=3)
        _table(doc, ["指标", "期间", "完成", "目标", "按进度应完成", "状态", "预计期末"],
               [[r.progress.name, r.progress.window_label, r.progress.done, r.progress.target_figure + r.progress.unit,
                 r.progress.expected_figure + r.progress.unit, r.progress.status_word,
                 r.projected_figure + r.progress.unit] for r in s.rows])
    doc.add_heading("各责任单位", level=2)
    _table(doc, ["单位", "负责指标", "落后的指标", "未报送"],
           [[s.name, str(s.targets), _names(s.behind), "、".join(s.unreported) or "无"] for s in pack.departments])
    doc.add_heading("各镇（园区）", level=2)
    _table(doc, ["镇（园区）", "落后的指标", "未报送"],
           [[s.name, _names(s.behind), "、".join(s.unreported) or "无"] for s in pack.towns])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
