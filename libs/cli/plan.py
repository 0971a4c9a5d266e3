"""``kepu plan …``: validate, show and export plan files."""
from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from collections import Counter
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.table import Table

from libs.common.errors import BadRequest
from libs.common.plan import Plan, PlanError, load_plan
from libs.common.plan.assessment import weights_words
from libs.common.plan.atlas import Atlas, chosen_plan, load_atlas
from libs.common.plan.duties import EVERY_NAMES, KIND_NAMES
from libs.common.plan.schema import TRACKING_PREFIX, Duty, Indicator, Season
from libs.common.settings import get_settings
from libs.common.wording import number

app = typer.Typer(help="Validate, show and export plan files.", no_args_is_help=True)

KINDS = ("yearly", "quarterly", "cumulative", "stock")
GROUPS = {"actions": "提升行动", "projects": "重点工程", "safeguards": "保障措施"}
COMPARISONS = {"at_least": "≥", "more_than": ">"}


class ExportFormat(str, enum.Enum):
    json = "json"
    yaml = "yaml"


def _file_argument(help_text: str):
    return typer.Argument(None, help=f"{help_text} Defaults to KEPU_PLAN_FILE (settings.plan_file): a file, or a "
                          "directory of plans (then --region and --year choose one).", show_default=False)


REGION = typer.Option(None, "--region", help="In a directory of plans: the region (default: the top one).")
YEAR = typer.Option(None, "--year", help="In a directory of plans: the year whose plan (default: this year, or "
                    "the nearest year of a plan).")


def _resolve(file: Path | None) -> Path:
    return Path(file) if file is not None else Path(get_settings().plan_file)


def _fail(exc: PlanError, path: Path) -> typer.Exit:
    """Print every problem to stderr (file:line: path: message); the exit to raise."""
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    for problem in exc.problems:
        err.print(problem.render(exc.file) if problem.path or problem.line else problem.message, markup=False)
    count = len(exc.problems)
    err.print(f"[bold red]✗[/] {count} problem{'s' if count != 1 else ''} in {path}")
    return typer.Exit(1)


def _load_atlas_or_exit(file: Path | None) -> Atlas:
    path = _resolve(file)
    try:
        return load_atlas(path)
    except PlanError as exc:
        raise _fail(exc, path) from None


def _load_or_exit(file: Path | None, region: str | None = None, year: int | None = None) -> Plan:
    """Load the plan (of a directory: the one ``region`` works to in ``year``), or print every
    problem to stderr and exit 1 (an unknown region or year: exit 2)."""
    path = _resolve(file)
    if not path.is_dir():
        try:
            return load_plan(path)
        except PlanError as exc:
            raise _fail(exc, path) from None
    atlas = _load_atlas_or_exit(path)
    try:
        return chosen_plan(atlas, dt.date.today(), region, year)
    except BadRequest as exc:
        Console(stderr=True, highlight=False).print(f"--{exc.violations[0].field}: {exc.violations[0].message}",
                                                    markup=False)
        raise typer.Exit(2) from None


def tracking_indicators(plan: Plan) -> list[Indicator]:
    """The indicators derived from activity types' ``track`` lists (no target, no status)."""
    return [i for i in plan.all_indicators() if i.code.startswith(TRACKING_PREFIX)]


def normalised(plan: Plan) -> dict:
    """The plan as plain JSON-able data, with the derived tracking indicators added."""
    data = plan.model_dump(mode="json")
    data["tracking_indicators"] = [i.model_dump(mode="json") for i in tracking_indicators(plan)]
    return data


def target_text(indicator: Indicator) -> str:
    """'≥ 10 场次', '> 20000 人' or '—' for a tracking indicator."""
    if indicator.target is None:
        return "—"
    return f"{COMPARISONS[indicator.comparison]} {number(indicator.target, 6)} {indicator.unit}"


def due_text(duty: Duty) -> str:
    """'期后第 10 个工作日': the deadline as the Chinese forms that set one say it."""
    return f"期后第 {duty.due_working_days} 个工作日"


def season_text(season: Season) -> str:
    """'9月1日–9月30日'."""
    (m1, d1), (m2, d2) = (map(int, season.starts.split("-")), map(int, season.ends.split("-")))
    return f"{m1}月{d1}日–{m2}月{d2}日"


