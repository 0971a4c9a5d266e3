"""我的进度: the indicators the organisation answers for, against the pace line, and the
alerts addressed to it."""
from __future__ import annotations

import asyncio
import datetime as dt

from starlette.requests import Request

from libs.client.client import ClientError
from libs.common.progress import Progress, current_windows, lagging_first, plan_whole, progress_of
from services.portal.gateway import call
from services.portal.pages import periods
from services.portal.web import checked_form, render, visit


def plan_names(plan) -> tuple[dict[str, str], dict[str, str]]:
    """Indicator code → its section's title, and section code → title."""
    sections = {s.code: s.title for s in plan.sections}
    return {i.code: sections.get(i.section, "") for i in plan.indicators}, sections


def own_rows(answer, person, section_of: dict[str, str],
             whole: dict[str, bool] | None = None) -> tuple[list[Progress], list[Progress]]:
    """What the organisation answers for (the region's figure of each indicator it is
    responsible for), and what it contributed elsewhere (its own share of other indicators);
    ``whole``: which indicators' figures are whole (``plan_whole``)."""
    whole = whole or {}
    own_scope = f"{'town' if person.is_town else 'org'}:{person.org}"
    responsible, contributed = [], []
    for item in answer.indicators:
        section = section_of.get(item.indicator, "")
        if item.HasField("total") and not person.is_admin:
            responsible.append(progress_of(item.total, item.name, section, whole=whole.get(item.indicator)))
            continue
        for share in (*item.by_org, *item.by_town):
            if share.scope == own_scope and share.actual:
                contributed.append(progress_of(share, item.name, section, whole=whole.get(item.indicator)))
    return responsible, contributed


def today_of(rows: list[Progress]) -> dt.date:
    """The system's date, as the figures were evaluated (the clock may be frozen for a demo)."""
    return max((r.as_of for r in rows if r.as_of), default=dt.date.today())


async def progress_page(request: Request, refused: str | None = None, status: int = 200):
    v = await visit(request)
    # four independent reads of the gateway, at once: the page waits for the slowest, not the sum
    answer, plan, firing, reported = await asyncio.gather(
        call(v.api.year_progress, 0), call(v.api.plan), call(v.api.list_alerts, "firing"), periods.own_periods(v))
    section_of, _ = plan_names(plan)
    kind_of, whole = {i.code: i.kind for i in plan.indicators}, plan_whole(plan)
    responsible, contributed = own_rows(answer, v.person, section_of, whole)
    today = today_of(responsible + contributed)
    alerts = [a for a in firing if not a.historical]
    own_alerts = [a for a in alerts if v.person.org in a.recipients or v.person.is_admin]
    duty_lines = [a.text for a in own_alerts if a.topic not in ("", "indicator") and v.person.org in a.recipients]
    own_alerts = [a for a in own_alerts if a.topic in ("", "indicator")]
    own = [p for p in reported if p.start <= today]  # a period yet to begin is no news
    return render(request, "progress.html", {
        "year": answer.year, "today": today, "periods": own, "submit_next": periods.next_to_submit(own),
        "periods_notice": periods.notice(request), "periods_refused": refused, "duty_lines": duty_lines,
        "rows": lagging_first(current_windows(responsible, today)),
        "contributed": lagging_first(current_windows(contributed, today)),
        "alerts": [progress_of(a, a.indicator_name, section_of.get(a.indicator, ""), kind_of.get(a.indicator, ""),
                               whole.get(a.indicator)) for a in own_alerts],
    }, visit_=v, status=status)


async def submit(request: Request):
    """本期已报送 / 本期无活动 from 我的进度."""
    v = await visit(request, write=True)
    posted = await checked_form(request, v.credential)
    key, nil = str(posted.get("period", "")), posted.get("nil") == "1"
    try:
        await call(v.api.submit_period, key, nil)
    except ClientError as exc:
        return await periods.refused_or_raise(exc, progress_page, request)
    return periods.done("/", "nil" if nil else "submitted", key)
