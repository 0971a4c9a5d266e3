"""Panel helpers: one data source, Chinese titles with units, a grid filled left to right."""
from __future__ import annotations

from dataclasses import dataclass, field

from grafanalib.core import (
    BarGauge,
    GridPos,
    Stat,
    Table,
    TableSortByField,
    Target,
    Template,
    Threshold,
    TimeSeries,
)

DATASOURCE = {"type": "prometheus", "uid": "kepu-prometheus"}  # provisioned in deploy/grafana/provisioning

# the windows of a year: the year itself, its quarters, and the plan period (cumulative, stock)
YEAR_WINDOWS = 'window=~"$year|${year}Q[1-4]|[0-9]{4}-[0-9]{4}"'

# status colours: kepu_indicator_status_code (0 not started, 1 achieved, 2 on track, 3 at risk, 4 lagging, 5 missed)
STATUS_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "未开始", "color": "text"}, "1": {"text": "已完成目标", "color": "green"},
    "2": {"text": "进度正常", "color": "green"}, "3": {"text": "进度偏慢", "color": "yellow"},
    "4": {"text": "滞后", "color": "orange"}, "5": {"text": "未完成", "color": "red"}}}]

# reporting periods: kepu_reporting_period_state_code (0 open, 1 due, 2 on time, 3 late, 4 missing)
PERIOD_STATE_MAPPINGS = [{"type": "value", "options": {
    "0": {"text": "进行中", "color": "text"}, "1": {"text": "待报送", "color": "blue"},
    "2": {"text": "按时报送", "color": "green"}, "3": {"text": "逾期报送", "color": "yellow"},
    "4": {"text": "逾期未报送", "color": "red"}}}]


def target(expr: str, legend: str = "", instant: bool = False, ref: str = "A") -> Target:
    return Target(expr=expr, legendFormat=legend, refId=ref, instant=instant, datasource=DATASOURCE,
                  format="table" if instant else "time_series")


def variable(name: str, label: str, query: str, regex: str = "", sort: int = 1) -> Template:
    return Template(name=name, label=label, query=query, dataSource=DATASOURCE, type="query", regex=regex,
                    refresh=2, sort=sort, includeAll=False)


def share_thresholds() -> list[Threshold]:
    return [Threshold("red", 0, 0.0), Threshold("orange", 1, 50.0), Threshold("yellow", 2, 90.0),
            Threshold("green", 3, 100.0)]


@dataclass
class Grid:
    """Places panels 24 columns wide, row after row."""

    x: int = 0
    y: int = 0
    row_height: int = 0
    panels: list = field(default_factory=list)

    def add(self, panel, w: int, h: int):
        if self.x + w > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel.gridPos = GridPos(h=h, w=w, x=self.x, y=self.y)
        self.x += w
        self.row_height = max(self.row_height, h)
        panel.id = len(self.panels) + 1
        self.panels.append(panel)
        return panel


def stat(title: str, expr: str, unit: str = "none", description: str = "", colour: str = "blue") -> Stat:
    return Stat(title=title, description=description, dataSource=DATASOURCE, targets=[target(expr)], format=unit,
                reduceCalc="lastNotNull", thresholds=[Threshold(colour, 0, 0.0)], colorMode="background")


def timeseries(title: str, targets: list[Target], unit: str = "none", description: str = "") -> TimeSeries:
    return TimeSeries(title=title, description=description, dataSource=DATASOURCE, targets=targets, unit=unit,
                      legendDisplayMode="table", legendPlacement="bottom", legendCalcs=["lastNotNull"])


def bars(title: str, expr: str, legend: str, unit: str = "none", max_: float | None = None,
         thresholds: list[Threshold] | None = None, description: str = "") -> BarGauge:
    return BarGauge(title=title, description=description, dataSource=DATASOURCE,
                    targets=[target(expr, legend, instant=True)], format=unit, min=0,
                    max=max_ if max_ is not None else 100, orientation="horizontal", displayMode="gradient",
                    thresholds=thresholds or [Threshold("blue", 0, 0.0)], calc="lastNotNull")


def table(title: str, targets: list[Target], columns: dict[str, str], sort_by: str | None = None,
          description: str = "", status_column: str | None = None, mappings: list | None = None,
          descending: bool = True) -> Table:
    """Instant queries merged into one row per series; ``columns`` renames fields (and keeps only them).
    A series a query does not return leaves its cell empty (no value), never 0."""
    overrides = []
    if status_column:
        overrides.append({"matcher": {"id": "byName", "options": status_column},
                          "properties": [{"id": "mappings", "value": mappings or STATUS_MAPPINGS},
                                         {"id": "custom.displayMode", "value": "color-background"}]})
    for name in columns.values():
        if name.endswith("（%）"):
            overrides.append({"matcher": {"id": "byName", "options": name},
                              "properties": [{"id": "unit", "value": "percent"}, {"id": "decimals", "value": 0}]})
    return Table(
        title=title, description=description, dataSource=DATASOURCE, targets=targets, overrides=overrides,
        sortBy=[TableSortByField(displayName=sort_by, desc=descending)] if sort_by else [],
        transformations=[
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {
                "excludeByName": {"Time": True},
                "indexByName": {field_: i for i, field_ in enumerate(columns)},
                "renameByName": columns}},
            {"id": "filterFieldsByName", "options": {"include": {"names": list(columns.values())}}},
        ])
