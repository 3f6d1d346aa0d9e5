"""``groundswell analytics …``: maintenance of the analytics rollups."""

from __future__ import annotations

import typer

from groundswell.core.db import Database
from groundswell.settings import get_settings

app = typer.Typer(help="Analytics: rebuild rollups from the stored data.", no_args_is_help=True)


@app.command("rebuild")
def rebuild() -> None:
    """Recompute the engagement rollup from every case (existing data, or after a repair)."""
    from groundswell.analytics.engagement.rollup import rebuild as rebuild_rollup

    db = Database(get_settings())
    with db.session() as session:
        cases, rows = rebuild_rollup(session)
        session.commit()
    typer.echo(f"engagement rollup rebuilt: {cases} cases, {rows} rows")
