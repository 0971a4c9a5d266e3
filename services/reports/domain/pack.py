"""The quarterly 调度会 pack as data: what a leader reads on one page, the targets by plan section,
what lags per responsible unit and per town, who has not reported, and the trend so far.

Built from the figures as they stood at the quarter's end (``progress``: a year's windows as the
indicators service answers ``list_progress``, or its as-of read for a past quarter) and the
reporting periods of that quarter; the words and sums are the portal's and the digests' own
(``libs.common.progress``, ``libs.common.wording``), so the pack, the alerts and 我的进度 say
the same sentence about the same figure. The renderers (PDF, XLSX, DOCX) only lay this out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from libs.common.plan.duties import period_label
from libs.common.plan.schema import Quantity, whole_figures
from libs.common.progress import STATUS_ORDER, Progress, current_windows, progress_of
from libs.common.wording import figure, window_end

BEHIND = ("missed", "lagging")
COUNTED = ("achieved", "on_track", "at_risk", "lagging", "missed")  # the summary's columns, best first
URGENT = 3  # the items the one-page summary names


def quarter_end(quarter: str) -> dt.date:
    """2025Q2 → 2025-06-30 (a key of another shape is refused, naming it)."""
    end = window_end(quarter)
    if end is None or "Q" not in quarter:
        raise ValueError(f"{quarter!r} is not a quarter: write it as 2025Q2")
    return end


@dataclass(frozen=True)
class TargetRow:
    """One target in the pack: its figures, and the year-end value at the rate so far."""

    progress: Progress
    section_title: str
    responsible: tuple[str, ...]  # names

    @property
    def projected(self) -> float:
        """The window's end value at the rate so far: a sum grows with the pace (expected ÷ target
        is the elapsed share, the plan's weights included); a stock stays at its level."""
        p = self.progress
        if p.kind == "stock" or p.expected <= 0 or p.status in ("achieved", "missed"):
            return p.actual
        return p.actual * p.target / p.expected

    @property
    def projected_figure(self) -> str:
        return figure(self.projected, self.progress.unit, whole=self.progress.whole)

    @property
    def done_share(self) -> float:
        return min(1.0, self.progress.actual / self.progress.target) if self.progress.target else 0.0

    @property
    def pace_share(self) -> float:
        return min(1.0, self.progress.expected / self.progress.target) if self.progress.target else 0.0


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    group: str
    rows: list[TargetRow]

    @property
    def behind(self) -> int:
        return sum(r.progress.status in BEHIND for r in self.rows)

    @property
    def done_share(self) -> float:
        """The section's mean share of target reached (each target capped at 100 %)."""
        return sum(r.done_share for r in self.rows) / len(self.rows) if self.rows else 0.0

    @property
    def pace_share(self) -> float:
        return sum(r.pace_share for r in self.rows) / len(self.rows) if self.rows else 0.0


@dataclass(frozen=True)
class Standing:
    """A responsible unit or a town: its targets behind, and the periods it has not reported."""

    code: str
    name: str
    behind: list[TargetRow] = field(default_factory=list)
    unreported: list[str] = field(default_factory=list)  # period labels: 2025年第二季度
    targets: int = 0


@dataclass(frozen=True)
class QuarterPack:
    quarter: str
    label: str  # 2025年第二季度
    as_of: dt.date
    plan_title: str
    region: str
    counts: dict[str, int]
    urgent: list[TargetRow]
    sections: list[Section]
    departments: list[Standing]
    towns: list[Standing]
    trend: list[tuple[str, dict[str, float]]]  # (quarter label, section title → done share)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _row(item: dict, window: dict, whole: dict[str, bool]) -> Progress:
    return progress_of(SimpleNamespace(**{**window, "name": item["name"], "kind": item["kind"]}), item["name"],
                       whole=whole.get(item["indicator"]))


def _whole(plan: dict) -> dict[str, bool]:
    """Indicator code → whether its figures count things (the digests' and the portal's rule)."""
    return whole_figures([SimpleNamespace(**{**i, "feeds": [SimpleNamespace(**f) for f in i["feeds"]]})
                          for i in plan["indicators"]],
                         (q["code"] for q in plan["quantities"] if Quantity.model_validate(q).is_whole))


