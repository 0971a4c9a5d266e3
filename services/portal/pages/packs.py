"""调度会材料 (the office, admins only): the quarterly pack of each ended quarter, as PDF, XLSX or
DOCX, laid out by the gateway (``ReportService``) exactly as ``kepu report quarter`` gets it; the
office's WeCom line points here."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import grpc
from starlette.requests import Request
from starlette.responses import Response

from libs.client.client import ClientError
from libs.common.plan.duties import period_label
from libs.common.wording import window_end
from services.portal.gateway import call
from services.portal.web import PageError, page_for, render, visit

FORMAT_NAMES = {"pdf": "PDF（打印、会上分发）", "xlsx": "Excel（表格数据）", "docx": "Word（会前修改）"}
QUARTER = re.compile(r"^\d{4}Q[1-4]$")


def ended_quarters(start_year: int, end_year: int, today: dt.date) -> list[str]:
    """The plan's quarters that have ended by ``today``, the latest first."""
    keys = [f"{y}Q{q}" for y in range(start_year, end_year + 1) for q in range(1, 5)]
    return [k for k in reversed(keys) if window_end(k) < today]


async def pack_page(request: Request):
    """One quarter's pack: a download per format."""
    v = await visit(request, admin=True)
    quarter = request.path_params["quarter"]
    if not QUARTER.match(quarter):
        raise PageError(404, "找不到这项内容", "季度应写作 2025Q2。")
    return render(request, "pack.html", {"quarter": quarter, "label": period_label(quarter), "formats": FORMAT_NAMES},
                  visit_=v)


async def pack_file(request: Request):
    v = await visit(request, admin=True)
    quarter, fmt = request.path_params["quarter"], request.path_params["fmt"]
    if not QUARTER.match(quarter) or fmt not in FORMAT_NAMES:
        raise PageError(404, "找不到这项内容", "季度应写作 2025Q2，格式为 pdf、xlsx 或 docx。")
    try:
        document = await call(v.api.quarter_pack, quarter, fmt)
    except ClientError as exc:
        if exc.code == grpc.StatusCode.INVALID_ARGUMENT:
            raise PageError(400, "暂时无法生成", "；".join(d for _, d in exc.violations) or exc.message) from None
        raise page_for(exc) from None
    return Response(document.content, media_type=document.content_type, headers={
        "Content-Disposition": f"attachment; filename=pack-{quarter}.{fmt}; "
                               f"filename*=UTF-8''{quote(document.filename)}"})
