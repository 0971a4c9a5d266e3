"""``kepu plan …``: validate, show and export plan files."""
from __future__ import annotations

import enum
import json
import sys
from collections import Counter
from pathlib import Path

import typer
import yaml
from rich.console import Console
from rich.table import Table

from libs.common.plan import Plan, PlanError, load_plan
from libs.common.plan.schema import TRACKING_PREFIX, Indicator
from libs.common.settings import get_settings

app = typer.Typer(help="Validate, show and export plan files.", no_args_is_help=True)

KINDS = ("yearly", "quarterly", "cumulative", "stock")
GROUPS = {"actions": "提升行动", "projects": "重点工程", "safeguards": "保障措施"}
COMPARISONS = {"at_least": "≥", "more_than": ">"}


class ExportFormat(str, enum.Enum):
    json = "json"
    yaml = "yaml"


def _file_argument(help_text: str):
    return typer.Argument(None, help=f"{help_text} Defaults to KEPU_PLAN_FILE (settings.plan_file).",
                          show_default=False, dir_okay=False)


def _resolve(file: Path | None) -> Path:
    return Path(file) if file is not None else Path(get_settings().plan_file)


def _load_or_exit(file: Path | None) -> Plan:
    """Load the plan, or print every problem to stderr (file:line: path: message) and exit 1."""
    path = _resolve(file)
    try:
        return load_plan(path)
    except PlanError as exc:
        err = Console(stderr=True, soft_wrap=True, highlight=False)
        for problem in exc.problems:
            err.print(problem.render(exc.file), markup=False)
        count = len(exc.problems)
        err.print(f"[bold red]✗[/] {count} problem{'s' if count != 1 else ''} in {path}")
        raise typer.Exit(1) from None


def tracking_indicators(plan: Plan) -> list[Indicator]:
    """The indicators derived from activity types' ``track`` lists (no target, no status)."""
    return [i for i in plan.all_indicators() if i.code.startswith(TRACKING_PREFIX)]


def normalised(plan: Plan) -> dict:
    """The plan as plain JSON-able data, with the derived tracking indicators added."""
    data = plan.model_dump(mode="json")
    data["tracking_indicators"] = [i.model_dump(mode="json") for i in tracking_indicators(plan)]
    return data


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def target_text(indicator: Indicator) -> str:
    """'≥ 10 场次', '> 20000 人' or '—' for a tracking indicator."""
    if indicator.target is None:
        return "—"
    return f"{COMPARISONS[indicator.comparison]} {_number(indicator.target)} {indicator.unit}"


@app.command()
def validate(file: Path | None = _file_argument("Plan file (YAML).")) -> None:
    """Check a plan file; print a summary, or every error (file:line: path: message) and exit 1."""
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


@app.command()
def show(file: Path | None = _file_argument("Plan file (YAML).")) -> None:
    """Print the plan's sections and indicators as tables."""
    plan = _load_or_exit(file)
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
    for i in plan.indicators:
        indicators.add_row(i.code, i.name, i.kind, target_text(i), units(i.responsible))
    console.print(indicators)

    tracking = tracking_indicators(plan)
    if tracking:
        types = sorted({i.feeds[0].activity_type for i in tracking}, key=[t.code for t in plan.activity_types].index)
        type_names = {t.code: t.name for t in plan.activity_types}
        console.print(f"{len(tracking)} tracking indicators (per year, no target) for: "
                      + "、".join(type_names[t] for t in types), soft_wrap=True)


@app.command()
def export(
    file: Path | None = _file_argument("Plan file (YAML)."),
    fmt: ExportFormat = typer.Option(ExportFormat.json, "--format", "-f", help="Output format."),
) -> None:
    """Print the normalised plan (defaults filled in, tracking indicators derived) to stdout."""
    data = normalised(_load_or_exit(file))
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
