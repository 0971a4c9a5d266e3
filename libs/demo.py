"""A realistic year of demo activities for the plan (no bus, no network: ``kepu demo`` sends them).

Every department the plan makes responsible reports the activity types that feed its
indicators, spread over the months up to the clock's date; campaign days fall in their month
(科技活动周 in May, 全国科普日 in September); some indicators are kept on pace and some left
lagging, by a seeded draw, so that dashboards and alerts have something to show. Towns are
example towns (``is_example``), never passed off as real ones. Each indicator draws from its own
seeded generator and its external ids name it (year, seed, indicator, span, part): a second run
on the same clock date resends the same activities, which count once.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from libs.common.plan import Plan
from libs.common.plan.duties import duty_of, periods

# campaign days and weeks in the month they are held (others: a month drawn at random)
CAMPAIGN_MONTHS = {"national_science_day": 9, "science_week": 5, "disaster_reduction_day": 5,
                   "innovation_week": 10, "world_environment_day": 6, "food_safety_week": 6}
REPORTING_KINDS = {"department", "office", "body"}  # who reports (not the government, not towns)
TOWN_NAMES = ["示例镇一", "示例镇二", "示例镇三", "示例镇四", "示例镇五", "示例镇六", "示例镇七", "示例镇八"]


@dataclass(frozen=True)
class DemoTown:
    code: str
    name: str


def demo_towns(count: int, prefix: str = "") -> list[DemoTown]:
    """Example towns (``prefix``: the region's, where several regions share one registry)."""
    return [DemoTown(f"{prefix}demo-town-{i + 1}", TOWN_NAMES[i] if i < len(TOWN_NAMES) else f"示例镇{i + 1}")
            for i in range(count)]


def _reporter(plan: Plan, responsible: list[str]) -> str | None:
    kinds = {o.code: o.kind for o in plan.organisations}
    return next((org for org in responsible if kinds.get(org) in REPORTING_KINDS), None)


def _elapsed(start: dt.date, end: dt.date, until: dt.date) -> float:
    if until < start:
        return 0.0
    return min(1.0, ((until - start).days + 1) / ((end - start).days + 1))


def _dates(rng: random.Random, start: dt.date, until: dt.date, count: int, month: int | None = None) -> list[dt.date]:
    if month is not None:
        first = dt.date(start.year, month, 1)
        last = (dt.date(start.year, month + 1, 1) if month < 12 else dt.date(start.year + 1, 1, 1)) - dt.timedelta(1)
        start, until = max(start, first), min(until, last)
    span = (until - start).days
    return [start + dt.timedelta(days=rng.randint(0, span)) for _ in range(count)] if span >= 0 else []


def _quantities(rng: random.Random, names: list[str], main: str, amount: float) -> dict[str, float]:
    """The feeding quantity as given; the others plausible beside it."""
    out = {}
    for name in names:
        if name == main:
            out[name] = amount
        elif name == "participants":
            out[name] = float(rng.randint(30, 300))
        elif name in ("sessions", "events"):
            out[name] = float(rng.randint(1, 3))
        else:
            out[name] = float(rng.randint(1, 20))
    return out


def demo_year(plan: Plan, year: int, as_of: dt.date, towns: list[DemoTown], seed: int = 2024,
              lagging_share: float = 0.4) -> dict[str, list[dict]]:
    """Reports per organisation for ``year``, dated up to ``as_of``."""
    start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    until = min(as_of, year_end)
    types = {t.code: t for t in plan.activity_types}
    kinds = {q.code: q for q in plan.quantities}  # whole counts or measures, and their bounds
    reports: dict[str, list[dict]] = {}
    if until < start:
        return reports
    period = (dt.date(plan.meta.period.start, 1, 1), dt.date(plan.meta.period.end, 12, 31))

    def add(rng: random.Random, key: str, org: str, type_code: str, day: dt.date, quantities: dict) -> None:
        town = rng.choice(towns).code if towns and rng.random() < 0.7 else ""
        reports.setdefault(org, []).append({
            "activity_type": type_code, "title": f"{types[type_code].name}（示例数据）",
            "external_id": f"demo-{year}-{seed}-{key}", "town": town, "start_date": day.isoformat(),
            "quantities": quantities})

    for indicator in plan.indicators:
        if indicator.target is None or not indicator.feeds:
            continue
        rng = random.Random(f"{seed}-{year}-{indicator.code}")
        org = _reporter(plan, indicator.responsible)
        feed = indicator.feeds[0]
        if org is None or feed.activity_type not in types or feed.quantity == "events":
            continue
        names = types[feed.activity_type].quantities
        factor = rng.uniform(0.25, 0.6) if rng.random() < lagging_share else rng.uniform(1.05, 1.4)
        if indicator.kind == "stock":
            baseline = indicator.pace.baseline or 0.0
            level = baseline + (indicator.target - baseline) * min(1.0, _elapsed(*period, until) * factor)
            whole = kinds[feed.quantity].is_whole if feed.quantity in kinds else True
            add(rng, f"{indicator.code}-level", org, feed.activity_type, until,
                _quantities(rng, names, feed.quantity, float(round(level)) if whole else round(level, 1)))
            continue
        if indicator.kind == "quarterly":
            spans = [(dt.date(year, 3 * q - 2, 1), (dt.date(year, 3 * q + 1, 1) if q < 4 else dt.date(year + 1, 1, 1))
                      - dt.timedelta(1)) for q in range(1, 5)]
        else:
            spans = [(start, year_end)]
        for n, (span_start, span_end) in enumerate(spans):
            if indicator.kind == "cumulative":  # this year's part of the period's total, no more
                share = _elapsed(*period, until) - _elapsed(*period, start - dt.timedelta(days=1))
            else:
                share = _elapsed(span_start, span_end, until)
            amount = indicator.target * share * factor
            if amount <= 0:
                continue
            whole = kinds[feed.quantity].is_whole if feed.quantity in kinds else True
            count = max(1, min(12, math.ceil(amount))) if whole else rng.randint(2, 6)
            parts = _split(rng, amount, count, whole)
            days = _dates(rng, max(span_start, start), min(span_end, until), len(parts))
            for k, (day, part) in enumerate(zip(days, parts)):
                add(rng, f"{indicator.code}-{n}-{k}", org, feed.activity_type, day,
                    _quantities(rng, names, feed.quantity, part))

    departments = sorted({o for i in plan.indicators for o in i.responsible if _reporter(plan, [o])})
    for activity_type in plan.activity_types:
        if activity_type.category != "campaign":
            continue
        rng = random.Random(f"{seed}-{year}-{activity_type.code}")
        month = CAMPAIGN_MONTHS.get(activity_type.code, rng.randint(3, 11))
        for org in rng.sample(departments, k=min(len(departments), rng.randint(3, 8))):
            for k, day in enumerate(_dates(rng, start, until, rng.randint(1, 2), month)):
                add(rng, f"{activity_type.code}-{org}-{k}", org, activity_type.code, day,
                    _quantities(rng, activity_type.quantities, "sessions", float(rng.randint(1, 4))))
    return reports


def demo_submissions(plan: Plan, year: int, as_of: dt.date, towns: list[DemoTown], reports: dict[str, list[dict]],
                     seed: int = 2024, submitted_share: float = 0.6) -> list[tuple[str, str, bool]]:
    """(org, period, nil) that the demo's organisations submit on ``as_of`` (本期已报送): each one
    that reported in the demo, and each example town, submits its latest ended period (on time
    while its deadline is ahead); of its earlier periods a seeded share is submitted (late: the
    demo submits them today) and the rest stay missing, which is what 逾期未报送 looks like.
    A period with none of the organisation's activities is a nil report (本期无活动)."""
    kinds = {o.code: o.kind for o in plan.organisations} | {t.code: "town" for t in towns}
    out = []
    for org in [*sorted(reports), *(t.code for t in towns)]:
        duty = duty_of(plan, org, kinds.get(org, "department"))
        if duty is None:
            continue
        rng = random.Random(f"{seed}-{year}-{org}-periods")
        ended = [p for p in periods(duty, year) if p.end < as_of]
        days = [dt.date.fromisoformat(r["start_date"]) for r in reports.get(org, [])]
        for n, period in enumerate(ended):
            if n == len(ended) - 1 or rng.random() < submitted_share:
                out.append((org, period.key, not any(period.start <= d <= period.end for d in days)))
    return out


def _split(rng: random.Random, amount: float, count: int, whole: bool) -> list[float]:
    """``amount`` in ``count`` parts (whole numbers for counts, at least 1 each)."""
    if whole:
        total = max(count, round(amount))
        cuts = sorted(rng.sample(range(1, total), count - 1)) if count > 1 else []
        bounds = [0, *cuts, total]
        return [float(b - a) for a, b in zip(bounds, bounds[1:])]
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    return [round(amount * w / sum(weights), 1) for w in weights]