def target_rows(plan: dict, progress: dict, as_of: dt.date) -> list[TargetRow]:
    """The region's figure of each target (tracking indicators left to the dashboards), its
    window holding ``as_of`` or else its latest, with its section and who answers for it."""
    names = {o["code"]: o["name"] for o in plan["organisations"]}
    indicators = {i["code"]: i for i in plan["indicators"]}
    sections = {s["code"]: s["title"] for s in plan["sections"]}
    whole = _whole(plan)
    rows = [_row(item, item["total"], whole) for item in progress["indicators"]
            if item["total"] and not indicators.get(item["indicator"], {}).get("tracking", True)]
    out = []
    for p in current_windows(rows, as_of):
        indicator = indicators[p.indicator]
        section = indicator.get("section") or ""
        out.append(TargetRow(Progress(**{**p.__dict__, "section": section}), sections.get(section, "其他"),
                             tuple(names.get(c, c) for c in indicator["responsible"])))
    return out


def _lagging_first(row: TargetRow) -> tuple:
    """The portal's order: what needs someone's attention leads."""
    return STATUS_ORDER.get(row.progress.status, 99), row.progress.done_percent, row.progress.name


def urgent_of(rows: list[TargetRow]) -> list[TargetRow]:
    """The three items a leader hears first: missed before lagging, the furthest behind the pace
    line first."""
    behind = [r for r in rows if r.progress.status in BEHIND]
    return sorted(behind, key=lambda r: (STATUS_ORDER.get(r.progress.status, 99), r.done_share - r.pace_share,
                                         r.progress.name))[:URGENT]


def sections_of(plan: dict, rows: list[TargetRow]) -> list[Section]:
    """Each plan section (五大提升行动, 五项重点工程, in the plan's order) with its targets, lagging first."""
    out = []
    for s in plan["sections"]:
        mine = [r for r in rows if r.progress.section == s["code"]]
        if mine:
            out.append(Section(s["code"], s["title"], s.get("group", ""), sorted(mine, key=_lagging_first)))
    loose = [r for r in rows if r.progress.section not in {s["code"] for s in plan["sections"]}]
    if loose:
        out.append(Section("", "其他", "", loose))
    return out


def standings_of(codes_names: list[tuple[str, str]], rows: list[TargetRow], responsible: dict[str, list[str]],
                 unreported: dict[str, list[str]], everyone: bool = False) -> list[Standing]:
    """Per unit: the targets it answers for that are behind, and its unreported periods; units
    with something to say first."""
    out = []
    for code, name in codes_names:
        mine = [r for r in rows if code in responsible.get(r.progress.indicator, [])]
        out.append(Standing(code, name, [r for r in mine if r.progress.status in BEHIND],
                            [period_label(k) for k in unreported.get(code, [])], len(mine)))
    # a unit that answers for nothing and owes nothing has nothing to say in the meeting
    # those with something to say first; then by name, or (the towns) in the registry's order
    return sorted((s for s in out if everyone or s.targets or s.unreported),
                  key=lambda s: (-(len(s.behind) + len(s.unreported)), "" if everyone else s.name))


def section_shares(quarter: str, plan: dict, progress: dict) -> dict[str, float]:
    """Each section's mean share of target reached at the end of ``quarter`` (a point of the trend)."""
    return {s.title: s.done_share for s in sections_of(plan, target_rows(plan, progress, quarter_end(quarter)))}


def build(quarter: str, plan: dict, progress: dict, towns: list[dict], reporting: list[dict],
          trend: list[tuple[str, dict[str, float]]] | None = None) -> QuarterPack:
    """The pack of ``quarter`` from the plan (``plan_document``), the year's figures as they stood
    at its end, the registered towns and every unit's reporting periods of the year."""
    as_of = quarter_end(quarter)
    rows = target_rows(plan, progress, as_of)
    counts = {s: sum(r.progress.status == s for r in rows) for s in COUNTED}
    responsible = {i["code"]: list(i["responsible"]) for i in plan["indicators"]}
    unreported: dict[str, list[str]] = {}
    for p in reporting:
        if p["state"] == "missing" and dt.date.fromisoformat(p["end"]) <= as_of:
            unreported.setdefault(p["org"], []).append(p["period"])
    units = [(o["code"], o["name"]) for o in plan["organisations"]
             if o["kind"] in ("department", "body", "office")]
    sections = sections_of(plan, rows)
    return QuarterPack(
        quarter=quarter, label=period_label(quarter), as_of=as_of, plan_title=plan["plan"]["title"],
        region=plan["plan"]["region"]["name"], counts=counts, urgent=urgent_of(rows), sections=sections,
        departments=standings_of(units, rows, responsible, unreported),
        towns=standings_of([(t["code"], t["name"]) for t in towns], rows, responsible, unreported, everyone=True),
        trend=trend or [(period_label(quarter), {s.title: s.done_share for s in sections})])