def _reporting_table(plan: Plan, names: dict[str, str]) -> Table:
    """One row per rule's named units, then per rule's kinds, then the default: the order in which
    a unit's duty is looked up (libs/common/plan/duties.py: duty_of)."""
    reporting = plan.reporting
    table = Table(title="Reporting (报送要求)")
    table.add_column("who (报送单位)", overflow="fold")
    table.add_column("every (周期)", no_wrap=True)
    table.add_column("due (截止)", no_wrap=True)
    for rule in reporting.rules:
        if rule.orgs:
            table.add_row("、".join(names[c] for c in rule.orgs), EVERY_NAMES[rule.every], due_text(rule))
    for rule in reporting.rules:
        if rule.kinds:
            table.add_row("所有" + "、".join(KIND_NAMES[k] for k in rule.kinds), EVERY_NAMES[rule.every],
                          due_text(rule))
    others = "其他单位（默认）" if reporting.rules else "所有单位（默认）"
    table.add_row(others, EVERY_NAMES[reporting.default.every], due_text(reporting.default))
    return table


def _seasons_table(plan: Plan, names: dict[str, str]) -> Table | None:
    seasonal = [t for t in plan.activity_types if t.season is not None]
    if not seasonal:
        return None
    table = Table(title="Seasons (活动时段)")
    table.add_column("code", no_wrap=True, style="cyan")
    table.add_column("activity type (活动类型)", overflow="fold")
    table.add_column("season (时段)", no_wrap=True)
    table.add_column("expected from (参与单位)", overflow="fold")
    for t in seasonal:
        expected = "、".join(names.get(c) or f"所有{KIND_NAMES[c]}" for c in plan.expected_from(t.code))
        if not t.expected_from:
            expected += "（指标责任单位）"
        table.add_row(t.code, t.name, season_text(t.season), expected)
    return table


@app.command()
def validate(file: Path | None = _file_argument("Plan file (YAML).")) -> None:
    """Check a plan file, or a directory of plans together (regions, succession); print a summary,
    or every error (file:line: path: message) and exit 1."""
    if _resolve(file).is_dir():
        _validate_atlas(_load_atlas_or_exit(file), _resolve(file))
        return
    plan = _load_or_exit(file)
    console = Console(highlight=False)
    kinds = Counter(i.kind for i in plan.indicators)
    tracking = tracking_indicators(plan)
    meta = plan.meta
    console.print(f"[bold green]✓[/] {_resolve(file)} is valid", soft_wrap=True)
    rows = [
        ("plan", f"{meta.code}: {meta.title}" + (f"（{meta.status}）" if meta.status else "")),
        ("region", f"{meta.region.name} ({meta.region.code}, {meta.region.level})"),
        ("period", f"{meta.period.start}–{meta.period.end}"),
        ("organisations", str(len(plan.organisations))),
        ("sections", str(len(plan.sections))),
        ("measures", str(sum(len(s.measures) for s in plan.sections))),
        ("activity types", str(len(plan.activity_types))),
        ("indicators", f"{len(plan.indicators)} (" + ", ".join(f"{k} {kinds.get(k, 0)}" for k in KINDS) + ")"),
        ("tracking indicators", str(len(tracking))),
    ]
    for label, value in rows:
        console.print(f"  [bold]{label:<22}[/]{value}", soft_wrap=True)


def _validate_atlas(atlas: Atlas, path: Path) -> None:
    """A directory's summary: the regions as a tree, each with its plans in succession."""
    console = Console(highlight=False)
    console.print(f"[bold green]✓[/] {path}: {len(atlas.all_plans())} plans of {len(atlas.regions)} region(s) "
                  "are valid together", soft_wrap=True)

    def walk(code: str, depth: int) -> None:
        region = atlas.region(code)
        plans = "; ".join(f"{p.meta.code} {p.meta.period.start}–{p.meta.period.end}"
                          + (f"（{p.meta.status}）" if p.meta.status else "") for p in atlas.plans_of(code))
        console.print(f"  {'  ' * depth}{region.name} ({code}, {region.level}): {plans}", soft_wrap=True)
        for child in atlas.children(code):
            walk(child, depth + 1)

    for root in atlas.roots:
        walk(root, 0)


