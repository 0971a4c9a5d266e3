"""``kepu report …``: the documents the 科协 office hands to its leaders, through the gateway
with an admin token (the portal offers the same downloads)."""
from __future__ import annotations

import enum
from pathlib import Path

import typer

from libs.cli.common import CaFile, Gateway, Token, console, gateway

app = typer.Typer(help="The quarterly 调度会 pack (PDF, XLSX, DOCX) and the year-end 考核 table (PDF, XLSX).",
                  no_args_is_help=True)


class Format(str, enum.Enum):
    pdf = "pdf"
    xlsx = "xlsx"
    docx = "docx"


@app.command("quarter")
def quarter(quarter_: str = typer.Argument(..., metavar="QUARTER", help="An ended quarter, e.g. 2025Q2."),
            fmt: list[Format] = typer.Option([Format.pdf], "--format", help="pdf, xlsx, docx (repeat for several)."),
            out: Path = typer.Option(Path("."), "--out", help="The folder to write into."),
            token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """The quarter's 调度会 pack, with the figures as they stood at its end."""
    with gateway(token, gateway_, ca_file) as client:
        _write(out, [client.quarter_pack(quarter_, f.value) for f in dict.fromkeys(fmt)])


@app.command("assessment")
def assessment(year: int = typer.Argument(..., help="An ended year of the plan, e.g. 2024."),
               fmt: list[Format] = typer.Option([Format.pdf], "--format", help="pdf or xlsx (repeat for both)."),
               out: Path = typer.Option(Path("."), "--out", help="The folder to write into."),
               token: Token = ..., gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """The year-end 考核 table: each unit's and town's targets, achieved or not, scored and ranked."""
    with gateway(token, gateway_, ca_file) as client:
        _write(out, [client.assessment(year, f.value) for f in dict.fromkeys(fmt)])


def _write(out: Path, documents) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for document in documents:
        path = out / document.filename
        path.write_bytes(document.content)
        console.print(f"{path} ({len(document.content) // 1024} KB, 数据截至{document.as_of[:10]})", markup=False)
