"""Typed results of the indicators service's RPC methods (sent as their ``model_dump()``, so the
gateway and the CLI read plain dicts): window states joined with the plan's names, targets and
responsible units, grouped as readers want them."""
from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from libs.common.db import iso
from libs.common.plan.schema import Indicator, Plan
from services.indicators.domain.counting import SUBREGION
from services.indicators.domain.windows import windows_of_year
from services.indicators.models import RebuildRun, WindowState


class IndicatorFacts(BaseModel):
    """What the plan says of an indicator, beside each of its figures."""

    indicator: str
    name: str
    kind: str
    unit: str
    target: float | None
    responsible: list[str]

    @staticmethod
    def facts(indicator: Indicator) -> dict:
        return {"indicator": indicator.code, "name": indicator.name, "kind": indicator.kind, "unit": indicator.unit,
                "target": indicator.target, "responsible": list(indicator.responsible)}


class WindowView(IndicatorFacts):
    """One window of an indicator in one scope: its figures and status."""

    window: str
    scope: str
    actual: float
    expected: float | None
    status: str | None
    as_of: str | None
    region: str | None = None  # the region whose indicator this is (GetProgress: what an office may read)

    @classmethod
    def of(cls, indicator: Indicator, state: WindowState) -> WindowView:
        return cls(**cls.facts(indicator), window=state.window, scope=state.scope, actual=state.actual,
                   expected=state.expected, status=state.status,
                   as_of=state.as_of.isoformat() if state.as_of else None)

    @classmethod
    def all_of(cls, plan: Plan, states: Sequence[WindowState]) -> list[WindowView]:
        """One per state; states of indicators no longer in the plan are left out."""
        known = {i.code: i for i in plan.all_indicators()}
        return [cls.of(known[s.indicator], s) for s in states if s.indicator in known]


class YearWindow(IndicatorFacts):
    """An indicator window of a year: the region's state (``total``) beside the breakdowns."""

    window: str
    total: WindowView | None
    by_org: list[WindowView]
    by_town: list[WindowView]
    by_region: list[WindowView] = []  # each region directly below: its part of this figure (region:CODE)


class YearProgress(BaseModel):
    """Every indicator window of a year."""

    year: int
    indicators: list[YearWindow]

    @classmethod
    def of(cls, plan: Plan, states: Sequence[WindowState], year: int, targets_only: bool = False,
           indicator_code: str | None = None) -> YearProgress:
        """``states``: the plan's region's own (its figure and its breakdowns)."""
        by_key: dict[tuple[str, str], list[WindowState]] = {}
        for s in states:
            by_key.setdefault((s.indicator, s.window), []).append(s)
        region = plan.meta.region.code
        out = []
        for indicator in plan.all_indicators():
            if (targets_only and indicator.tracking) or (indicator_code and indicator.code != indicator_code):
                continue
            for window in windows_of_year(indicator, plan.meta.period, year):
                found = by_key.get((indicator.code, window), [])
                out.append(YearWindow(
                    **IndicatorFacts.facts(indicator), window=window,
                    total=next((WindowView.of(indicator, s) for s in found if s.scope == region), None),
                    by_org=[WindowView.of(indicator, s) for s in found if s.scope.startswith("org:")],
                    by_town=[WindowView.of(indicator, s) for s in found if s.scope.startswith("town:")],
                    by_region=[WindowView.of(indicator, s) for s in found if s.scope.startswith(SUBREGION)]))
        return cls(year=year, indicators=out)


class RebuildStatus(BaseModel):
    """Where a rebuild stands: replaying (``replayed`` of ``expected`` in), switched or superseded."""

    run: str
    state: str
    expected: int | None
    replayed: int | None
    status_changes: int | None
    started_at: str
    finished_at: str | None

    @classmethod
    def of(cls, run: RebuildRun, replayed: int | None) -> RebuildStatus:
        return cls(run=run.id, state=run.state, expected=run.expected, replayed=replayed,
                   status_changes=run.status_changes, started_at=run.started_at.isoformat(),
                   finished_at=iso(run.finished_at))


class PlanReloaded(BaseModel):
    """The plan now in force, and the status changes its targets made."""

    plan: str
    indicators: int
    status_changes: int
