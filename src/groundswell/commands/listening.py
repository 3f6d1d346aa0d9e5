"""``groundswell listening …`` commands."""

from __future__ import annotations

import typer

from groundswell.commands.listening_backfill import backfill
from groundswell.commands.listening_run import run

app = typer.Typer(help="listening commands.", no_args_is_help=True)
app.command("backfill")(backfill)
app.command("run")(run)
