"""The office's documents as files: what the gateway renders, in a process of its own, from the
figures it gathered (plain data in, bytes out: nothing here touches the bus or a database)."""
from __future__ import annotations

import datetime as dt

from libs.common.plan.duties import period_label
from services.reports.domain.pack import build, section_shares

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def quarter_pack_file(quarter: str, fmt: str, plan: dict, progress: dict[str, dict], towns: list[dict],
                      reporting: list[dict]) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the quarter's pack in ``fmt``; ``progress`` holds the
    figures at the end of that quarter and of each earlier one of its year (the trend)."""
    trend = [(period_label(q), section_shares(q, plan, progress[q])) for q in sorted(progress)]
    pack = build(quarter, plan, progress[quarter], towns, reporting, trend)
    if fmt == "xlsx":
        from services.reports.render.xlsx import pack_xlsx as render
    elif fmt == "docx":
        from services.reports.render.docx import pack_docx as render
    else:
        from services.reports.render.pdf import pack_pdf as render
    return f"{pack.region}{pack.label}调度会材料.{fmt}", FORMATS[fmt], render(pack)


# what ``plan_document`` adds beside the plan itself: where its region stands (not part of a plan file)
PLACE_IN_TREE = frozenset({"succession", "children", "ancestors"})


def assessment_file(year: int, fmt: str, plan: dict, progress: dict, towns: list[dict]) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the year's 考核 table in ``fmt`` (pdf or xlsx), from the
    region's figures as they stood at the year's end."""
    from libs.common.plan.assessment import WindowFigures, assess
    from libs.common.plan.schema import Plan

    model = Plan.model_validate({**{k: v for k, v in plan.items() if k not in PLACE_IN_TREE},
                                 "indicators": [{k: v for k, v in i.items() if k != "tracking"}
                                                for i in plan["indicators"] if not i.get("tracking")]})
    figures = [WindowFigures(i["indicator"], i["window"], i["total"]["status"], i["total"]["actual"])
               for i in progress["indicators"] if i["total"]]
    # the figures known at the end of the year's last day are its final ones: judged the day after
    result = assess(model, year, figures, dt.date(year + 1, 1, 1), {t["code"]: t["name"] for t in towns})
    region = plan["plan"]["region"]["name"]
    if fmt == "xlsx":
        from services.reports.render.assessment import assessment_xlsx

        content = assessment_xlsx(result)
    else:
        from services.reports.render.assessment import assessment_pdf

        content = assessment_pdf(result, region, plan["plan"]["title"])
    return f"{region}{year}年目标考核表.{fmt}", FORMATS[fmt], content
