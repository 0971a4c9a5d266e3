"""The year-end 考核 table (目标管理绩效考核): for each department and each town, the plan's targets it
answers for, achieved or not, a score by the plan's weights, and a ranking. Pure: the figures and
the date they are as of come in as arguments; rendering (XLSX, PDF) is the reports' business.

What the plan's words mean here, said once:
- A unit answers for a target when the plan names it in the indicator's ``responsible``; naming
  the ``town_category`` slot (各镇（园区）) makes every registered town answer for it. Targets are
  the region's (the plan has no per-unit or per-town figures to reach), so every unit answering
  for a target shares its outcome, as the plan's 按职责分工负责 does.
- A target counts in the year its window ends: a yearly one in its year; a quarterly one in its
  year, achieved only when all four quarters are; a cumulative (2021—2025) or stock target in the
  period's last year. In other years it is listed apart with the year it will count in.
- A window is decided once it has ended (the day after its last day, as of the figures): achieved
  when its final status is achieved or its figure meets the target as the plan compares; missed
  otherwise; with no figures at all it is "no data", which counts as not achieved and says so. A
  window still running is pending: it is shown, and left out of the score.
- score = weight of the achieved targets / weight of the decided targets × 100, one decimal
  (half up). Units with the same published score share a rank and the next rank is skipped
  (1, 1, 3): "并列第1名". A unit with no target is listed apart ("无考核指标"), neither ranked nor
  scored 0; a unit whose targets are all pending is listed apart too ("暂不评分").
- Departments and other units are ranked among themselves, towns among themselves.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, Protocol

from libs.common.plan.duties import duty_of
from libs.common.plan.schema import Indicator, Organisation, Period, Plan
from libs.common.wording import QUARTER_WORDS, STATUS_WORDS, number, window_end, window_label

TargetState = Literal["achieved", "missed", "no_data", "pending"]

# every word the table says, in one place
STATE_WORDS: dict[str, str] = {"achieved": "完成", "missed": "未完成", "no_data": "无数据（按未完成计）",
                               "pending": "考核期未结束（不计分）"}
NO_TARGETS = "无考核指标"
NOT_SCORED = "考核期未结束，暂不评分"
GROUP_TITLES = {"units": "部门和单位", "towns": "镇（园区）"}
ALL_QUARTERS = "四个季度均完成"
SCORE_RULE = ("得分 = 完成指标的权重之和 ÷ 已到期考核指标的权重之和 × 100，保留一位小数；"
              "得分相同者并列，其后名次顺延（如1、1、3）")
WEIGHTS = "考核权重："
EQUAL_WEIGHTS = "各项指标相同"


def rank_words(rank: int, tied: bool) -> str:
    """第1名, or 并列第1名 when another unit has the same score."""
    return f"{'并列' if tied else ''}第{rank}名"


def weights_words(plan: Plan) -> str:
    """How the plan weighs its targets, in a sentence for the table's notes."""
    rule = plan.assessment
    if not rule.weights:
        return WEIGHTS + EQUAL_WEIGHTS
    named = "、".join(f"{plan.indicator(code).name}{number(weight, 6)}" for code, weight in rule.weights.items())
    return f"{WEIGHTS}{named}，其余指标各{number(rule.default_weight, 6)}"


class YearOutsidePlan(ValueError):
    """The year asked for is not in the plan's period: there is nothing to assess."""


class Figures(Protocol):
    """The region's figures of one indicator window as last judged (the indicators service's
    ``WindowView`` of the region scope has these fields)."""

    indicator: str
    window: str  # "2025", "2025Q2", "2021-2025"
    status: str | None
    actual: float


@dataclass(frozen=True)
class WindowFigures:
    """Figures of one window, for callers that do not hold a ``WindowView``."""

    indicator: str
    window: str
    status: str | None
    actual: float


@dataclass(frozen=True)
class WindowOutcome:
    """One window of a target, decided (or pending) as of the figures' date."""

    window: str
    state: TargetState
    actual: float | None  # None: no figures for this window
    status: str | None  # the indicators service's status word of the window, as it stood