@app.command()
def show(file: Path | None = _file_argument("Plan file (YAML)."), region: str | None = REGION,
         year: int | None = YEAR) -> None:
    """Print the plan's sections, indicators (with their 考核 weights), reporting duties and campaign
    seasons as tables."""
    plan = _load_or_exit(file, region, year)
    console = Console(highlight=False)
    names = {o.code: o.name for o in plan.organisations}
    meta = plan.meta

    def units(codes: list[str]) -> str:
        return "、".join(names[c] for c in codes) or "—"

    console.print(f"[bold]{meta.title}[/]" + (f"（{meta.status}）" if meta.status else ""))
    console.print(f"{meta.region.name} · {meta.period.start}–{meta.period.end} · {meta.code}")

    sections = Table(title="Sections", show_lines=False)
    sections.add_column("group", no_wrap=True)
    sections.add_column("code", no_wrap=True, style="cyan")
    sections.add_column("title", overflow="fold")
    sections.add_column("lead units (牵头单位)", overflow="fold")
    sections.add_column("measures", justify="right", no_wrap=True)
    for s in plan.sections:
        sections.add_row(GROUPS[s.group], s.code, s.title, units(s.lead_units), str(len(s.measures)))
    console.print(sections)

    indicators = Table(title="Indicators")
    indicators.add_column("code", no_wrap=True, style="cyan")
    indicators.add_column("name", overflow="fold")
    indicators.add_column("kind", no_wrap=True)
    indicators.add_column("target", no_wrap=True, justify="right")
    indicators.add_column("responsible", overflow="fold")
    weighed = bool(plan.assessment.weights)
    if weighed:
        indicators.add_column("weight (考核权重)", no_wrap=True, justify="right")
    for i in plan.indicators:
        weight = [number(plan.assessment.weight(i.code), 6) if i.target is not None else "—"] if weighed else []
        indicators.add_row(i.code, i.name, i.kind, target_text(i), units(i.responsible), *weight)
    console.print(indicators)
    console.print(weights_words(plan), soft_wrap=True)

    tracking = tracking_indicators(plan)
    if tracking:
        types = sorted({i.feeds[0].activity_type for i in tracking}, key=[t.code for t in plan.activity_types].index)
        type_names = {t.code: t.name for t in plan.activity_types}
        console.print(f"{len(tracking)} tracking indicators (per year, no target) for: "
                      + "、".join(type_names[t] for t in types), soft_wrap=True)

    console.print(_reporting_table(plan, names))
    reporting = plan.reporting
    console.print(f"不报送：{'、'.join(names[c] for c in reporting.exempt) or '—'}", soft_wrap=True)
    console.print(f"截止前 {reporting.remind_working_days_before} 个工作日提醒；工作日按国家法定节假日和调休计算",
                  soft_wrap=True)
    seasons = _seasons_table(plan, names)
    if seasons is not None:
        console.print(seasons)


@app.command()
def export(
    file: Path | None = _file_argument("Plan file (YAML)."),
    fmt: ExportFormat = typer.Option(ExportFormat.json, "--format", "-f", help="Output format."),
    region: str | None = REGION,
    year: int | None = YEAR,
) -> None:
    """Print the normalised plan (defaults filled in, tracking indicators derived) to stdout."""
    data = normalised(_load_or_exit(file, region, year))
    if fmt is ExportFormat.json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6))


@app.command()
def reload() -> None:
    """Make the running services read their plan file again; counts are kept, statuses re-judged."""
    from libs.cli.common import services

    with services() as rpc:
        orgs = rpc.organisations.reload_plan()
        rpc.activities.reload_plan()
        rpc.notifications.reload_plan()
        result = rpc.indicators.reload_plan()
    Console(highlight=False).print(
        f"reloaded {result['plan']}: {orgs} organisations, {result['indicators']} indicators, "
        f"{result['status_changes']} status change(s)")


@app.command()
def draft(
    document: Path = typer.Argument(..., help="The county's 实施方案: a .docx or a UTF-8 .txt.", dir_okay=False,
                                    exists=True),
    region: str = typer.Option("county", "--region", help="Region code for the draft (plan.region.code)."),
    region_name: str | None = typer.Option(None, "--region-name",
                                           help="Region name (砀山县): stripped from unit names before lookup."),
    parent: str | None = typer.Option(None, "--parent", help="The region above (a city's code), when the county "
                                      "joins its city's system: organisation codes get the region's prefix."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the draft here instead of stdout."),
) -> None:
    """Draft a plan YAML from a 实施方案 document: sections, targets, units, campaign days, for review."""
    from libs.common.plan.draft import document_lines, draft_plan
    from libs.common.plan.draft_yaml import draft_yaml

    result = draft_plan(document_lines(document), region_name)
    text = draft_yaml(result, document.name, region, region_name, parent)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    confidences = Counter(t.confidence for t in result.targets)
    unknown = sum(o.kind is None for o in result.organisations)
    Console(highlight=False, stderr=True).print(
        f"wrote {out}: {len(result.sections)} sections, {len(result.targets)} targets "
        f"({', '.join(f'{n} {c}' for c, n in confidences.items()) or 'none'}), "
        f"{len(result.campaigns)} campaign days, {unknown} unknown organisation(s) to name; "
        f"review it, then `kepu plan validate {out}`")
