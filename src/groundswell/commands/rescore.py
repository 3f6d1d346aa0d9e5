"""``groundswell rescore …`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="rescore commands.", no_args_is_help=True)
