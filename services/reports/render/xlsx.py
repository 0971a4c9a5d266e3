"""The pack as a workbook: the same tables as the PDF, as data (numbers are numbers, a share is
a fraction formatted as a percentage), one sheet per part, so the office can sort, filter and
chart it again."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from libs.common.wording import STATUS_WORDS
from services.reports.domain.pack import COUNTED, QuarterPack

TARGET_COLUMNS = ("行动、工程", "指标", "指标代码", "期间", "完成", "目标", "按进度应完成", "单位", "状态", "预计期末",
                  "目标完成率", "责任单位")


def _sheet(wb: Workbook, title: str, header: tuple[str, ...], rows: list[list], percent: tuple[int, ...] = ()):
    ws = wb.create_sheet(title)
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col in percent:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "0.0%"
    for i, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows if i - 1 < len(r)]) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(48, width * 1.6)
    ws.freeze_panes = "A2"
    return ws


def pack_xlsx(pack: QuarterPack) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "概况", ("状态", "指标数"),
           [[STATUS_WORDS[s], pack.counts[s]] for s in COUNTED] + [["合计", pack.total]])
    rows = [[s.title, r.progress.name, r.progress.indicator, r.progress.window_label, r.progress.actual,
             r.progress.target, r.progress.expected, r.progress.unit, r.progress.status_word, r.projected,
             r.done_share, "、".join(r.responsible)] for s in pack.sections for r in s.rows]
    _sheet(wb, "各项目标", TARGET_COLUMNS, rows, percent=(11,))
    _sheet(wb, "最需关注", ("指标", "状态", "完成", "目标", "单位", "还需", "责任单位"),
           [[r.progress.name, r.progress.status_word, r.progress.actual, r.progress.target, r.progress.unit,
             r.progress.recovery, "、".join(r.responsible)] for r in pack.urgent])
    standing = ("单位", "负责指标", "落后的指标", "未报送")
    _sheet(wb, "各责任单位", standing, [[s.name, s.targets, "、".join(r.progress.name for r in s.behind),
                                      "、".join(s.unreported)] for s in pack.departments])
    _sheet(wb, "各镇（园区）", ("镇（园区）", "落后的指标", "未报送"),
           [[s.name, "、".join(r.progress.name for r in s.behind), "、".join(s.unreported)] for s in pack.towns])
    titles = [s.title for s in pack.sections]
    _sheet(wb, "季度走势", ("季度", *titles), [[label, *[shares.get(t, 0.0) for t in titles]]
                                           for label, shares in pack.trend], percent=tuple(range(2, len(titles) + 2)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
