"""The quarterly 调度会 pack, gathered and laid out: what ``ReportService.GetQuarterPack`` answers
and what the courier (``courier.py``) delivers, made one way for both.

The gateway is where every service's figures may be read together: it gathers them (each
quarter's figures as known at its end, for the quarter and the trend before it, the reporting
periods, the towns) and has them laid out in its documents process (``Backend.render``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from libs.common.access import Caller
from libs.common.errors import BadRequest, clip
from services.gateway.backend import Backend
from services.reports import documents
from services.reports.domain.pack import quarter_end


@dataclass(frozen=True)
class QuarterFigures:
    """What the pack of ``quarter`` says, read from the services (plain data for the documents process)."""

    quarter: str
    plan: dict
    progress: dict[str, dict]  # quarter of the year so far -> the figures at its end
    towns: list[dict]
    reporting: list[dict]


def gather(backend: Backend, caller: Caller, quarter: str) -> QuarterFigures:
    """The figures of ``quarter`` as ``caller`` may read them; ``BadRequest`` naming ``quarter``
    for one that is not a quarter of the plan or has not ended."""
    try:
        year = int(quarter[:4])
    except ValueError:
        year = 0
    plan = backend.plan(caller.region, year) if 1900 <= year <= 2200 else backend.plan(caller.region)
    quarters = quarters_up_to(quarter, plan["plan"]["period"])
    rpc, who = backend.rpc(), caller.model_dump()
    not_ended = BadRequest.of("quarter", "not_ended", f"{quarter} 尚未结束：季度结束后才能生成调度会材料"
                              "（可先看门户的全县总览）")
    # each quarter's figures as the system knew them at its end, the quarters asked at once
    progress = dict(zip(quarters, figures_at(backend, caller, [quarter_end(q) for q in quarters], not_ended)))
    reporting = rpc.activities.reporting_status(who, int(quarter[:4]))["periods"]
    towns = towns_of(backend, caller)
    return QuarterFigures(quarter, plan, progress, towns, reporting)


def figures_at(backend: Backend, caller: Caller, days: list[dt.date], not_ended: BadRequest) -> list[dict]:
    """Each day's year of target figures as the system knew them at the end of that day, the days
    asked at once (the services answer them side by side); ``not_ended`` when a day is to come."""
    rpc, who = backend.rpc(), caller.model_dump()
    try:
        revisions = [rpc.activities.revisions_as_of.call_async(who, day.isoformat()) for day in days]
        figures = [rpc.indicators.progress_as_of.call_async(day.isoformat(), known.result(), day.year, None, True,
                                                            caller.region)
                   for day, known in zip(days, revisions)]
        return [answer.result() for answer in figures]
    except BadRequest as refused:
        if any(v.code == "in_future" for v in refused.violations):
            raise not_ended from None
        raise


def towns_of(backend: Backend, caller: Caller) -> list[dict]:
    """The towns the caller's documents list: its region's (every town, in a system from before regions)."""
    rpc = backend.rpc().organisations
    if caller.region is None:
        return rpc.list_orgs("town")
    return [o for o in rpc.list_orgs_under(caller.region, "town") if o.get("region") == caller.region]


def render(backend: Backend, figures: QuarterFigures, fmt: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the pack in ``fmt`` (pdf, xlsx or docx)."""
    return backend.render(documents.quarter_pack_file, figures.quarter, fmt, figures.plan, figures.progress,
                          figures.towns, figures.reporting)


def quarters_up_to(quarter: str, period: dict) -> list[str]:
    """The quarters of ``quarter``'s year up to it, checked: "2025Q2" → [2025Q1, 2025Q2]."""
    try:
        end = quarter_end(quarter)
    except ValueError:
        raise BadRequest.of("quarter", "invalid", f"{clip(quarter)!r} 不是季度；写作 2025Q2") from None
    if not period["start"] <= end.year <= period["end"]:
        raise BadRequest.of("quarter", "outside_plan_period",
                            f"{quarter} 不在规划期（{period['start']}—{period['end']}年）内")
    return [f"{end.year}Q{n}" for n in range(1, int(quarter[-1]) + 1)]