@dataclass(frozen=True)
class TargetResult:
    """One target a unit answers for, with its outcome in the year."""

    indicator: Indicator
    weight: float
    state: TargetState
    windows: tuple[WindowOutcome, ...]
    note: str

    @property
    def words(self) -> str:
        return STATE_WORDS[self.state]

    @property
    def decided(self) -> bool:
        return self.state != "pending"


@dataclass(frozen=True)
class UnitResult:
    """A department, body or town: its targets, its score and its place."""

    code: str
    name: str
    kind: str
    targets: tuple[TargetResult, ...]
    score: float | None = None  # None: no decided target
    rank: int | None = None
    tied: bool = False

    @property
    def standing(self) -> str:
        """第2名 / 并列第1名 / 无考核指标 / 考核期未结束，暂不评分."""
        if not self.targets:
            return NO_TARGETS
        if self.rank is None:
            return NOT_SCORED
        return rank_words(self.rank, self.tied)


@dataclass(frozen=True)
class Ranking:
    """One group (部门和单位, or 镇（园区）) ranked: scored units best first, then those set apart."""

    title: str
    ranked: tuple[UnitResult, ...]
    not_scored: tuple[UnitResult, ...]  # targets, all still pending
    without_targets: tuple[UnitResult, ...]


@dataclass(frozen=True)
class Deferred:
    """A target that does not count this year, and why."""

    indicator: Indicator
    reason: str


@dataclass(frozen=True)
class Assessment:
    year: int
    as_of: dt.date
    units: Ranking
    towns: Ranking
    deferred: tuple[Deferred, ...]
    weights: str  # how the plan weighs its targets, in words

    @property
    def notes(self) -> tuple[str, ...]:
        """The rules the table follows, in words, for its foot: the weights and how scores rank."""
        return self.weights, SCORE_RULE


def assessed_windows(indicator: Indicator, period: Period, year: int) -> list[str]:
    """The keys of the windows that decide ``indicator`` in ``year`` (none: it does not count then)."""
    first, last = indicator.first_year or period.start, indicator.last_year or period.end
    if not first <= year <= last:
        return []
    if indicator.kind == "yearly":
        return [str(year)]
    if indicator.kind == "quarterly":
        return [f"{year}Q{q}" for q in range(1, 5)]
    return [f"{first}-{last}"] if year == last else []


def _deferral(indicator: Indicator, period: Period, year: int) -> str:
    first, last = indicator.first_year or period.start, indicator.last_year or period.end
    if year < first:
        return f"自{first}年起考核"
    if year > last:
        return f"已于{last}年考核完毕"
    what = "累计指标" if indicator.kind == "cumulative" else "期末指标"
    return f"{window_label(f'{first}-{last}')}{what}，在{last}年考核"


def _outcome(indicator: Indicator, key: str, figures: Figures | None, as_of: dt.date) -> WindowOutcome:
    actual, status = (figures.actual, figures.status) if figures is not None else (None, None)
    last_day = window_end(key)
    if last_day is None or as_of <= last_day:
        state: TargetState = "pending"
    elif figures is None or status == "no_data":
        state = "no_data"
    elif status == "achieved" or indicator.met_by(figures.actual):
        state = "achieved"
    else:
        state = "missed"
    return WindowOutcome(key, state, actual, status)


# of a target's windows, the first state here that one of them holds decides it: one quarter
# missed (or without data) decides the year whatever is still running
PRECEDENCE: tuple[TargetState, ...] = ("missed", "no_data", "pending", "achieved")


def _combined(outcomes: list[WindowOutcome]) -> TargetState:
    """A target of several windows (quarters) is achieved only when each is."""
    states = {o.state for o in outcomes}
    return next(state for state in PRECEDENCE if state in states)


def _note(indicator: Indicator, outcomes: list[WindowOutcome], period: Period, year: int) -> str:
    if indicator.kind == "quarterly":
        short = [o for o in outcomes if o.state != "achieved"]
        if not short:
            return ALL_QUARTERS
        return "；".join(f"{QUARTER_WORDS[int(o.window[-1]) - 1]}{_state_note(o)}" for o in short)
    (only,) = outcomes
    note = _state_note(only) if only.state == "pending" else ""
    if indicator.kind in ("cumulative", "stock"):
        return "；".join(filter(None, [_deferral(indicator, period, year), note]))
    return note


