"""全县/全市总览 (the 科协 office, admins only): the region's indicators by plan section, lagging
first; each responsible department's standing; each town's figures. The same numbers the
dashboards show (the gateway's ``ListProgress``), laid out so that a leader can print them."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request

from libs.client.client import ClientError
from libs.common.plan.duties import period_label
from libs.common.progress import STATUS_ORDER, Progress, current_windows, lagging_first, plan_whole, progress_of
from services.portal.gateway import call
from services.portal.pages import periods
from services.portal.pages.packs import ended_quarters
from services.portal.pages.progress import today_of
from services.portal.web import checked_form, render, visit

BEHIND = ("missed", "lagging")
REASON_MAX = 500
MOST_AT_ONCE = 500  # 审核 of a whole period: every unit and town of a county, with room


@dataclass
class SectionView:
    code: str
    title: str
    rows: list[Progress]

    @property
    def behind(self) -> int:
        return sum(r.status in BEHIND for r in self.rows)


@dataclass
class OrgStanding:
    """A responsible organisation: its indicators, those behind first."""

    code: str
    name: str
    rows: list[Progress] = field(default_factory=list)

    @property
    def behind(self) -> list[Progress]:
        return [r for r in self.rows if r.status in BEHIND]

    @property
    def fine(self) -> int:
        return len(self.rows) - len(self.behind)


def sections_of(plan, rows: list[Progress]) -> list[SectionView]:
    """Each plan section with its indicators, the sections with most lagging first (plan order
    otherwise), tracking-only indicators left to the dashboards."""
    by_section: dict[str, list[Progress]] = {}
    for row in rows:
        if row.has_target:
            by_section.setdefault(row.section, []).append(row)
    order = {s.code: i for i, s in enumerate(plan.sections)}
    titles = {s.code: s.title for s in plan.sections}
    views = [SectionView(code, titles.get(code, "其他"), lagging_first(items)) for code, items in by_section.items()]
    return sorted(views, key=lambda s: (-s.behind, order.get(s.code, 99)))


def standings_of(plan, rows: list[Progress]) -> list[OrgStanding]:
    names = {o.code: o.name for o in plan.organisations}
    current = {r.indicator: r for r in rows if r.has_target}
    standings: dict[str, OrgStanding] = {}
    for indicator in plan.indicators:
        row = current.get(indicator.code)
        if row is None:
            continue
        for code in indicator.responsible:
            standings.setdefault(code, OrgStanding(code, names.get(code, code))).rows.append(row)
    for standing in standings.values():
        standing.rows = lagging_first(standing.rows)
    return sorted(standings.values(), key=lambda s: (-len(s.behind), s.name))


def towns_of(answer, towns, targeted: set[str], today,
             whole: dict[str, bool] | None = None) -> list[tuple[str, list[Progress]]]:
    """Each town's share of the indicators with a target (current windows; the tracking counts
    stay on the dashboards); ``whole``: which indicators' figures are whole (``plan_whole``)."""
    out, whole = [], whole or {}
    for town in towns:
        scope = f"town:{town.code}"
        rows = [progress_of(share, item.name, whole=whole.get(item.indicator)) for item in answer.indicators for share in item.by_town
                if share.scope == scope and share.actual and item.indicator in targeted]
        out.append((town.name, sorted(current_windows(rows, today), key=lambda r: r.name)))
    return out


@dataclass
class SideBySide:
    """One target of the region, and each region directly below's part of it (a city's counties)."""

    name: str
    window_label: str
    unit: str
    parts: list[str]  # in the order of the regions' columns; "—" where nothing was counted


def side_by_side(answer, children: dict[str, str], targeted: set[str], today,
                 whole: dict[str, bool] | None = None) -> list[SideBySide]:
    """Each target's current window with its region-below parts (``region:CODE``), a column per child."""
    whole = whole or {}
    items = {(i.indicator, i.window): i for i in answer.indicators if i.indicator in targeted and i.HasField("total")}
    rows = [progress_of(i.total, i.name, whole=whole.get(i.indicator)) for i in items.values()]
    out = []
    for row in current_windows(rows, today):
        item = items[(row.indicator, row.window)]
        parts = {share.scope.removeprefix("region:"): progress_of(share, item.name, whole=whole.get(item.indicator))
                 for share in item.by_region}
        out.append(SideBySide(item.name, row.window_label, row.unit,
                              [parts[c].actual_figure if c in parts else "—" for c in children]))
    return out


