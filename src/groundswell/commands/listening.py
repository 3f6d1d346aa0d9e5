"""``groundswell listening …`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="listening commands.", no_args_is_help=True)