def _state_note(outcome: WindowOutcome) -> str:
    """A window's state, with the status it holds so far while it is still running."""
    if outcome.state == "pending" and outcome.status:
        return f"{STATE_WORDS['pending']}，目前{STATUS_WORDS.get(outcome.status, outcome.status)}"
    return STATE_WORDS[outcome.state]


def _target_results(plan: Plan, year: int, figures: Iterable[Figures], as_of: dt.date
                    ) -> tuple[dict[str, TargetResult], list[Deferred]]:
    period = plan.meta.period
    by_window = {(f.indicator, f.window): f for f in figures}
    results: dict[str, TargetResult] = {}
    deferred: list[Deferred] = []
    for indicator in plan.indicators:
        if indicator.tracking:
            continue
        keys = assessed_windows(indicator, period, year)
        if not keys:
            deferred.append(Deferred(indicator, _deferral(indicator, period, year)))
            continue
        outcomes = [_outcome(indicator, key, by_window.get((indicator.code, key)), as_of) for key in keys]
        results[indicator.code] = TargetResult(indicator, plan.assessment.weight(indicator.code), _combined(outcomes),
                                               tuple(outcomes), _note(indicator, outcomes, period, year))
    return results, deferred


def _score(targets: Iterable[TargetResult]) -> float | None:
    decided = [t for t in targets if t.decided]
    whole = sum(Decimal(str(t.weight)) for t in decided)
    if not whole:
        return None
    achieved = sum(Decimal(str(t.weight)) for t in decided if t.state == "achieved")
    return float((achieved / whole * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _ranking(title: str, units: list[UnitResult]) -> Ranking:
    """Best score first (a tie keeps the order given), competition ranks on the published score."""
    scores = [u.score for u in units if u.score is not None]
    ranked = sorted((replace(u, rank=1 + sum(other > u.score for other in scores),
                             tied=scores.count(u.score) > 1) for u in units if u.score is not None),
                    key=lambda u: u.rank or 0)
    return Ranking(title, tuple(ranked), not_scored=tuple(u for u in units if u.targets and u.score is None),
                   without_targets=tuple(u for u in units if not u.targets))


def _assessed(plan: Plan, towns: Mapping[str, str]) -> list[Organisation]:
    """Who is assessed: every unit with a reporting duty (those the 调度会 hears) or a target, and
    every registered town; not the region, and not the town slot (its towns are assessed)."""
    answering = {code for indicator in plan.indicators if not indicator.tracking for code in indicator.responsible}
    declared = [o for o in plan.organisations if o.kind != "town_category" and o.code != plan.meta.region.code
                and (o.code in answering or duty_of(plan, o.code, o.kind) is not None)]
    registered = [Organisation(code=code, name=name, kind="town") for code, name in towns.items()
                  if code not in {o.code for o in declared}]
    return [*declared, *registered]


def assess(plan: Plan, year: int, figures: Iterable[Figures], as_of: dt.date,
           towns: Mapping[str, str] | None = None) -> Assessment:
    """The 考核 of ``year`` from the region's window figures as of ``as_of``. ``towns`` are the
    registered towns (code → name, in the order to list them): the plan does not name them."""
    period = plan.meta.period
    if not period.start <= year <= period.end:
        raise YearOutsidePlan(f"{year}年不在规划期（{period.start}—{period.end}年）内，没有可考核的指标")
    targets, deferred = _target_results(plan, year, figures, as_of)
    slots = {o.code for o in plan.organisations if o.kind == "town_category"}
    groups: dict[str, list[UnitResult]] = {"units": [], "towns": []}
    for org in _assessed(plan, towns or {}):
        is_town = org.kind == "town"
        answers = [t for t in targets.values()
                   if org.code in t.indicator.responsible or (is_town and slots & set(t.indicator.responsible))]
        groups["towns" if is_town else "units"].append(
            UnitResult(org.code, org.name, org.kind, tuple(answers), _score(answers)))
    return Assessment(year, as_of, _ranking(GROUP_TITLES["units"], groups["units"]),
                      _ranking(GROUP_TITLES["towns"], groups["towns"]), tuple(deferred), weights_words(plan))
