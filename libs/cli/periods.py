"""``kepu period …``: reporting as a duty, through the gateway. A department submits its periods
(本期已报送, or ``--nil`` for 本期无活动) and reads where they stand; the 科协 office (admin token)
reads everyone's, approves (审核, which locks a period) and reopens with a reason."""
from __future__ import annotations

import enum

import typer
from rich.table import Table

from libs.cli.common import AsJson, CaFile, Gateway, Token, console, gateway, print_json
from libs.common.plan.completeness import STATE_WORDS
from libs.common.plan.duties import EVERY_NAMES, period_label
from libs.common.wording import date_label

app = typer.Typer(help="Reporting periods: submit (本期已报送 / 本期无活动), status, approve and reopen.",
                  no_args_is_help=True)


class PeriodState(str, enum.Enum):
    open = "open"
    due = "due"
    on_time = "on_time"
    late = "late"
    missing = "missing"


def _line(p) -> str:
    """One period in words: 县妇联 2025年第三季度：按时报送（本期无活动），截止2025年10月21日."""
    state = STATE_WORDS.get(p.state, p.state)
    if p.nil:
        state += "（本期无活动）"
    elif p.HasField("activities"):
        state += f"（{p.activities}项活动）"
    if p.approved_at:
        state += f"，已审核锁定（{p.approved_by}）"
    return f"{p.org} {period_label(p.period)}：{state}，截止{date_label(p.due)}"


@app.command("submit")
def submit(period: str = typer.Argument(..., help="The period: 2025Q3 (quarterly), 2025-03 (monthly), 2025H1, 2025."),
           nil: bool = typer.Option(False, "--nil", help="本期无活动: nothing happened in the period, say so."),
           token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """本期已报送: tell the office your organisation's report for a period is complete."""
    with gateway(token, gateway_, ca_file) as client:
        answer = client.submit_period(period, nil)
    console.print(f"已报送 {_line(answer)}", markup=False)


@app.command("status")
def status(year: int = typer.Option(0, help="Calendar year; 0: this year (by the system's clock)."),
           org: str = typer.Option("", help="One organisation (admins); default: yours, or everyone's for an admin."),
           state: PeriodState = typer.Option(None, help="Only periods in this state (e.g. missing: who is late)."),
           token: Token = ..., as_json: AsJson = False, gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """Where each period stands: open, due, on time, late, missing (a missing period has no figure, not 0)."""
    with gateway(token, gateway_, ca_file) as client:
        year, found = client.reporting_status(year, org, state.value if state else "")
    if as_json:
        print_json(found)
        return
    table = Table("org", "period", "every", "due", "state", "activities", "submitted", "approved",
                  title=f"{year}年报送情况")
    for p in found:
        activities = "本期无活动" if p.nil else (str(p.activities) if p.HasField("activities") else "—")
        table.add_row(p.org, period_label(p.period), EVERY_NAMES.get(p.every, p.every), date_label(p.due),
                      STATE_WORDS.get(p.state, p.state), activities, p.submitted_at[:16].replace("T", " "),
                      f"{p.approved_at[:10]} {p.approved_by}" if p.approved_at else "")
    console.print(table)


@app.command("approve")
def approve(org: str, period: str, token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """审核 (admin): lock a submitted period; reports dated in it are refused until it is reopened."""
    with gateway(token, gateway_, ca_file) as client:
        answer = client.approve_period(org, period)
    console.print(f"已审核 {_line(answer)}", markup=False)


@app.command("reopen")
def reopen(org: str, period: str, reason: str = typer.Option(..., help="Why (goes into the audit trail)."),
           token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """(admin) Unlock an approved period, with a reason."""
    with gateway(token, gateway_, ca_file) as client:
        answer = client.reopen_period(org, period, reason)
    console.print(f"已重新打开 {_line(answer)}", markup=False)
