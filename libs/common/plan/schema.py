"""Pydantic schema of a plan file (YAML). Strict: unknown keys and dangling references fail.

A plan file is everything a machine can act on in a county's 实施方案: its period, the
organisations it names, its sections and measures, the activity types departments report (with
the seasons of campaigns), every quantitative target as an :class:`Indicator`, and who reports how
often and by when (:class:`Reporting`), and how the year-end 考核 weighs the targets
(:class:`AssessmentWeights`).
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator, model_validator

from libs.common.bounds import CODE_PATTERN
from libs.common.wording import counts, number

Code = str  # ASCII machine id: lower case letters, digits, '-', '_' and '.' (CODE_PATTERN)
EVENTS = "events"  # the implicit quantity: 1 per activity
EVENTS_UNIT = "次"
EVENTS_NAME = "活动数"
TRACKING_PREFIX = "track."  # codes of derived tracking indicators: track.<activity type>.<quantity>


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParentPlan(Strict):
    code: Code = Field(pattern=CODE_PATTERN)
    title: str
    document: str | None = None  # e.g. 国发〔2021〕9号


RegionLevel = Literal["county", "city", "province", "national"]
LEVEL_RANK: dict[str, int] = {"county": 0, "city": 1, "province": 2, "national": 3}


class Region(Strict):
    """The region a plan is for. ``parent`` names the region above it (a city above a county) when
    both are followed in one system: its plan's indicators then count this region's activities too
    (each as its ``rollup`` says). Without it the region is a root of the deployment's tree."""

    code: Code = Field(pattern=CODE_PATTERN)
    name: str
    level: RegionLevel
    parent: Code | None = Field(None, pattern=CODE_PATTERN)


class Period(Strict):
    start: int = Field(ge=2000, le=2100)
    end: int = Field(ge=2000, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end < self.start:
            raise ValueError(f"end year {self.end} is before start year {self.start}")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start, self.end + 1))

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.start, 1, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.end, 12, 31)


class PlanMeta(Strict):
    code: Code = Field(pattern=CODE_PATTERN)
    title: str
    status: str | None = None  # e.g. 征求意见稿
    region: Region
    period: Period
    parents: list[ParentPlan] = []


OrgKind = Literal["government", "office", "department", "body", "town_category", "town", "village"]


class Organisation(Strict):
    """An organisation the plan names. ``town_category`` (各镇（园区）) collects towns registered later."""

    code: Code = Field(pattern=CODE_PATTERN)
    name: str
    kind: OrgKind
    parent: Code | None = None


DEFAULT_QUANTITY_MAX = 1_000_000.0  # per activity: more than a county's population is absurd


class Quantity(Strict):
    """Something an activity can carry: 场次, 人次, 人, 个 ... ``events`` is implicit (1 per activity).

    ``whole``: a count (sessions, people) takes whole numbers; a measure (a percentage) does not.
    ``max``: the most one activity may report; a report beyond it is refused, never counted (two
    reports of 1.79e308 would otherwise sum to infinity). Defaults: a percentage 100, else 1,000,000.
    """

    code: Code = Field(pattern=CODE_PATTERN)
    name: str
    unit: str
    whole: bool | None = None
    max: float | None = Field(None, gt=0, allow_inf_nan=False)

    @property
    def is_whole(self) -> bool:
        return self.whole if self.whole is not None else counts(self.unit)

    @property
    def most(self) -> float:
        if self.max is not None:
            return self.max
        return 100.0 if self.unit == "%" else DEFAULT_QUANTITY_MAX

    def problem(self, amount: float) -> str | None:
        """Why ``amount`` cannot be counted as this quantity, or None. One definition for the
        activities service (refusing a report) and the indicators service (parking an event)."""
        if not math.isfinite(amount):
            return f"{self.name}应为普通的数字，不能是无穷大或非数值"
        if amount < 0:
            return f"{self.name}不能是负数（{number(amount, 6)}）；应为 0 或更大"
        if amount > self.most:
            return (f"{self.name}超过一次活动的上限：填了{number(amount, 6)}，最多{number(self.most, 6)}{self.unit}；"
                    "请把每次活动分开上报")
        if self.is_whole and amount != int(amount):
            return f"{self.name}应为整数，不能是 {number(amount, 6)}"
        return None


