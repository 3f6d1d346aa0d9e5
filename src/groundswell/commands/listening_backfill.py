"""``groundswell listening backfill``: re-match stored history for one subject.

The same work the web app starts in the background after a subject is saved, run in the
foreground with a progress bar, e.g. after a bulk import or to repair a subject's counts.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from tqdm import tqdm

from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.listening.backfill import BATCH_SIZE, run_backfill
from groundswell.settings import get_settings


def backfill(
    subject: Annotated[int, typer.Option("--subject", "-s", help="Subject id.", min=1)],
    batch_size: Annotated[
        int, typer.Option(help="Interactions per transaction.", min=100, max=50_000)
    ] = BATCH_SIZE,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Recompute a subject's post links and per-minute rollups from stored interactions."""
    db = Database(get_settings())
    bar = tqdm(total=0, unit="post", disable=not (progress and sys.stderr.isatty()))

    def advance(scanned: int, total: int) -> None:
        bar.total = total
        bar.update(scanned - bar.n)

    try:
        counts = run_backfill(db, subject_id=subject, batch_size=batch_size, progress=advance)
    except (NotFoundError, InvalidInputError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    finally:
        bar.close()
        db.dispose()
    typer.echo(
        f"subject {subject}: scanned {counts.scanned}, matched {counts.matched} "
        f"(+{counts.linked} links, -{counts.unlinked})"
    )
