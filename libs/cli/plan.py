"""``kepu plan …``: validate, show and export plan files."""
from __future__ import annotations

import typer

app = typer.Typer(help="Validate, show and export plan files.", no_args_is_help=True)