def whole_figures(indicators: Iterable, whole_quantities: Iterable[str]) -> dict[str, bool]:
    """Indicator code → whether its figures count things and so are written whole
    (``wording.amount``): its unit counts and every quantity feeding it is whole (the implicit
    events always are). Takes the plan's indicators or the GetPlan answer's alike (code, unit,
    feeds), with the codes of the quantities that are whole."""
    whole = {*whole_quantities, EVENTS}
    return {i.code: counts(i.unit) and all(f.quantity in whole for f in i.feeds) for i in indicators}


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name} | {
    name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}


def _month_day(value: object, last: bool) -> str:
    """'MM-DD' from 'MM-DD', 'M-D', a month's English name or 'N月' (a month: its first day, or its
    last when ``last``). February 29 is refused: a season must exist every year."""
    text = value.strip() if isinstance(value, str) else None
    how = "write MM-DD (05-12) or a month (May, 5月)"
    if isinstance(value, dt.date):
        raise ValueError(f"a season is the same days every year: write {value:%m-%d} without the year")
    if text is None:
        raise ValueError(f"{value!r} is not a day of the year: {how}")
    month = MONTHS.get(text.lower())
    if month is None and text.endswith("月") and text[:-1].isdigit():
        month = int(text[:-1])
    if month is not None:
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r} is not a month: {how}")
        day = calendar.monthrange(2001, month)[1] if last else 1  # 2001: not a leap year
        return f"{month:02d}-{day:02d}"
    parts = text.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):  # a quoted '2025-05-12'
        raise ValueError(f"a season is the same days every year: write {parts[1]}-{parts[2]} without the year")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not a day of the year: {how}")
    month, day = int(parts[0]), int(parts[1])
    if (month, day) == (2, 29):
        raise ValueError("02-29 is not in every year: write 02-28 or 03-01")
    try:
        dt.date(2001, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a day of the year: {how}") from None
    return f"{month:02d}-{day:02d}"


class Season(Strict):
    """When a campaign is expected each year (全国科普日: September): ``from`` and ``to`` as MM-DD or
    as a month (``from: May`` is May 1, ``to: May`` May 31). It lies within one calendar year."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)

    starts: str = Field(alias="from")  # MM-DD
    ends: str = Field(alias="to")  # MM-DD

    @field_validator("starts", mode="before")
    @classmethod
    def _first_day(cls, value: object) -> str:
        return _month_day(value, last=False)

    @field_validator("ends", mode="before")
    @classmethod
    def _last_day(cls, value: object) -> str:
        return _month_day(value, last=True)

    @model_validator(mode="after")
    def _ordered(self) -> "Season":
        if self.ends < self.starts:
            raise ValueError(f"the season ends ({self.ends}) before it starts ({self.starts}); a season lies within "
                             "one calendar year: write from ≤ to")
        return self

    def days(self, year: int) -> tuple[dt.date, dt.date]:
        """The first and last day of the season in ``year``."""
        return (dt.date(year, *map(int, self.starts.split("-"))), dt.date(year, *map(int, self.ends.split("-"))))


class ActivityType(Strict):
    code: Code = Field(pattern=CODE_PATTERN)
    name: str
    category: Literal["campaign", "tour", "training", "registration", "creation", "meeting",
                      "competition", "observation", "other"]
    quantities: list[Code] = Field(min_length=1)
    # Quantities counted per year as tracking indicators (no target), e.g. [events, sessions].
    track: list[Code] = []
    description: str | None = None
    season: Season | None = None  # when a campaign is expected each year
    # who is expected to take part in the season: organisation codes or kinds (department, town …);
    # by default the responsible units of the indicators this type feeds
    expected_from: list[str] = []


ReportingEvery = Literal["month", "quarter", "half_year", "year"]


class Duty(Strict):
    """How often an organisation reports, and by when: the Nth working day after each period ends."""

    every: ReportingEvery
    due_working_days: int = Field(ge=1, le=60)


DEFAULT_DUTY = Duty(every="quarter", due_working_days=10)  # a plan that says nothing: everyone, each quarter


class ReportingRule(Duty):
    """A duty for kinds of organisation (``kinds: [town]``) and/or named ones (``orgs: [cast]``)."""

    kinds: list[OrgKind] = []
    orgs: list[Code] = []

    @model_validator(mode="after")
    def _names_someone(self) -> "ReportingRule":
        if not self.kinds and not self.orgs:
            raise ValueError("a rule says whom it binds: add kinds: [department] and/or orgs: [<organisation code>]")
        return self

    @property
    def duty(self) -> Duty:
        return Duty(every=self.every, due_working_days=self.due_working_days)


class Reporting(Strict):
    """Who reports how often and by when. Precedence: a rule naming the organisation, then a rule
    naming its kind, then ``default``. Without a ``reporting:`` section every organisation, towns
    included, reports each quarter by the 10th working day after it.

    ``exempt`` names the units that report to nobody: the government that receives the reports, or
    a collective name such as 各成员单位 whose members each report for themselves. The
    ``town_category`` slot never reports (its towns do).
    """

    default: Duty = DEFAULT_DUTY
    rules: list[ReportingRule] = []
    exempt: list[Code] = []
    remind_working_days_before: int = Field(3, ge=0, le=60)  # 0: on the due day itself


class Measure(Strict):
    code: Code = Field(pattern=CODE_PATTERN)
    title: str
    text: str
    responsible: list[Code] = Field(min_length=1)


class Section(Strict):
    code: Code = Field(pattern=CODE_PATTERN)
    group: Literal["actions", "projects", "safeguards"]  # 五大提升行动 / 五项重点工程 / 保障措施
    title: str
    task: str | None = None
    lead_units: list[Code] = []
    measures: list[Measure] = []


class Feed(Strict):
    """Which activity type feeds an indicator, and with which of its quantities."""

    activity_type: Code
    quantity: Code


class Pace(Strict):
    tolerance: float = Field(0.10, ge=0, le=1)
    grace_days: int = Field(0, ge=0)
    monthly_weights: list[float] | None = None
    due: dt.date | None = None
    baseline: float | None = None  # stock indicators pace from here to the target

    @field_validator("monthly_weights")
    @classmethod
    def _twelve(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (len(v) != 12 or any(w < 0 for w in v) or sum(v) <= 0):
            raise ValueError("monthly_weights needs 12 non-negative numbers with a positive sum")
        return v


IndicatorKind = Literal["yearly", "quarterly", "cumulative", "stock"]


class Indicator(Strict):
    """A quantitative target of the plan (or a tracking count when ``target`` is None)."""

    code: Code = Field(pattern=CODE_PATTERN)
    name: str
    kind: IndicatorKind
    target: PositiveFloat | None = None
    comparison: Literal["at_least", "more_than"] = "at_least"  # 不少于/达到 vs 超过
    unit: str
    feeds: list[Feed] = Field(min_length=1)
    responsible: list[Code] = []
    section: Code | None = None
    measure: Code | None = None
    source_text: str | None = None
    pace: Pace = Pace()
    # stock only: "latest" observation from anyone, or the sum of each reporter's latest
    # (e.g. volunteers registered with several bodies, each reporting its own register)
    stock_aggregation: Literal["latest", "sum_per_reporter"] = "latest"
    first_year: int | None = None  # restricts the windows; defaults to the plan period
    last_year: int | None = None
    # whose activities count: the whole subtree (a city's target over all its counties, the
    # default) or the region's own organisations only (全市市直单位); a county has no subtree
    rollup: Literal["subtree", "own"] = "subtree"

    @property
    def tracking(self) -> bool:
        return self.target is None

    def met_by(self, actual: float) -> bool:
        """Whether ``actual`` reaches the target as the plan compares (不少于/达到: ≥, 超过: >)."""
        if self.target is None:
            raise ValueError(f"{self.code} is a tracking indicator: it has no target to meet")
        return actual > self.target if self.comparison == "more_than" else actual >= self.target


Weight = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False, strict=True)]


class AssessmentWeights(Strict):
    """How much each target weighs in the year-end 考核 (目标管理绩效考核) of the units answering for it.

    ``weights`` names indicators by code; every other target weighs ``default_weight``. Without an
    ``assessment:`` section all targets weigh the same. Only the ratio matters: a unit's score is
    the weight of the targets it achieved over the weight of all its assessed targets.
    """

    weights: dict[Code, Weight] = {}
    default_weight: Weight = 1.0

    def weight(self, indicator: str) -> float:
        return self.weights.get(indicator, self.default_weight)


class Plan(Strict):
    # the file's `plan:` block: what the plan is (code, region, period), beside what it asks
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)

    meta: PlanMeta = Field(alias="plan")
    organisations: list[Organisation]
    quantities: list[Quantity]
    activity_types: list[ActivityType]
    sections: list[Section] = []
    indicators: list[Indicator] = []
    reporting: Reporting = Reporting()
    assessment: AssessmentWeights = AssessmentWeights()

    # --- look-ups used by services -------------------------------------------------
    def quantity_problems(self, quantities: dict[str, float]) -> list[tuple[str, str]]:
        """(field, message) for each amount the plan's bounds refuse (unknown codes are the
        activity type's check, not this one's)."""
        kinds = {q.code: q for q in self.quantities}
        return [(f"quantities.{code}", problem) for code, amount in quantities.items()
                if code in kinds and (problem := kinds[code].problem(amount)) is not None]

    def indicator(self, code: str) -> Indicator:
        """The declared or tracking indicator with this code (KeyError if none)."""
        return self._indicator_index[code]

    def fed_by(self, activity_type: str) -> list[Indicator]:
        """The indicators an activity type feeds (hot path: looked up per event)."""
        return self._feeds_index.get(activity_type, [])

    @cached_property
    def _indicator_index(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.all_indicators()}

    @cached_property
    def _feeds_index(self) -> dict[str, list[Indicator]]:
        index: dict[str, list[Indicator]] = {}
        for ind in self.all_indicators():
            for code in dict.fromkeys(f.activity_type for f in ind.feeds):
                index.setdefault(code, []).append(ind)
        return index

    def expected_from(self, activity_type: str) -> list[str]:
        """Organisation codes or kinds expected to take part in a type's season: as the plan writes
        them, else the responsible units of the declared indicators the type feeds."""
        written = {t.code: t.expected_from for t in self.activity_types}[activity_type]
        if written:
            return list(written)
        return list(dict.fromkeys(code for ind in self.fed_by(activity_type) for code in ind.responsible))

    def organisation(self, code: str) -> Organisation:
        return {o.code: o for o in self.organisations}[code]

    def figures_whole(self) -> dict[str, bool]:
        """Indicator code → whether people read its figures whole (``whole_figures``)."""
        return whole_figures(self.all_indicators(), (q.code for q in self.quantities if q.is_whole))

    def all_indicators(self) -> list[Indicator]:
        """Declared indicators plus the tracking indicators derived from activity types."""
        return self._all_indicators

    @cached_property
    def _all_indicators(self) -> list[Indicator]:
        units = {q.code: q.unit for q in self.quantities} | {EVENTS: EVENTS_UNIT}
        names = {q.code: q.name for q in self.quantities} | {EVENTS: EVENTS_NAME}
        derived = [
            Indicator(
                code=f"{TRACKING_PREFIX}{t.code}.{q}", name=f"{t.name}（{names[q]}）", kind="yearly", unit=units[q],
                feeds=[Feed(activity_type=t.code, quantity=q)],
            )
            for t in self.activity_types for q in t.track
        ]
        return [*self.indicators, *derived]