async def office_page(request: Request, refused: str | None = None, status: int = 200):
    v = await visit(request, admin=True)
    answer, plan, orgs, (year, reported) = await asyncio.gather(  # independent reads, at once
        call(v.api.year_progress, 0), call(v.api.plan), call(v.api.list_organisations),
        call(v.api.reporting_status))
    # the region's own units and towns: a city's office leaves its counties' to their own offices
    own = [o for o in orgs if o.region in ("", plan.region_code)]
    towns = [o for o in own if o.kind == "town"]
    names = {o.code: o.name for o in (*plan.organisations, *own)}
    reported = [p for p in reported if p.org in names]
    section_of, whole = {i.code: i.section for i in plan.indicators}, plan_whole(plan)
    rows = [progress_of(item.total, item.name, section_of.get(item.indicator, ""), whole=whole.get(item.indicator))
            for item in answer.indicators if item.HasField("total")]
    today = today_of(rows)
    current = current_windows(rows, today)
    counts = {s: sum(r.status == s for r in current if r.has_target) for s in STATUS_ORDER}
    children = {c.code: c.name for c in plan.children}
    return render(request, "office.html", {
        "region_word": v.person.region_word, "children": list(children.values()),
        "side_by_side": side_by_side(answer, children, {i.code for i in plan.indicators if not i.tracking}, today,
                                     whole),
        "year": answer.year, "today": today, "counts": counts, "total": sum(counts.values()),
        "sections": sections_of(plan, current), "standings": standings_of(plan, current),
        "towns": towns_of(answer, towns, {i.code for i in plan.indicators if not i.tracking}, today, whole),
        "plan_title": plan.title,
        "reporting": periods.office_reporting([periods.view_of(p, names) for p in reported]), "reporting_year": year,
        "periods_notice": periods.notice(request, names), "periods_refused": refused, "reason_max": REASON_MAX,
        "packs": [(q, period_label(q)) for q in ended_quarters(plan.period_start, plan.period_end, today)[:4]],
    }, visit_=v, status=status)


async def approve(request: Request):
    """审核 from the office's overview: one organisation's period, or every one listed (all that a
    period's group shows); each is its own call, so one refusal leaves the others approved."""
    v = await visit(request, admin=True)
    posted = await checked_form(request, v.credential)
    orgs, key = [str(o) for o in posted.getlist("org")][:MOST_AT_ONCE], str(posted.get("period", ""))
    refused = []
    for org in orgs:
        try:
            await call(v.api.approve_period, org, key)
        except ClientError as exc:
            if len(orgs) == 1:
                return await periods.refused_or_raise(exc, office_page, request)
            refused.append(f"{org}：{exc.message}")
    if refused:
        return await office_page(request, refused="；".join(refused), status=400)
    if len(orgs) == 1:
        return periods.done("/office", "approved", key, orgs[0])
    return periods.done("/office", "approved_all", key, count=len(orgs))


async def reopen(request: Request):
    """重新打开 an approved period, with a reason (the audit trail keeps it)."""
    v = await visit(request, admin=True)
    posted = await checked_form(request, v.credential)
    org, key, reason = str(posted.get("org", "")), str(posted.get("period", "")), str(posted.get("reason", "")).strip()
    if not reason or len(reason) > REASON_MAX:
        return await office_page(request, refused=f"重新打开需要填写原因（最多{REASON_MAX}字）", status=400)
    try:
        await call(v.api.reopen_period, org, key, reason)
    except ClientError as exc:
        return await periods.refused_or_raise(exc, office_page, request)
    return periods.done("/office", "reopened", key, org)
