"""Every plan a deployment follows: the regions they are for, as a tree, and the plans of each
region one after another.

One system can follow a province, its cities and their counties: each region has its own plan
file(s), and names the region above it (``plan.region.parent``). A region's plans succeed each
other (2021–2025, then 2026–2030): an activity, a window, a reporting period belongs to the plan
whose period holds its date, so the old plan's windows stay readable with their final figures while
the new one counts from its first day.

``KEPU_PLAN_FILE`` names one plan file or a directory of them (every ``*.yaml`` directly in it).
A deployment with one file is one region with one plan, exactly as before regions existed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from libs.common.errors import BadRequest
from libs.common.plan.loader import PlanError, Problem, load_plan
from libs.common.plan.schema import LEVEL_RANK, Organisation, Plan, Region


@dataclass(frozen=True)
class RegionPlans:
    """A region and its plans in order of their periods (the latest plan's region block wins)."""

    region: Region
    plans: tuple[Plan, ...]

    @property
    def code(self) -> str:
        return self.region.code

    @property
    def latest(self) -> Plan:
        return self.plans[-1]


class Atlas:
    """The regions of a deployment and their plans (immutable; a reload builds a new one)."""

    def __init__(self, plans: Sequence[Plan], source: str = "<plans>"):
        problems = _problems(plans)
        if problems:
            raise PlanError(source, problems)
        grouped: dict[str, list[Plan]] = {}
        for plan in sorted(plans, key=lambda p: p.meta.period.start):
            grouped.setdefault(plan.meta.region.code, []).append(plan)
        self.regions: dict[str, RegionPlans] = {
            code: RegionPlans(group[-1].meta.region, tuple(group)) for code, group in grouped.items()}
        self.source = source

    # --- the tree ------------------------------------------------------------------------------
    @property
    def roots(self) -> list[str]:
        return [code for code, r in self.regions.items() if r.region.parent is None]

    @property
    def single(self) -> bool:
        """One region: everything reads as it did before regions."""
        return len(self.regions) == 1

    @property
    def first_region(self) -> str:
        """The top region (the only one, in a county's own system): what a command defaults to."""
        return max(self.regions.values(), key=lambda r: (LEVEL_RANK[r.region.level], -len(r.plans))).code \
            if not self.single else next(iter(self.regions))

    def region(self, code: str) -> Region:
        return self.regions[code].region

    def parent(self, code: str) -> str | None:
        return self.regions[code].region.parent

    def ancestors(self, code: str) -> list[str]:
        """The regions above ``code``, nearest first."""
        out, parent = [], self.parent(code)
        while parent is not None:
            out.append(parent)
            parent = self.parent(parent)
        return out

    def children(self, code: str) -> list[str]:
        return [c for c, r in self.regions.items() if r.region.parent == code]

    def subtree(self, code: str) -> list[str]:
        """``code`` and every region below it (itself first)."""
        out = [code]
        for child in self.children(code):
            out += self.subtree(child)
        return out

    def within(self, region: str, top: str) -> bool:
        """Whether ``region`` is ``top`` or below it."""
        return region == top or top in self.ancestors(region)

    # --- plans over time -----------------------------------------------------------------------
    def plans_of(self, region: str) -> tuple[Plan, ...]:
        return self.regions[region].plans

    def plan_at(self, region: str, day: dt.date) -> Plan | None:
        """The region's plan whose period holds ``day``; None between or outside its plans."""
        return self.plan_of_year(region, day.year)

    def plan_of_year(self, region: str, year: int) -> Plan | None:
        return next((p for p in self.plans_of(region) if p.meta.period.start <= year <= p.meta.period.end), None)

    def current(self, region: str, today: dt.date) -> Plan:
        """The plan a region works to on ``today``: the one holding it, else the latest begun
        before it (an ended plan stays readable until its successor is loaded), else the first."""
        plans = self.plans_of(region)
        if (plan := self.plan_at(region, today)) is not None:
            return plan
        begun = [p for p in plans if p.meta.period.start <= today.year]
        return begun[-1] if begun else plans[0]

    def year_in_plan(self, region: str, today: dt.date) -> int:
        """The year a command means by "this year": today's, else the nearest year of a plan."""
        plan = self.current(region, today)
        period = plan.meta.period
        return min(max(today.year, period.start), period.end)

    def plan_by_code(self, code: str) -> Plan:
        return self._plans_by_code[code]

    @cached_property
    def _plans_by_code(self) -> dict[str, Plan]:
        return {p.meta.code: p for r in self.regions.values() for p in r.plans}

    def all_plans(self) -> list[Plan]:
        return [p for r in self.regions.values() for p in r.plans]

    def years(self, region: str) -> list[int]:
        return [y for p in self.plans_of(region) for y in p.meta.period.years]

    # --- organisations -------------------------------------------------------------------------
    @cached_property
    def _organisations(self) -> dict[str, tuple[str, Organisation]]:
        out: dict[str, tuple[str, Organisation]] = {}
        for code, held in self.regions.items():
            for plan in held.plans:  # a later plan's entry replaces an earlier one's
                for org in plan.organisations:
                    out[org.code] = (code, org)
        return out

    def organisations(self, region: str | None = None) -> list[tuple[str, Organisation]]:
        """(region, organisation) for every organisation the plans name (each once, as its
        region's latest plan names it), or only ``region``'s."""
        return [(r, o) for r, o in self._organisations.values() if region is None or r == region]

    def region_of(self, org: str) -> str | None:
        """The region of an organisation a plan names; None for one registered later (the
        organisations service knows those: by their parent)."""
        held = self._organisations.get(org)
        return held[0] if held else None

    def organisation(self, org: str) -> Organisation | None:
        held = self._organisations.get(org)
        return held[1] if held else None

    def office_of(self, region: str) -> str | None:
        """The region's office (its 领导小组办公室): the organisation of kind ``office``."""
        return next((o.code for r, o in self.organisations(region) if o.kind == "office"), None)


def chosen_plan(atlas: Atlas, today: dt.date, region: str | None = None, year: int | None = None) -> Plan:
    """The plan a request means: ``region``'s (default: the top region) in ``year`` (default: the
    year in a plan nearest today). Refuses an unknown region or a year no plan of it covers."""
    region = region or atlas.first_region
    if region not in atlas.regions:
        raise BadRequest.of("region", "unknown_region", f"no region {region!r}; regions here: "
                            f"{', '.join(sorted(atlas.regions))}")
    if year is None:
        return atlas.current(region, today)
    plan = atlas.plan_of_year(region, year)
    if plan is None:
        periods = "、".join(f"{p.meta.period.start}–{p.meta.period.end}" for p in atlas.plans_of(region))
        raise BadRequest.of("year", "outside_plan_period", f"{year}年不在{atlas.region(region).name}的规划期内"
                            f"（{periods}）")
    return plan


def _problems(plans: Sequence[Plan]) -> list[Problem]:
    """What makes a set of plans not one deployment: one plan loaded twice, overlapping plans of a
    region, a region under two parents, an unknown or looping parent, a parent not above its child,
    one organisation code in two regions. A region renamed by its later plan is not refused: the
    latest plan's name stands (:class:`RegionPlans`)."""
    problems: list[Problem] = []
    if not plans:
        return [Problem("", "no plan file: a deployment follows at least one plan")]
    by_region: dict[str, list[Plan]] = {}
    for plan in plans:
        by_region.setdefault(plan.meta.region.code, []).append(plan)
    codes = [p.meta.code for p in plans]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    problems += [Problem("plan.code", f"plan {c} is loaded twice") for c in twice]
    for region, group in by_region.items():
        group.sort(key=lambda p: p.meta.period.start)
        for before, after in zip(group, group[1:]):
            if after.meta.period.start <= before.meta.period.end:
                problems.append(Problem("plan.period", f"region {region}: plans {before.meta.code} "
                                        f"({before.meta.period.start}–{before.meta.period.end}) and {after.meta.code} "
                                        f"({after.meta.period.start}–{after.meta.period.end}) overlap; a region works "
                                        "to one plan at a time"))
        parents = {p.meta.region.parent for p in group}
        if len(parents) > 1:
            problems.append(Problem("plan.region.parent", f"region {region}: its plans name different parents "
                                    f"({', '.join(sorted(str(x) for x in parents))})"))
    levels = {code: group[-1].meta.region.level for code, group in by_region.items()}
    for region, group in by_region.items():
        parent = group[-1].meta.region.parent
        if parent is None:
            continue
        if parent not in by_region:
            problems.append(Problem("plan.region.parent", f"region {region}: parent {parent} has no plan here; "
                                    f"known regions: {', '.join(sorted(by_region))}"))
        elif LEVEL_RANK[levels[parent]] <= LEVEL_RANK[levels[region]]:
            problems.append(Problem("plan.region.parent", f"region {region} ({levels[region]}) cannot be under "
                                    f"{parent} ({levels[parent]}): a parent is a higher level"))
    problems += _loops(by_region)
    owners: dict[str, str] = {}
    for region, group in by_region.items():
        for org in {o.code for plan in group for o in plan.organisations}:
            if (other := owners.setdefault(org, region)) != region:
                problems.append(Problem("organisations", f"organisation {org} is named by the plans of {other} and "
                                        f"of {region}; codes are one namespace across regions: prefix one "
                                        f"(e.g. {region}-{org})"))
    return problems


def _loops(by_region: dict[str, list[Plan]]) -> list[Problem]:
    parent = {code: group[-1].meta.region.parent for code, group in by_region.items()}
    out = []
    for start in parent:
        seen, at = {start}, parent[start]
        while at is not None and at in parent:
            if at in seen:
                out.append(Problem("plan.region.parent", f"region {start}: its parents loop back ({at})"))
                break
            seen.add(at)
            at = parent[at]
    return out


def plan_files(path: str | Path) -> list[Path]:
    """The plan files at ``path``: the file itself, or every ``*.yaml`` directly in a directory."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.glob("*.yaml") if p.is_file())
    return [path]


def load_atlas(path: str | Path) -> Atlas:
    """Load every plan at ``path`` and check them together; :class:`PlanError` lists every
    problem of every file (a file's own problems first)."""
    files = plan_files(path)
    if not files:
        raise PlanError(str(path), [Problem("", "no *.yaml plan file in this directory")])
    plans: list[Plan] = []
    failed: list[PlanError] = []
    for file in files:
        try:
            plans.append(load_plan(file))
        except PlanError as exc:
            failed.append(exc)
    if len(failed) == 1:
        raise failed[0]
    if failed:  # each file's problems, each line still naming its file
        raise PlanError(str(path), [Problem("", str(exc)) for exc in failed])
    return Atlas(plans, str(path))


def atlas_of(plans: Iterable[Plan]) -> Atlas:
    """An atlas of plans already loaded (tests, drafts)."""
    return Atlas(list(plans))
