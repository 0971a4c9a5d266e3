"""The year-end 考核 table as a PDF (for the leaders) and a workbook (the same rows as data): the
rules and words are ``libs.common.plan.assessment``'s; this only lays them out."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from libs.common.plan.assessment import NO_TARGETS, NOT_SCORED, Assessment
from services.reports.render.pdf import TEMPLATES, environment


def assessment_pdf(a: Assessment, region: str, plan_title: str) -> bytes:
    from weasyprint import HTML

    html = environment().get_template("assessment.html").render(
        a=a, region=region, plan_title=plan_title, not_scored=NOT_SCORED, no_targets=NO_TARGETS)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def assessment_xlsx(a: Assessment) -> bytes:
    """One sheet per group: a row per unit and target (名次, 单位, 得分, 指标, 权重, 结果, 说明)."""
    wb = Workbook()
    wb.remove(wb.active)
    for ranking in (a.units, a.towns):
        ws = wb.create_sheet(ranking.title)
        ws.append(["名次", "单位", "单位代码", "得分", "指标", "指标代码", "权重", "结果", "说明"])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for u in (*ranking.ranked, *ranking.not_scored, *ranking.without_targets):
            for t in u.targets or (None,):
                ws.append([u.standing, u.name, u.code, u.score, t.indicator.name if t else "",
                           t.indicator.code if t else "", t.weight if t else None, t.words if t else "",
                           t.note if t else ""])
        ws.freeze_panes = "A2"
    notes = wb.create_sheet("说明")
    for line in (*a.notes, *(f"{d.indicator.name}：{d.reason}" for d in a.deferred)):
        notes.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
