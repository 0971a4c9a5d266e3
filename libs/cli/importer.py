"""``kepu import FILE``: a department's spreadsheet (.xlsx or .csv) through the gateway's batch call.

Never into a database directly: rows go as ``ReportActivities`` batches with the department's
token, so the same validation, roles and exactly-once rules apply as to any system. A file of
more than one batch is first checked whole (``validate_only``), so all-or-nothing holds for the
file, not only per batch. Every row carries a stable external_id (the file's 编号 column, else
its identifying content), so importing the same file again changes nothing and an edited
quantity becomes a correction.
"""
from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from libs.cli.common import CaFile, Gateway, Token, console, errors, gateway
from libs.client.importing import Tally, send
from libs.client.sheets import ParsedSheet, read_sheet, spec_from_plan, write_template

BATCH = 500


def _send(client, sheet: ParsedSheet, validate_only: bool, skip_invalid: bool, label: str) -> Tally:
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=len(sheet.rows))
        return send(client, sheet, BATCH, validate_only, skip_invalid,
                    progress=lambda sent: bar.update(task, completed=sent))


def _summary(sheet: ParsedSheet, tally: Tally, dry_run: bool) -> None:
    would = "将" if dry_run else ""
    console.print(f"读取{sheet.rows_read}行：{would}新增{tally.created}条，无变化{tally.unchanged}条，"
                  f"{would}更正{tally.corrected}条，有问题{len({p.row for p in tally.problems})}行", markup=False)
    for problem in sorted(tally.problems, key=lambda p: p.row):
        errors.print(f"  {problem}", markup=False)


def import_file(
    file: Path = typer.Argument(None, help="The .xlsx or .csv file to import.", dir_okay=False),
    token: Token = ...,
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and say what would happen; store nothing."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Store the good rows, list the bad ones."),
    template: Path = typer.Option(None, "--template", help="Write an empty template (.xlsx or .csv) to this path.",
                                  dir_okay=False),
    activity_type: str = typer.Option(None, "--type", help="With --template: only this type's quantity columns."),
    gateway_: Gateway = None, ca_file: CaFile = None,
) -> None:
    """Import activities from a spreadsheet through the gateway (all or nothing unless --skip-invalid)."""
    if template is None and file is None:
        raise typer.BadParameter("give a FILE to import, or --template PATH to write a template")
    with gateway(token, gateway_, ca_file) as client:
        spec = spec_from_plan(client.plan(), client.list_organisations(kind="town"))
        if template is not None:
            try:
                write_template(template, spec, activity_type)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--type") from None
            console.print(f"已写出模板 {template}：每行填一个活动，然后运行 `kepu import {template.name}`",
                          markup=False)
            return
        try:
            sheet = read_sheet(file, spec)
        except (ValueError, OSError) as exc:
            errors.print(f"无法读取 {file}：{exc}", markup=False)
            raise typer.Exit(1) from None
        if not sheet.rows and not sheet.problems:
            console.print(f"读取{sheet.rows_read}行：没有要导入的活动", markup=False)
            return
        checked = _send(client, sheet, True, True, "检查中") if sheet.rows else Tally(problems=list(sheet.problems))
        if dry_run or (checked.problems and not skip_invalid):
            _summary(sheet, checked, dry_run=True)
            if not dry_run:
                errors.print("没有保存任何活动：请改正以上各行后重新导入，或用 --skip-invalid 只导入没有问题的行",
                             markup=False)
            raise typer.Exit(1 if checked.problems else 0)
        done = _send(client, sheet, False, skip_invalid, "导入中")
        _summary(sheet, done, dry_run=False)
